import type { JsonRpcProvider } from "ethers";
import { policyFor } from "../config/policy";
import type { KeeperConfig } from "../config/schema";
import { openBook, syntheticIntents } from "../embedded/book";
import { deployReferenceSystem } from "../embedded/reference-system";
import type { PolicyConfig } from "../policy";
import { deployAaveMarket, DEMO_LOANS, openAaveBook } from "../protocols/aave/deploy";
import { CANONICAL_MULTICALL3 } from "../protocols/multicall";
import { impersonate, type RehearsalTarget } from "./install";
import { keccak256, toUtf8Bytes } from "ethers";
import { REPLICA_NAME } from "../replica/aave-v3-ethereum";
import { deployReplica } from "../replica/deploy";
import type { ReplicaProvenance } from "./rehearse";

/** The protocols a keeper config names, as rehearsal targets (their stewards are replaced by fresh ones). */
export function targetsOf(config: KeeperConfig): { targets: RehearsalTarget[]; policies: Record<string, PolicyConfig> } {
  const targets = config.protocols.map((p): RehearsalTarget =>
    p.adapter === "reference"
      ? { kind: "reference", id: p.id, perps: p.protocol, multicall: p.multicall ?? CANONICAL_MULTICALL3, pools: p.pools }
      : { kind: "aaveV3", id: p.id, addressesProvider: p.addressesProvider, dataProvider: p.dataProvider, multicall: p.multicall ?? CANONICAL_MULTICALL3, accounts: p.accounts },
  );
  const policies = Object.fromEntries(config.protocols.map((p, i) => [p.id, policyFor(p, i)]));
  return { targets, policies };
}

export interface EmbeddedWorldOptions {
  positions: number;
  seed: number;
  /** Progress of opening the book: done of total. */
  onProgress?: (done: number, total: number) => void;
}

/**
 * What `npm start` rehearses on: the reference protocol with a realistic book and a real Aave V3
 * market with lenders and borrowers, deployed on the embedded chain by its first account.
 */
export async function deployEmbeddedWorld(provider: JsonRpcProvider, opts: EmbeddedWorldOptions): Promise<{ targets: RehearsalTarget[] }> {
  const [governance, ...traders] = await Promise.all(Array.from({ length: 13 }, (_, i) => provider.getSigner(i)));
  // A modest insurance fund, as young protocols have: a cascade can exhaust it and leave bad debt.
  const system = await deployReferenceSystem(governance, { insuranceUsd: 50_000 });
  const intents = syntheticIntents(system, opts.positions, opts.seed);
  for (let i = 0; i < intents.length; i += 25) {
    await openBook(system, traders, intents.slice(i, i + 25));
    opts.onProgress?.(Math.min(intents.length, i + 25), intents.length);
  }
  const aave = await deployAaveMarket(governance, { multicall: system.multicall });
  await openAaveBook(aave, traders, DEMO_LOANS);
  const pools: Record<string, string> = {};
  for (const m of system.markets) pools[m.name] = await m.pool.getAddress();
  const multicall = await system.multicall.getAddress();
  return {
    targets: [
      { kind: "reference", id: "reference-perps", perps: await system.perps.getAddress(), multicall, pools },
      {
        kind: "aaveV3",
        id: "aave-v3",
        addressesProvider: await aave.addressesProvider.getAddress(),
        dataProvider: await aave.dataProvider.getAddress(),
        multicall,
        accounts: await Promise.all(traders.slice(0, 6).map((t) => t.getAddress())),
      },
    ],
  };
}

/**
 * `rehearse --replica aave-v3-ethereum`: the mainnet replica deployed on the embedded chain, its
 * synthetic borrowers (deterministic, impersonated addresses) known to the keeper and the liquidator bot.
 */
export async function deployReplicaWorld(provider: JsonRpcProvider, opts: EmbeddedWorldOptions): Promise<{ targets: RehearsalTarget[]; replica: ReplicaProvenance }> {
  const governance = await provider.getSigner(0);
  const signerFor = (i: number) => impersonate(provider, `0x${keccak256(toUtf8Bytes(`svr-keeper replica user ${opts.seed} ${i}`)).slice(-40)}`);
  const r = await deployReplica(governance, signerFor, { borrowers: opts.positions, seed: opts.seed, onProgress: opts.onProgress });
  return {
    targets: [
      {
        kind: "aaveV3",
        id: `${REPLICA_NAME}-replica`,
        addressesProvider: await r.market.addressesProvider.getAddress(),
        dataProvider: await r.market.dataProvider.getAddress(),
        multicall: await r.market.multicall.getAddress(),
        accounts: r.borrowers,
      },
    ],
    replica: { name: REPLICA_NAME, source: r.provenance.source, reserves: r.provenance.reserves, borrowers: r.borrowers.length, book: r.provenance.book, differences: r.plan.differences },
  };
}
