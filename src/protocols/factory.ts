import { Contract, type JsonRpcApiProvider, type Provider } from "ethers";
import type { Cluster, Redis } from "ioredis";
import { AaveAccountIndexer, MemoryAccountIndexStore, RedisAccountIndexStore } from "./aave/account-index";
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
      return { kind: "aaveV3", ...common, addressesProvider: cfg.addressesProvider, dataProvider: cfg.dataProvider, accounts: cfg.accounts, oracleHeartbeats: cfg.oracleHeartbeats };
  }
}

/**
 * An Aave protocol's account discovery, when its config asks for one: the index in Redis under
 * `${prefix}:aave-index:${chainId}:${id}` (kept across observations and processes), or in memory.
 */
export async function discoveryOf(cfg: ProtocolConfig, provider: JsonRpcApiProvider, chainId: bigint, store?: { redis: Redis | Cluster; prefix: string }): Promise<AaveAdapterOptions["discovery"]> {
  if (cfg.adapter !== "aaveV3" || !cfg.discovery) return undefined;
  const pool = (await new Contract(cfg.addressesProvider, ["function getPool() view returns (address)"], provider).getPool()) as string;
  const index = store ? new RedisAccountIndexStore(store.redis, `${store.prefix}:aave-index:${chainId}:${cfg.id}`) : new MemoryAccountIndexStore();
  return new AaveAccountIndexer(provider, index, { pool, ...cfg.discovery });
}

/** An adapter for each configured protocol, checked for deployed code before first use. */
export async function createAdapter(cfg: ProtocolConfig, provider: Provider, chainId: bigint, discovery?: AaveAdapterOptions["discovery"]): Promise<ProtocolAdapter> {
  const spec = adapterSpecOf(cfg, chainId);
  const adapter = buildAdapter(spec.kind === "aaveV3" ? { ...spec, discovery } : spec, provider);
  await adapter.verifyDeployment();
  return adapter;
}
