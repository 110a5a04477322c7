import { Presets, SingleBar } from "cli-progress";
import { loadConfigFile } from "../../config/load";
import { resolveSecrets } from "../../config/secrets";
import { startEmbeddedNode, type EmbeddedNode } from "../../embedded/hardhat-node";
import type { Redactor } from "../../log/redact";
import { redactUrl } from "../../log/redact";
import { DEFAULT_POLICY, type PolicyConfig } from "../../policy";
import { connectRpc } from "../../rpc/connect";
import { headOf } from "../../rpc/reads";
import { RehearsalClockProvider } from "../../rehearse/clock";
import type { RehearsalTarget } from "../../rehearse/install";
import { deployEmbeddedWorld, deployReplicaWorld, targetsOf } from "../../rehearse/targets";
import type { ReplicaProvenance } from "../../rehearse/rehearse";
import { discoveryOf } from "../../protocols/factory";
import { REPLICA_NAME } from "../../replica/aave-v3-ethereum";

/** Hardhat's chain id: the rehearsal chain signs as itself, whatever chain it forked. */
export const REHEARSAL_CHAIN_ID = 31337n;

export interface RehearsalChain {
  node: EmbeddedNode;
  provider: RehearsalClockProvider;
  fork?: { url: string; block: number };
  targets: RehearsalTarget[];
  policies: Record<string, PolicyConfig>;
  /** Set when the chain carries the mainnet replica: what is real and what is synthetic. */
  replica?: ReplicaProvenance;
  close(): Promise<void>;
}

/**
 * The chain a rehearsal or a scorecard plays on: a fork of the config's RPC at a block (its
 * protocols), or the embedded chain with the reference protocol's synthetic book and a real Aave
 * V3 market. Nothing touches the forked chain.
 */
/** The chain flags rehearse and evaluate share (--block, --positions, --seed): whole numbers ≥ 0, refused naming the flag. */
export function checkChainFlags(opts: { block?: number; positions?: number; seed?: number }): void {
  for (const [flag, v] of [
    ["--block", opts.block],
    ["--positions", opts.positions],
    ["--seed", opts.seed],
  ] as const) {
    if (v !== undefined && !(Number.isSafeInteger(v) && v >= 0)) throw new Error(`${flag} must be a whole number ≥ 0`);
  }
}

export async function openRehearsalChain(opts: { config?: string; block?: number; positions: number; seed: number; replica?: boolean; redactor: Redactor }): Promise<RehearsalChain> {
  let fork: { url: string; block: number } | undefined;
  let fromConfig: ReturnType<typeof targetsOf> | undefined;
  if (opts.config) {
    const config = loadConfigFile(opts.config);
    const secrets = resolveSecrets(config, process.env, opts.redactor, false);
    const upstream = await connectRpc(secrets.rpcUrl, config.chain.chainId);
    const block = opts.block ?? (await headOf(upstream));
    // Aave accounts discovered from the Pool's events on the upstream chain, up to the pinned block.
    const discovered = new Map<string, string[]>();
    for (const p of config.protocols) {
      const discovery = await discoveryOf(p, upstream, BigInt(config.chain.chainId));
      if (!discovery) continue;
      process.stderr.write(`discovering ${p.id}'s accounts from its Pool's events up to block ${block}\n`);
      discovered.set(p.id, await discovery.accountsAt(block));
    }
    upstream.destroy();
    fork = { url: secrets.rpcUrl, block };
    const t = targetsOf(config);
    fromConfig = { ...t, targets: t.targets.map((x) => (x.kind === "aaveV3" && discovered.has(x.id) ? { ...x, accounts: [...new Set([...x.accounts, ...discovered.get(x.id)!])] } : x)) };
  }
  const node = await startEmbeddedNode(fork ? { forkUrl: fork.url, forkBlockNumber: fork.block } : {});
  // Each request goes out at once: ethers would hold it 10 ms to batch it, and a rehearsal asks in
  // sequence; and straight to the chain in this process, not over HTTP to its server.
  const provider = new RehearsalClockProvider(node.url, undefined, { staticNetwork: true, pollingInterval: 50, batchStallTime: 0 }, node);
  const close = async () => {
    provider.destroy();
    await node.close();
  };
  try {
    process.stderr.write(fork ? `forked ${redactUrl(fork.url)} at block ${fork.block}\n` : `embedded chain at ${node.url}\n`);
    if (fromConfig) {
      // Hardhat executes blocks up to the fork block only under a known hardfork history (it has
      // none for other dev chains); one empty local block makes "latest" a block of its own.
      await provider.send("evm_mine", []);
      return { node, provider, fork, ...fromConfig, close };
    }
    if (opts.replica) {
      process.stderr.write(`deploying the ${REPLICA_NAME} replica (real configuration, SYNTHETIC borrowers) on Aave 3.0\n`);
      const bar = new SingleBar({ format: "opening borrowers [{bar}] {value}/{total}", hideCursor: true, stream: process.stderr }, Presets.shades_classic);
      bar.start(opts.positions, 0);
      const world = await deployReplicaWorld(provider, { positions: opts.positions, seed: opts.seed, onProgress: (d) => bar.update(d) });
      bar.stop();
      return { node, provider, targets: world.targets, replica: world.replica, policies: Object.fromEntries(world.targets.map((t) => [t.id, DEFAULT_POLICY])), close };
    }
    process.stderr.write("deploying the reference protocol and a real Aave V3 market\n");
    const bar = new SingleBar({ format: "opening positions [{bar}] {value}/{total}", hideCursor: true, stream: process.stderr }, Presets.shades_classic);
    bar.start(opts.positions, 0);
    const world = await deployEmbeddedWorld(provider, { positions: opts.positions, seed: opts.seed, onProgress: (d) => bar.update(d) });
    bar.stop();
    return { node, provider, targets: world.targets, policies: Object.fromEntries(world.targets.map((t) => [t.id, DEFAULT_POLICY])), close };
  } catch (e) {
    await close();
    throw e;
  }
}
