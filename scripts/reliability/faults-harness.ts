import { spawn, type ChildProcess } from "node:child_process";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { JsonRpcProvider, parseUnits, Wallet, type Signer } from "ethers";
import { Queue } from "bullmq";
import Redis from "ioredis";
import { openBook, syntheticIntents } from "../../src/embedded/book";
import { startEmbeddedNode, type EmbeddedNode } from "../../src/embedded/hardhat-node";
import { deployReferenceSystem, USDC_DECIMALS, type ReferenceSystem } from "../../src/embedded/reference-system";
import { actQueueName } from "../../src/queue/act-queue";
import { ACTION_EXECUTED_TOPIC } from "../../src/steward/events";
import { cliCommand } from "../../test/helpers/cli";
import { TestRedisServer, TestSentinelSet } from "../../test/helpers/redis-server";

const ROOT = join(__dirname, "..", "..");
const PROTOCOL_ID = "ref-perps";
const KEY_ENV = "FAULTS_KEEPER_KEY";
const WEBHOOK_ENV = "FAULTS_WEBHOOK_URL";
/** Observation interval of the keepers, and the chain's block time. */
const INTERVAL_S = 1;

export const FAULTS = ["redis-flushall", "redis-restart-empty", "reorg-before-confirmation", "reorg-after-confirmation", "freeze-unfreeze", "split-brain", "sentinel-failover"] as const;
export type Fault = (typeof FAULTS)[number];

/** A fault's figures, and for a reorg how many blocks after it the action was back on-chain. */
export interface FaultResult {
  figures: FaultFigures;
  reorgBackInBlocks?: number;
}

/** One line of the matrix: exactly the fields the issue names. */
export interface FaultFigures {
  fault: Fault;
  /** Distinct actions (idempotency keys) the keepers enqueued. */
  actions_planned: number;
  /** Keeper transactions on the final chain, plus those a reorg took off it. */
  txs_sent: number;
  txs_reverted: number;
  /** Distinct keys the steward executed for the keepers. */
  keys_executed: number;
  /** ActionExecuted events beyond one per key, plus successful keeper transactions that executed no action. */
  duplicates: number;
  /** Planned keys never executed, with no later action of the same kind on the same market executed either. */
  lost: number;
  /** Seconds from the fault's end (Redis back, the reorg, the unfreeze, the failover) to the keeper working again; see each fault. */
  recovery_s: number;
  /** Alerts the keepers' webhook received, by kind (level changes left out). */
  alerts: Record<string, number>;
}

export interface FaultsOptions {
  /** Hardhat's ethers (the in-process chain the embedded node serves). */
  ethers: { getSigners(): Promise<Signer[]>; provider: { send(method: string, params: unknown[]): Promise<unknown> } };
  faults: readonly Fault[];
  log?: (line: string) => void;
}

const ACTION_EXECUTED = ACTION_EXECUTED_TOPIC; // steward v2: key and market indexed, keeper in the data

/**
 * The fault matrix: for each fault, a fresh copy of one chain (the reference protocol with a book
 * that breaches at once, a block a second), real `svr-keeper run` processes with a Redis of their
 * own, the fault injected while an action is in flight, then the chain and the keepers' logs and
 * alerts counted. Real: the keeper processes, Redis (and Sentinel), the contracts' bytecode.
 * Synthetic: the book (60 seeded positions) and the faults.
 */
export async function runFaults(opts: FaultsOptions): Promise<FaultResult[]> {
  const log = opts.log ?? (() => undefined);
  const send = (m: string, p: unknown[] = []) => opts.ethers.provider.send(m, p);
  const node = await startEmbeddedNode();
  const provider = new JsonRpcProvider(node.url, 31337, { staticNetwork: true, pollingInterval: 100 });
  const webhook = await startWebhook();
  const out: FaultResult[] = [];
  try {
    const [governance, ...traders] = await opts.ethers.getSigners();
    const system = await deployReferenceSystem(governance);
    await fundTraders(system, traders.slice(0, 6));
    await openBook(system, traders.slice(0, 6), syntheticIntents(system, 60, 7));
    let base = (await send("evm_snapshot")) as string;
    for (const fault of opts.faults) {
      await send("evm_setIntervalMining", [0]);
      await send("evm_setAutomine", [true]);
      await send("evm_revert", [base]);
      base = (await send("evm_snapshot")) as string;
      const ctx = await FaultRun.prepare(fault, { system, node, provider, send, webhook, log });
      try {
        out.push(await ctx.run());
      } finally {
        await ctx.close();
      }
      log(JSON.stringify(out[out.length - 1].figures));
    }
  } finally {
    await send("evm_setIntervalMining", [0]).catch(() => undefined);
    await send("evm_setAutomine", [true]).catch(() => undefined);
    webhook.server.close();
    provider.destroy();
    await node.close();
  }
  return out;
}

async function fundTraders(system: ReferenceSystem, traders: Signer[]): Promise<void> {
  for (const t of traders) {
    const who = await t.getAddress();
    await (await system.usdc.mint(who, parseUnits("10000000", USDC_DECIMALS))).wait();
    await (await system.usdc.connect(t).approve(await system.perps.getAddress(), 2n ** 255n)).wait();
  }
}

interface Env {
  system: ReferenceSystem;
  node: EmbeddedNode;
  provider: JsonRpcProvider;
  send: (m: string, p?: unknown[]) => Promise<unknown>;
  webhook: Webhook;
  log: (line: string) => void;
}

/** One fault: its keepers, its Redis, its chain window. */
class FaultRun {
  private readonly keepers: KeeperProcess[] = [];
  private redis: TestRedisServer | undefined;
  private redis2: TestRedisServer | undefined;
  private sentinel: TestSentinelSet | undefined;
  private readonly prefix = `faults${process.pid}${Date.now()}`;
  private readonly droppedByReorg: string[] = [];
  private readonly started = Date.now();
  private reorgBackInBlocks: number | undefined;

  private constructor(
    private readonly fault: Fault,
    private readonly env: Env,
    private readonly keeper: Wallet,
    private readonly fromBlock: number,
  ) {}

  static async prepare(fault: Fault, env: Env): Promise<FaultRun> {
    const keeper = new Wallet(Wallet.createRandom().privateKey);
    await env.send("hardhat_setBalance", [keeper.address, "0x3635C9ADC5DEA00000"]);
    await (await env.system.steward.setKeeper(keeper.address, true)).wait();
    const from = Number(await env.provider.send("eth_blockNumber", [])) + 1;
    // A block a second, and transactions wait in the pool until it: an action is "in flight" for up to a second.
    await env.send("evm_setAutomine", [false]);
    await env.send("evm_setIntervalMining", [INTERVAL_S * 1000]);
    env.webhook.alerts.length = 0;
    return new FaultRun(fault, env, keeper, from);
  }

  async run(): Promise<FaultResult> {
    const log = (line: string) => this.env.log(`[${((Date.now() - this.started) / 1000).toFixed(1)} s] ${line}`);
    log(`— ${this.fault}`);
    let recovery: number;
    switch (this.fault) {
      case "redis-flushall":
      case "redis-restart-empty": {
        this.redis = await TestRedisServer.start();
        const k = await this.startKeeper(this.config({ url: this.redis.url }));
        await this.actionInFlight();
        if (this.fault === "redis-flushall") await this.redis.flushAll();
        else await this.redis.restartEmpty(1000);
        const back = Date.now();
        log(`${this.fault}: Redis back empty with a keeper transaction in the pool`);
        // Counted to the first observation that started after the keeper re-created what Redis lost.
        await k.waitFor((l) => l.message === "queue state re-created after Redis lost it", back, 30_000);
        const recreated = k.firstAfter((l) => l.message === "queue state re-created after Redis lost it", back)!;
        await k.waitFor((l) => l.message === "observed", recreated, 30_000);
        recovery = (k.firstAfter((l) => l.message === "observed", recreated)! - back) / 1000;
        break;
      }
      case "reorg-before-confirmation":
      case "reorg-after-confirmation": {
        this.redis = await TestRedisServer.start();
        const before = this.fault === "reorg-before-confirmation";
        const k = await this.startKeeper(this.config({ url: this.redis.url }, before ? 3 : 1));
        await this.actionInFlight();
        const snap = (await this.env.send("evm_snapshot")) as string;
        const mined = await this.keeperTxMined();
        if (!before) await k.waitFor((l) => l.message === "action included" && l.txHash === mined.txHash, this.started, 20_000);
        await this.waitBlocks(1);
        const headBefore = await this.head();
        await this.env.send("evm_revert", [snap]);
        this.droppedByReorg.push(mined.txHash);
        const reorgAt = Date.now();
        const headAfter = await this.head();
        log(`${this.fault}: blocks ${headAfter + 1}…${headBefore} dropped, with keeper transaction ${mined.txHash} (action ${mined.key})`);
        const backAt = await this.until(async () => (await this.keyExecuted(mined.key)) !== undefined, 30_000);
        const backBlock = (await this.keyExecuted(mined.key))!;
        recovery = (backAt - reorgAt) / 1000;
        this.reorgBackInBlocks = backBlock - headAfter;
        log(`${this.fault}: action back on-chain in block ${backBlock}, ${this.reorgBackInBlocks} block(s) after the reorg`);
        break;
      }
      case "freeze-unfreeze": {
        this.redis = await TestRedisServer.start();
        await (await this.env.system.steward.freeze()).wait();
        const k = await this.startKeeper(this.config({ url: this.redis.url }));
        await k.waitFor((l) => l.message === "observed", this.started, 30_000);
        await sleep(5000);
        const plannedWhileFrozen = k.lines.filter((l) => l.message === "action enqueued").length;
        log(`freeze-unfreeze: ${plannedWhileFrozen} action(s) enqueued in 5 s frozen`);
        await (await this.env.system.steward.unfreeze()).wait();
        const unfrozen = Date.now();
        const at = await this.until(async () => (await this.executedKeys()).size > 0, 30_000);
        recovery = (at - unfrozen) / 1000;
        break;
      }
      case "split-brain": {
        // Two keepers with the same key, each with a Redis of its own: each holds "the" lock.
        // Both start on a frozen steward, so that both see the breach when it is unfrozen.
        this.redis = await TestRedisServer.start();
        this.redis2 = await TestRedisServer.start();
        await (await this.env.system.steward.freeze()).wait();
        await Promise.all([this.startKeeper(this.config({ url: this.redis.url })), this.startKeeper(this.config({ url: this.redis2.url }))]);
        await Promise.all(this.keepers.map((k) => k.waitFor((l) => l.message === "observed", this.started, 30_000)));
        await (await this.env.system.steward.unfreeze()).wait();
        const unfrozen = Date.now();
        const at = await this.until(async () => this.env.webhook.alerts.some((a) => a.kind === "splitBrain"), 40_000);
        recovery = (at - unfrozen) / 1000;
        break;
      }
      case "sentinel-failover": {
        this.sentinel = await TestSentinelSet.start();
        const k = await this.startKeeper(this.config({ url: "redis://127.0.0.1", sentinel: { name: this.sentinel.name, sentinels: [{ host: "127.0.0.1", port: this.sentinel.sentinelPort }] } }));
        await this.actionInFlight();
        await this.sentinel.killPrimary();
        const promoted = Date.now();
        log(`sentinel-failover: primary killed with a keeper transaction in flight; replica on ${this.sentinel.replica.port} promoted`);
        await k.waitFor((l) => l.message === "observed", promoted, 30_000);
        recovery = (k.firstAfter((l) => l.message === "observed", promoted)! - promoted) / 1000;
        break;
      }
    }
    log("fault over; waiting for the act queues to empty");
    await this.quiesce();
    log("keepers stopped");
    for (const a of this.env.webhook.alerts) if (a.kind !== "level") log(`  alert ${a.kind}: ${a.message}`);
    return { figures: await this.figures(Math.round(recovery * 10) / 10), reorgBackInBlocks: this.reorgBackInBlocks };
  }

  async close(): Promise<void> {
    for (const k of this.keepers) await k.stop();
    await this.redis?.down();
    await this.redis2?.down();
    await this.sentinel?.down();
  }

  private config(redis: Record<string, unknown>, confirmations = 1): string {
    const s = this.env.system;
    return writeTemp({
      chain: { chainId: 31337, rpcUrl: this.env.node.url },
      protocols: [
        {
          id: PROTOCOL_ID,
          adapter: "reference",
          protocol: s.perps.target,
          steward: s.steward.target,
          multicall: s.multicall.target,
          pools: Object.fromEntries(s.markets.map((m) => [m.name, m.pool.target])),
          observe: { intervalSeconds: INTERVAL_S },
          policy: { defaults: { confirmations: 1 } },
        },
      ],
      keeper: { signerKeyEnv: KEY_ENV, confirmations, maxFeePerGasGwei: 300, stuckAfterBlocks: 3 },
      redis: { prefix: this.prefix, ...redis },
      queue: { lockDurationMs: 3000, stalledIntervalMs: 500, observeLockDurationMs: 3000 },
      health: { staleAfterIntervals: 5, checkIntervalMs: 500 },
      metrics: { port: 0 },
      alerts: { webhookUrlEnv: WEBHOOK_ENV, retries: 1, timeoutMs: 2000 },
      log: { level: "info" },
    });
  }

  private async startKeeper(config: string): Promise<KeeperProcess> {
    const k = new KeeperProcess(config, { [KEY_ENV]: this.keeper.privateKey, [WEBHOOK_ENV]: this.env.webhook.url });
    this.keepers.push(k);
    await k.waitFor((l) => l.message === "keeper running", 0, 60_000);
    this.env.log(`[${((Date.now() - this.started) / 1000).toFixed(1)} s] keeper process running`);
    return k;
  }

  /** Until a keeper transaction waits in the pool. */
  private async actionInFlight(timeoutMs = 45_000): Promise<void> {
    await this.until(async () => {
      const [pending, latest] = await Promise.all([this.nonce("pending"), this.nonce("latest")]);
      return pending > latest;
    }, timeoutMs);
  }

  /** The head asked of the node (ethers' getBlockNumber answers from a cache). */
  private async head(): Promise<number> {
    return Number(await this.env.provider.send("eth_blockNumber", []));
  }

  private async nonce(tag: string): Promise<number> {
    return Number(await this.env.provider.send("eth_getTransactionCount", [this.keeper.address, tag]));
  }

  /** The keeper transaction now in the pool, once mined, and the action it executed. */
  private async keeperTxMined(): Promise<{ txHash: string; key: string; block: number }> {
    const latest = await this.nonce("latest");
    await this.until(async () => (await this.nonce("latest")) > latest, 10_000);
    const head = await this.head();
    for (let b = head; b >= head - 2; b--) {
      const block = await this.env.provider.getBlock(b, true);
      for (const tx of block?.prefetchedTransactions ?? []) {
        if (tx.from.toLowerCase() !== this.keeper.address.toLowerCase()) continue;
        const receipt = await this.env.provider.getTransactionReceipt(tx.hash);
        const ev = receipt?.logs.find((l) => l.topics[0] === ACTION_EXECUTED);
        if (ev) return { txHash: tx.hash, key: ev.topics[1], block: b };
      }
    }
    throw new Error("the keeper's mined transaction executed no action");
  }

  private async keyExecuted(key: string): Promise<number | undefined> {
    const logs = await this.env.provider.getLogs({ address: String(this.env.system.steward.target), topics: [ACTION_EXECUTED, key], fromBlock: this.fromBlock, toBlock: "latest" });
    return logs[0]?.blockNumber;
  }

  private async executedKeys(): Promise<Map<string, number>> {
    const logs = await this.env.provider.getLogs({ address: String(this.env.system.steward.target), topics: [ACTION_EXECUTED], fromBlock: this.fromBlock, toBlock: "latest" });
    const byKey = new Map<string, number>();
    for (const l of logs) byKey.set(l.topics[1], (byKey.get(l.topics[1]) ?? 0) + 1);
    return byKey;
  }

  private async waitBlocks(n: number): Promise<void> {
    const start = await this.head();
    await this.until(async () => (await this.head()) >= start + n, 10_000);
  }

  /** Until no act job is queued or running in any keeper's Redis for 3 s in a row (at most 40 s). */
  private async quiesce(): Promise<void> {
    const queues: { queue: Queue; client: Redis }[] = [];
    const conns: Record<string, unknown>[] = [];
    if (this.redis) conns.push({ port: this.redis.port });
    if (this.redis2) conns.push({ port: this.redis2.port });
    if (this.sentinel) conns.push({ sentinels: [{ host: "127.0.0.1", port: this.sentinel.sentinelPort }], name: this.sentinel.name });
    for (const c of conns) {
      const client = new Redis({ ...c, maxRetriesPerRequest: null });
      client.on("error", () => undefined);
      queues.push({ client, queue: new Queue(actQueueName(31337n, this.keeper.address), { connection: client, prefix: this.prefix }) });
    }
    try {
      let quiet = 0;
      const start = Date.now();
      while (quiet < 3 && Date.now() - start < 40_000) {
        let busy = 0;
        for (const { queue } of queues) {
          const c = await queue.getJobCounts("waiting", "active", "delayed", "prioritized");
          busy += Object.values(c).reduce((a, b) => a + b, 0);
        }
        quiet = busy === 0 ? quiet + 1 : 0;
        await sleep(1000);
      }
    } finally {
      for (const q of queues) {
        await q.queue.close();
        q.client.disconnect();
      }
    }
    for (const k of this.keepers) await k.stop();
  }

  private async figures(recovery: number): Promise<FaultFigures> {
    const p = this.env.provider;
    const keeper = this.keeper.address.toLowerCase();
    const head = await this.head();
    let sent = this.droppedByReorg.length;
    let reverted = 0;
    let withoutAction = 0;
    for (let b = this.fromBlock; b <= head; b++) {
      const block = await p.getBlock(b, true);
      for (const tx of block?.prefetchedTransactions ?? []) {
        if (tx.from.toLowerCase() !== keeper) continue;
        sent++;
        const r = await p.getTransactionReceipt(tx.hash);
        if (r?.status === 0) reverted++;
        else if (!r?.logs.some((l) => l.topics[0] === ACTION_EXECUTED)) withoutAction++;
      }
    }
    const executed = await this.executedKeys();
    const lines = this.keepers.flatMap((k) => k.lines);
    const planned = new Map<string, { market: string; kind: string; at: number }>();
    for (const l of lines)
      if ((l.message === "action enqueued" || l.message === "action enqueued again") && typeof l.actionKey === "string")
        planned.set(l.actionKey.toLowerCase(), { market: String(l.market), kind: String(l.kind), at: l.at });
    let lost = 0;
    for (const [key, p0] of planned) {
      if (executed.has(key)) continue;
      // Superseded: a later action of the same kind on the same market landed (the next epoch's key).
      const later = [...planned.entries()].some(([k2, p2]) => k2 !== key && executed.has(k2) && p2.market === p0.market && p2.kind === p0.kind && p2.at >= p0.at);
      if (!later) lost++;
    }
    const alerts: Record<string, number> = {};
    for (const a of this.env.webhook.alerts) if (a.kind !== "level") alerts[a.kind] = (alerts[a.kind] ?? 0) + 1;
    return {
      fault: this.fault,
      actions_planned: planned.size,
      txs_sent: sent,
      txs_reverted: reverted,
      keys_executed: executed.size,
      duplicates: [...executed.values()].reduce((s, n) => s + n - 1, 0) + withoutAction,
      lost,
      recovery_s: recovery,
      alerts,
    };
  }

  private async until(cond: () => Promise<boolean>, timeoutMs: number): Promise<number> {
    const start = Date.now();
    while (!(await cond())) {
      if (Date.now() - start > timeoutMs)
        throw new Error(`${this.fault}: condition not met within ${timeoutMs} ms; last keeper output:\n${this.keepers.map((k) => k.output.slice(-3000)).join("\n---\n")}`);
      await sleep(50);
    }
    return Date.now();
  }
}

interface LogLine {
  message?: string;
  at: number;
  [field: string]: unknown;
}

/** `svr-keeper run` as a real process; its JSON log lines kept with the time they arrived. */
class KeeperProcess {
  readonly lines: LogLine[] = [];
  output = "";
  private readonly child: ChildProcess;
  private readonly exited: Promise<void>;

  constructor(config: string, env: Record<string, string>) {
    this.child = spawn(process.execPath, cliCommand(["run", "--config", config]), {
      cwd: ROOT,
      env: { ...process.env, TS_NODE_PROJECT: join(ROOT, "tsconfig.json"), ...env },
      stdio: ["ignore", "pipe", "pipe"],
    });
    let partial = "";
    const take = (d: Buffer) => {
      const text = partial + d.toString();
      this.output = (this.output + d.toString()).slice(-200_000);
      const parts = text.split("\n");
      partial = parts.pop()!;
      for (const line of parts) {
        if (!line.startsWith("{")) continue;
        try {
          this.lines.push({ ...(JSON.parse(line) as Record<string, unknown>), at: Date.now() });
        } catch {
          // not a log line
        }
      }
    };
    this.child.stdout!.on("data", take);
    this.child.stderr!.on("data", take);
    this.exited = new Promise((r) => this.child.once("exit", () => r()));
  }

  firstAfter(pred: (l: LogLine) => boolean, after: number): number | undefined {
    return this.lines.find((l) => l.at >= after && pred(l))?.at;
  }

  async waitFor(pred: (l: LogLine) => boolean, after: number, timeoutMs: number): Promise<void> {
    const start = Date.now();
    while (this.firstAfter(pred, after) === undefined) {
      if (this.child.exitCode !== null) throw new Error(`keeper process exited (${this.child.exitCode}); its output:\n${this.output.slice(-4000)}`);
      if (Date.now() - start > timeoutMs) throw new Error(`keeper: expected log line not seen within ${timeoutMs} ms; its output:\n${this.output.slice(-4000)}`);
      await sleep(50);
    }
  }

  async stop(): Promise<void> {
    if (this.child.exitCode !== null || this.child.signalCode !== null) return;
    this.child.kill("SIGTERM");
    const timer = setTimeout(() => this.child.kill("SIGKILL"), 15_000);
    await this.exited;
    clearTimeout(timer);
  }
}

interface Webhook {
  server: Server;
  url: string;
  alerts: { kind: string; message: string; at: number }[];
}

async function startWebhook(): Promise<Webhook> {
  const alerts: Webhook["alerts"] = [];
  const server = createServer((req, res) => {
    let body = "";
    req.on("data", (d) => (body += d));
    req.on("end", () => {
      try {
        const a = JSON.parse(body) as { kind: string; message: string };
        alerts.push({ kind: a.kind, message: a.message, at: Date.now() });
      } catch {
        // not an alert
      }
      res.writeHead(200).end();
    });
  });
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", () => r()));
  return { server, url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/alerts`, alerts };
}

function writeTemp(config: unknown): string {
  const path = join(mkdtempSync(join(tmpdir(), "svr-faults-")), "config.json");
  writeFileSync(path, JSON.stringify(config, null, 2));
  return path;
}

function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}

/** The goals: nothing lost or duplicated, recovery within 3 intervals after Redis returns, a reorged action back within 2 blocks, an alert for every fault. */
export function faultGoalsMet({ figures: f, reorgBackInBlocks }: FaultResult): string[] {
  const misses: string[] = [];
  if (reorgBackInBlocks !== undefined && reorgBackInBlocks > 2) misses.push(`reorged action back on-chain ${reorgBackInBlocks} blocks after the reorg (> 2)`);
  if (f.lost !== 0) misses.push(`${f.lost} lost`);
  if (f.duplicates !== 0) misses.push(`${f.duplicates} duplicates`);
  if (Object.keys(f.alerts).length === 0) misses.push("no alert");
  // One keeper's own action, back in the pool after a reorg, is not "changed by someone else"; two keepers on one key (split brain) are.
  if (f.fault !== "split-brain" && (f.alerts.changedByOther ?? 0) > 0) misses.push(`${f.alerts.changedByOther} changedByOther alert(s) with no other keeper`);
  if ((f.fault === "redis-flushall" || f.fault === "redis-restart-empty" || f.fault === "sentinel-failover") && f.recovery_s > 3 * INTERVAL_S) misses.push(`recovery ${f.recovery_s} s > 3 intervals`);
  return misses;
}
