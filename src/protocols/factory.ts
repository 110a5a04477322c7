import type { Provider } from "ethers";
import type { ProtocolConfig } from "../config/schema";
import type { ProtocolAdapter } from "./adapter";
import { CANONICAL_MULTICALL3 } from "./multicall";
import { AaveV3Adapter, type AaveAdapterOptions } from "./aave/adapter";
import { ReferencePerpsAdapter, type ReferenceAdapterOptions } from "./reference/adapter";

/** Which adapter, at which addresses: from a keeper config or from a rehearsal's installed steward. */
export type AdapterSpec = ({ kind: "reference" } & ReferenceAdapterOptions) | ({ kind: "aaveV3" } & AaveAdapterOptions);

/** The one place an adapter is constructed. */
export function buildAdapter(spec: AdapterSpec, provider: Provider): ReferencePerpsAdapter | AaveV3Adapter {
  const { kind, ...opts } = spec;
  return kind === "reference" ? new ReferencePerpsAdapter(provider, opts as ReferenceAdapterOptions) : new AaveV3Adapter(provider, opts as AaveAdapterOptions);
}

/** What a protocol's config entry names, as an adapter spec. */
export function adapterSpecOf(cfg: ProtocolConfig, chainId: bigint): AdapterSpec {
  const common = { protocolId: cfg.id, chainId, steward: cfg.steward, multicall: cfg.multicall ?? CANONICAL_MULTICALL3 };
  switch (cfg.adapter) {
    case "reference":
      return { kind: "reference", ...common, perps: cfg.protocol, pools: cfg.pools };
    case "aaveV3":
      return { kind: "aaveV3", ...common, addressesProvider: cfg.addressesProvider, dataProvider: cfg.dataProvider, accounts: cfg.accounts };
  }
}

/** An adapter for each configured protocol, checked for deployed code before first use. */
export async function createAdapter(cfg: ProtocolConfig, provider: Provider, chainId: bigint): Promise<ProtocolAdapter> {
  const adapter = buildAdapter(adapterSpecOf(cfg, chainId), provider);
  await adapter.verifyDeployment();
  return adapter;
}
