import { spawn } from "node:child_process";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { JsonRpcProvider, Wallet, type Signer } from "ethers";
import Redis from "ioredis";
import type { Queue } from "bullmq";
import { startEmbeddedNode, type EmbeddedNode } from "../../src/embedded/hardhat-node";
import { deployReferenceSystem, paramId, type ReferenceSystem } from "../../src/embedded/reference-system";
import { textToMarketId } from "../../src/protocols/units";
import { canonicalJson, idempotencyKey, keccakText, type PlannedAction } from "../../src/policy";
import { enqueueAction, openActQueue } from "../../src/queue/act-queue";
import { CRASH_ENV, CRASH_POINTS, CRASH_SEED_ENV, type CrashPoint } from "../../src/util/crashpoint";
import { mulberry32 } from "../../src/util/prng";
import { cliCommand } from "../../test/helpers/cli";

const ROOT = join(__dirname, "..", "..");
const PROTOCOL_ID = "ref-perps";
const KEY_ENV = "KILL9_KEEPER_KEY";

export interface Kill9Options {
  /** Hardhat's ethers (the in-process chain the embedded node serves): deploys and governs. */
  ethers: { getSigners(): Promise<Signer[]>; provider: { send(method: string, params: unknown[]): Promise<unknown> } };
  /** Intended actions enqueued at the start. */
  actions: number;
  /**
   * Where each keeper process is killed: an explicit sequence (one process per entry), or random
   * points (seeded) until at least `minKills` processes died and every job is done — topped up
   * with `topUp` more actions whenever the queue empties first.
   */
  crash: { sequence: CrashPoint[] } | { seed: number; minKills: number; topUp: number };
  /** Act-job lock lifetime and stalled check of the keeper processes: how fast a dead process's job comes back. */
  lockDurationMs?: number;
  stalledIntervalMs?: number;
  /** A keeper process that neither died nor emptied the queue within this is a failure. */
  cycleTimeoutMs?: number;
  redisUrl?: string;
  log?: (line: string) => void;
}

export interface Kill9Figures {
  cycles: number;
  kills: number;
  killsByPoint: Record<CrashPoint, number>;
  actions: number;
  /** Intended keys with exactly one ActionExecuted. */
  landedOnce: number;
  /** ActionExecuted beyond the first of a key, plus keeper transactions beyond one per landed action (a second send). */
  duplicates: number;
  /** Intended keys never executed. */
  lost: number;
  /** ActionExecuted of keys nobody intended (the keeper's own policy acting would distort the count). */
  unexpected: number;
  keeperTransactions: number;
  failedJobs: number;
  /** Actions finished by taking over a transaction a killed process had signed, and ones the steward reported already executed. */
  resumed: number;
  alreadyExecuted: number;
  /** Attempts the keeper classed as expired or as changed by someone else: none should happen here. */
  expired: number;
  changedByOther: number;
  wallSeconds: number;
}

/**
 * The kill -9 run: an embedded chain with the reference protocol and a steward, N independent
 * actions (each on a market of its own, compare-and-set against its initial margins) in the act queue, and keeper processes
 * (`svr-keeper run`, the real service) started one after another, each SIGKILLing itself at a
 * crash point, until every job is done. Then the steward's ActionExecuted events are counted.
 */
export async function runKill9(opts: Kill9Options): Promise<Kill9Figures> {
  const started = Date.now();
  const log = opts.log ?? (() => undefined);
  const node = await startEmbeddedNode();
  const provider = new JsonRpcProvider(node.url, 31337, { staticNetwork: true, pollingInterval: 100 });
  const redisUrl = opts.redisUrl ?? "redis://127.0.0.1:6379";
  const prefix = `kill9${process.pid}${Date.now()}`;
  const u = new URL(redisUrl);
  const connection = { host: u.hostname, port: Number(u.port || 6379), maxRetriesPerRequest: null };
  let queue: Queue | undefined;
  try {
    const [governance] = await opts.ethers.getSigners();
    const system = await deployReferenceSystem(governance);
    const keeper = Wallet.createRandom();
    await opts.ethers.provider.send("hardhat_setBalance", [keeper.address, "0x3635C9ADC5DEA00000"]);
    await (await system.steward.setKeeper(keeper.address, true)).wait();

    queue = await openActQueue(31337n, keeper.address, { connection, prefix });
    const intended: PlannedAction[] = [];
    const validUntil = BigInt(Number((await provider.getBlock("latest"))!.timestamp) + 86_400);
    const enqueue = async (count: number) => {
      for (let i = 0; i < count; i++) {
        await addActionMarket(system, intended.length);
        const planned = intendedAction(intended.length, prefix, validUntil);
        intended.push(planned);
        await enqueueAction(queue!, { protocol: PROTOCOL_ID, signer: keeper.address, planned });
      }
    };
    await enqueue(opts.actions);
    const config = await keeperConfig(system, node, redisUrl, prefix, opts);

    const killsByPoint = Object.fromEntries(CRASH_POINTS.map((p) => [p, 0])) as Record<CrashPoint, number>;
    let cycles = 0;
    let resumed = 0;
    let alreadyExecuted = 0;
    let expired = 0;
    let changedByOther = 0;
    const rand = "seed" in opts.crash ? mulberry32(opts.crash.seed) : undefined;
    const sequence = "sequence" in opts.crash ? [...opts.crash.sequence] : [];
    const kills = () => Object.values(killsByPoint).reduce((a, b) => a + b, 0);
    for (;;) {
      const done = await allJobsDone(queue, intended.length);
      if (done) {
        if ("minKills" in opts.crash && kills() < opts.crash.minKills) {
          await enqueue(opts.crash.topUp);
          log(`queue empty after ${kills()} kills: ${opts.crash.topUp} more actions (${intended.length} in all)`);
        } else if (sequence.length === 0) break;
      }
      const point: CrashPoint | undefined = rand ? CRASH_POINTS[Math.floor(rand() * CRASH_POINTS.length)] : sequence[0];
      cycles++;
      const run = await runKeeper(config, keeper.privateKey, point, queue, intended.length, opts.cycleTimeoutMs ?? 120_000, rand ? Math.floor(rand() * 2 ** 31) : cycles);
      resumed += run.resumed;
      alreadyExecuted += run.alreadyExecuted;
      expired += run.expired;
      changedByOther += run.changedByOther;
      if (run.killedAt) {
        killsByPoint[run.killedAt]++;
        if (!rand) sequence.shift();
      } else if (point && !rand) {
        throw new Error(`keeper process ${cycles} emptied the queue without reaching ${point}: the sequence needs more actions`);
      }
      log(`cycle ${cycles}: ${run.killedAt ? `killed at ${run.killedAt}` : "stopped (queue empty)"} after ${(run.ms / 1000).toFixed(1)} s; ${await doneCount(queue)}/${intended.length} jobs done`);
    }

    const executed = await system.steward.queryFilter(system.steward.filters.ActionExecuted(), 0, "latest");
    const byKey = new Map<string, number>();
    for (const e of executed) byKey.set(String(e.args.key).toLowerCase(), (byKey.get(String(e.args.key).toLowerCase()) ?? 0) + 1);
    const keys = intended.map((p) => p.provenance.idempotencyKey.toLowerCase());
    const landedOnce = keys.filter((k) => byKey.get(k) === 1).length;
    const lost = keys.filter((k) => !byKey.has(k)).length;
    const extraEvents = keys.reduce((s, k) => s + Math.max(0, (byKey.get(k) ?? 0) - 1), 0);
    const unexpected = [...byKey.keys()].filter((k) => !keys.includes(k)).length;
    const keeperTransactions = Number(await provider.send("eth_getTransactionCount", [keeper.address, "latest"]));
    const landedKeys = keys.filter((k) => byKey.has(k)).length;
    return {
      cycles,
      kills: kills(),
      killsByPoint,
      actions: intended.length,
      landedOnce,
      duplicates: extraEvents + Math.max(0, keeperTransactions - landedKeys - unexpected),
      lost,
      unexpected,
      keeperTransactions,
      failedJobs: await queue.getJobCountByTypes("failed"),
      resumed,
      alreadyExecuted,
      expired,
      changedByOther,
      wallSeconds: Math.round((Date.now() - started) / 100) / 10,
    };
  } finally {
    if (queue) {
      await queue.obliterate({ force: true }).catch(() => undefined);
      await queue.close();
    }
    const redis = new Redis(redisUrl);
    const left = await redis.keys(`${prefix}:*`);
    if (left.length) await redis.del(...left);
    redis.disconnect();
    provider.destroy();
    await node.close();
  }
}

const ACTION_MARKET_MARGINS = { imrBps: 1000n, mmrBps: 500n };
const actionMarket = (i: number) => `K9-${i}`;

/**
 * Every intended action has a market of its own (listed by governance on the first market's feed,
 * with no positions), so that the actions are independent: each names the margins it expects to
 * replace (compare-and-set), and they may land in any order the queue and the kills produce.
 */
async function addActionMarket(system: ReferenceSystem, i: number): Promise<void> {
  const id = textToMarketId(actionMarket(i));
  const cap = 10n ** 24n;
  await (await system.perps.addMarket(id, await system.markets[0].feed.getAddress(), 3600, ACTION_MARKET_MARGINS.imrBps, ACTION_MARKET_MARGINS.mmrBps, 100, cap, cap)).wait();
  const bounds = { min: 100, max: 9000, maxTighten: 10_000, maxLoosen: 10_000, tightenDelay: 0, loosenDelay: 0, tightenIsIncrease: true, relative: true };
  for (const p of ["IMR", "MMR"] as const) await (await system.steward.setBounds(id, paramId(p), bounds)).wait();
}

/** Action i: a margin raise on its own market, valid for a day (nothing expires during a run). */
function intendedAction(i: number, run: string, validUntil: bigint): PlannedAction {
  const market = actionMarket(i);
  const action = { kind: "setMarginRatios" as const, market, imrBps: 1200n, mmrBps: 600n, expected: ACTION_MARKET_MARGINS };
  return {
    action,
    urgency: "act",
    reason: { metric: "svr", level: "act", observed: 0.18, threshold: 0.2 },
    expected: { metric: "svr", before: 0.18, after: 0.2 },
    note: `kill9 action ${i}`,
    provenance: {
      idempotencyKey: idempotencyKey(PROTOCOL_ID, market, action.kind, { imrBps: action.imrBps, mmrBps: action.mmrBps }, i),
      evidenceHash: keccakText(canonicalJson({ run, i })),
      validUntil,
    },
  };
}

async function keeperConfig(system: ReferenceSystem, node: EmbeddedNode, redisUrl: string, prefix: string, opts: Kill9Options): Promise<string> {
  const pools: Record<string, string> = {};
  for (const m of system.markets) pools[m.name] = await m.pool.getAddress();
  const config = {
    chain: { chainId: 31337, rpcUrl: node.url },
    protocols: [
      {
        id: PROTOCOL_ID,
        adapter: "reference",
        protocol: await system.perps.getAddress(),
        steward: await system.steward.getAddress(),
        multicall: await system.multicall.getAddress(),
        pools,
        // Observation as rare as the schema allows, and never a relaxation: only the enqueued actions act.
        observe: { intervalSeconds: 3600 },
        policy: { defaults: { recoveryObservations: 1_000_000 } },
      },
    ],
    keeper: { signerKeyEnv: KEY_ENV, confirmations: 1, maxFeePerGasGwei: 300, stuckAfterBlocks: 3 },
    redis: { url: redisUrl, prefix },
    queue: { lockDurationMs: opts.lockDurationMs ?? 2000, stalledIntervalMs: opts.stalledIntervalMs ?? 500 },
    metrics: { port: 0 },
    log: { level: "info" },
  };
  const path = join(mkdtempSync(join(tmpdir(), "svr-kill9-")), "config.json");
  writeFileSync(path, JSON.stringify(config, null, 2));
  return path;
}

interface KeeperRun {
  killedAt?: CrashPoint;
  ms: number;
  resumed: number;
  alreadyExecuted: number;
  expired: number;
  changedByOther: number;
}

/** One keeper process: until it kills itself, or (when the queue is empty) until it is stopped with SIGTERM. */
async function runKeeper(config: string, key: string, point: CrashPoint | undefined, queue: Queue, total: number, timeoutMs: number, seed: number): Promise<KeeperRun> {
  const start = Date.now();
  const child = spawn(process.execPath, cliCommand(["run", "--config", config]), {
    cwd: ROOT,
    env: { ...process.env, TS_NODE_PROJECT: join(ROOT, "tsconfig.json"), [KEY_ENV]: key, ...(point ? { [CRASH_ENV]: point, [CRASH_SEED_ENV]: String(seed) } : {}) },
    stdio: ["ignore", "pipe", "pipe"],
  });
  let output = "";
  const keep = (d: Buffer) => (output = (output + d.toString()).slice(-200_000));
  child.stdout!.on("data", keep);
  child.stderr!.on("data", keep);
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((r) => child.once("exit", (code, signal) => r({ code, signal })));
  let exit: { code: number | null; signal: NodeJS.Signals | null } | undefined;
  void exited.then((e) => (exit = e));
  try {
    while (!exit) {
      if (Date.now() - start > timeoutMs) throw new Error(`keeper process neither died nor finished within ${timeoutMs} ms (crash point ${point ?? "none"}); its last output:\n${output.slice(-4000)}`);
      if (await allJobsDone(queue, total)) {
        child.kill("SIGTERM");
        await exited;
        break;
      }
      await new Promise((r) => setTimeout(r, 200));
    }
    const e = exit ?? (await exited);
    const lines = output
      .split("\n")
      .filter((l) => l.startsWith("{"))
      .map((l) => JSON.parse(l) as Record<string, unknown>);
    const crashed = lines.find((l) => l.crashPoint !== undefined)?.crashPoint as CrashPoint | undefined;
    if (e.signal === "SIGKILL" && !crashed) throw new Error(`keeper process was killed without reaching a crash point; its last output:\n${output.slice(-4000)}`);
    if (e.signal !== "SIGKILL" && e.code !== 0) throw new Error(`keeper process exited with ${e.code ?? e.signal}; its last output:\n${output.slice(-4000)}`);
    if (crashed && crashed !== point) throw new Error(`keeper process died at ${crashed}, but was set to die at ${point}`);
    return {
      killedAt: e.signal === "SIGKILL" ? crashed : undefined,
      ms: Date.now() - start,
      resumed: lines.filter((l) => l.message === "action included" && l.resumed === true).length,
      alreadyExecuted: lines.filter((l) => l.message === "action already executed on-chain").length,
      expired: lines.filter((l) => String(l.message).startsWith("action expired")).length,
      changedByOther: lines.filter((l) => String(l.message).startsWith("the values this action expected were changed")).length,
    };
  } finally {
    if (!exit) child.kill("SIGKILL");
  }
}

async function doneCount(queue: Queue): Promise<number> {
  return queue.getJobCountByTypes("completed", "failed");
}

async function allJobsDone(queue: Queue, total: number): Promise<boolean> {
  return (await doneCount(queue)) >= total;
}

/** One line per figure, then the whole as one JSON line (what a CI or a person greps for). */
export function formatFigures(f: Kill9Figures): string {
  return [
    `kills:              ${f.kills} in ${f.cycles} keeper processes (${CRASH_POINTS.map((p) => `${p} ${f.killsByPoint[p]}`).join(", ")})`,
    `actions:            ${f.actions}`,
    `landed once:        ${f.landedOnce}`,
    `duplicates:         ${f.duplicates}`,
    `lost:               ${f.lost}`,
    `unexpected actions: ${f.unexpected}`,
    `keeper txs:         ${f.keeperTransactions}`,
    `failed jobs:        ${f.failedJobs}`,
    `resumed after kill: ${f.resumed} (taken over a signed transaction), ${f.alreadyExecuted} (already executed: own key found in the steward's log)`,
    `expired / changed by another: ${f.expired} / ${f.changedByOther}`,
    `wall time:          ${f.wallSeconds} s`,
    JSON.stringify(f),
  ].join("\n");
}

export function exactlyOnce(f: Kill9Figures): boolean {
  return f.landedOnce === f.actions && f.lost === 0 && f.duplicates === 0 && f.unexpected === 0 && f.failedJobs === 0 && f.changedByOther === 0;
}
