import type { Provider } from "ethers";
import type { ProtocolConfig } from "../config/schema";
import type { ProtocolAdapter } from "./adapter";
import { CANONICAL_MULTICALL3 } from "./multicall";
import { AaveV3Adapter } from "./aave/adapter";
import { ReferencePerpsAdapter } from "./reference/adapter";

/** An adapter for each configured protocol, checked for deployed code before first use. */
export async function createAdapter(cfg: ProtocolConfig, provider: Provider, chainId: bigint): Promise<ProtocolAdapter> {
  switch (cfg.adapter) {
    case "reference": {
      const adapter = new ReferencePerpsAdapter(provider, {
        protocolId: cfg.id,
        chainId,
        perps: cfg.protocol,
        steward: cfg.steward,
        multicall: cfg.multicall ?? CANONICAL_MULTICALL3,
        pools: cfg.pools,
      });
      await adapter.verifyDeployment();
      return adapter;
    }
    case "aaveV3": {
      const adapter = new AaveV3Adapter(provider, {
        protocolId: cfg.id,
        chainId,
        addressesProvider: cfg.addressesProvider,
        dataProvider: cfg.dataProvider,
        steward: cfg.steward,
        multicall: cfg.multicall ?? CANONICAL_MULTICALL3,
        accounts: cfg.accounts,
      });
      await adapter.verifyDeployment();
      return adapter;
    }
  }
}
