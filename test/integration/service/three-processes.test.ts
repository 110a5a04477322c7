import { expect } from "chai";
import { spawn, type ChildProcess } from "node:child_process";
import { join } from "node:path";
import { ethers } from "hardhat";
import { Wallet } from "ethers";
import Redis from "ioredis";
import { Queue } from "bullmq";
import { openBook, syntheticIntents } from "../../../src/embedded/book";
import { startEmbeddedNode, type EmbeddedNode } from "../../../src/embedded/hardhat-node";
import { actQueueName } from "../../../src/queue/act-queue";
import { marketIdToText } from "../../../src/protocols/units";
import { actionChanges } from "../../../src/steward/events";
import { observeQueueName } from "../../../src/queue/observe-queue";
import { referenceFixture, type ReferenceFixture } from "../../contracts/fixtures";
import { cliCommand, writeConfig } from "../../helpers/cli";
import { freePort } from "../../helpers/redis-server";

const ROOT = join(__dirname, "..", "..", "..");
const PROTOCOL = "ref-perps";
/** How long two of the three stay dead: the issue's minute. */
const DOWN_MS = 60_000;
const OBSERVE_EVERY_S = 1;

interface LogLine {
  message: string;
  timestamp: string;
  [key: string]: unknown;
}

/** One `svr-keeper run` process and the JSON lines it wrote. */
class Keeper {
  child: ChildProcess | undefined;
  lines: LogLine[] = [];
  private text = "";

  constructor(
    readonly name: string,
    private readonly config: string,
    private readonly env: Record<string, string>,
  ) {}

  start(): void {
    this.text = "";
    this.child = spawn(process.execPath, cliCommand(["run", "--config", this.config]), {
      cwd: ROOT,
      env: { ...process.env, TS_NODE_PROJECT: join(ROOT, "tsconfig.json"), ...this.env },
      stdio: ["ignore", "pipe", "pipe"],
    });
    const take = (d: Buffer) => {
      this.text += d.toString();
      const complete = this.text.split("\n");
      this.text = complete.pop() ?? "";
      for (const l of complete) if (l.startsWith("{")) this.lines.push(JSON.parse(l) as LogLine);
    };
    this.child.stdout!.on("data", take);
    this.child.stderr!.on("data", take);
  }

  get alive(): boolean {
    return this.child !== undefined && this.child.exitCode === null && this.child.signalCode === null;
  }

  async stop(signal: NodeJS.Signals): Promise<void> {
    const child = this.child;
    if (!child || !this.alive) return;
    await new Promise<void>((r) => {
      child.once("exit", () => r());
      child.kill(signal);
    });
  }

  /** Observations this process made (acted on or not), each with its wall time and block. */
  observations(from: number, to: number): { at: number; block: number; markets: string[] }[] {
    return this.lines
      .filter((l) => l.protocol === PROTOCOL && (l.message === "observed" || l.message === "observation not acted on") && typeof l.block === "number")
      .map((l) => ({ at: Date.parse(l.timestamp), block: l.block as number, markets: Object.keys((l.levels as Record<string, string> | undefined) ?? {}) }))
      .filter((o) => o.at >= from && o.at <= to);
  }

  tail(): string {
    return this.lines
      .slice(-30)
      .map((l) => JSON.stringify(l))
      .join("\n");
  }
}

async function until(cond: () => Promise<boolean> | boolean, timeoutMs: number, what: string): Promise<void> {
  const start = Date.now();
  while (!(await cond())) {
    if (Date.now() - start > timeoutMs) throw new Error(`${what}: not within ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

describe("three keeper processes on one Redis and one chain: two killed for a minute, the third carries on", function () {
  this.timeout(240_000);
  let node: EmbeddedNode;
  let f: ReferenceFixture;
  let ticker: NodeJS.Timeout | undefined;
  const keepers: Keeper[] = [];
  const keeperKey = Wallet.createRandom().privateKey;
  const keeperAddress = new Wallet(keeperKey).address;
  const prefix = `svr3p${process.pid}${Date.now()}`;
  const connection = { host: "127.0.0.1", port: 6379, maxRetriesPerRequest: null };
  let observeQueue: Queue;
  let actQueue: Queue;

  before(async () => {
    // 40 positions (seed 5): every market healthy at deployment prices; BTC +20 % puts BTC-USD at `act`.
    f = await referenceFixture();
    await openBook(f, f.traders, syntheticIntents(f, 40, 5));
    await ethers.provider.send("hardhat_setBalance", [keeperAddress, "0x3635C9ADC5DEA00000"]);
    await (await f.steward.setKeeper(keeperAddress, true)).wait();
    node = await startEmbeddedNode();
    // A block a second: observations only run on a new head.
    ticker = setInterval(() => void ethers.provider.send("evm_mine", []).catch(() => undefined), 1000);
    observeQueue = new Queue(observeQueueName(PROTOCOL), { connection, prefix });
    actQueue = new Queue(actQueueName(31337n, keeperAddress), { connection, prefix });
  });

  after(async () => {
    clearInterval(ticker);
    await Promise.all(keepers.map((k) => k.stop("SIGKILL")));
    await observeQueue?.close();
    await actQueue?.close();
    await node?.close();
    const redis = new Redis();
    const keys = await redis.keys(`${prefix}:*`);
    if (keys.length) await redis.del(...keys);
    redis.disconnect();
  });

  async function configFor(): Promise<string> {
    const pools: Record<string, string> = {};
    for (const m of f.markets) pools[m.name] = await m.pool.getAddress();
    return writeConfig({
      chain: { chainId: 31337, rpcUrl: node.url },
      protocols: [
        {
          id: PROTOCOL,
          adapter: "reference",
          protocol: await f.perps.getAddress(),
          steward: await f.steward.getAddress(),
          multicall: await f.multicall.getAddress(),
          pools,
          observe: { intervalSeconds: OBSERVE_EVERY_S },
          policy: { defaults: { confirmations: 1 } },
        },
      ],
      keeper: { signerKeyEnv: "TEST_KEEPER_KEY", confirmations: 1, maxFeePerGasGwei: 300, stuckAfterBlocks: 3 },
      redis: { url: "redis://127.0.0.1:6379", prefix },
      queue: { lockDurationMs: 5000, stalledIntervalMs: 1000, observeLockDurationMs: 3000 },
      metrics: { port: await freePort() },
    });
  }

  /** What the steward changed, one entry per action: "BTC-USD LONG_CAP,SHORT_CAP". */
  async function changes(): Promise<string[]> {
    const actions = await f.steward.queryFilter(f.steward.filters.ActionExecuted());
    return Promise.all(
      actions.map(async (a) => {
        // The event names the action; its transaction's input names what moved (compare-and-set: expected = old).
        const call = actionChanges((await a.getTransaction()).data)!;
        const moved = call.changes.filter((c) => c.oldValue !== c.newValue);
        return `${marketIdToText(String(a.args.market))} ${moved.map((c) => marketIdToText(c.what)).join(",")}`;
      }),
    );
  }

  /** Each intended key executed once, and not one keeper transaction beyond one per executed action. */
  async function executedOnce(): Promise<{ executed: { args: { key: string }; transactionHash: string }[]; keeperTxs: number }> {
    const executed = await f.steward.queryFilter(f.steward.filters.ActionExecuted());
    const perKey = new Map<string, number>();
    for (const e of executed) perKey.set(String(e.args.key), (perKey.get(String(e.args.key)) ?? 0) + 1);
    expect(
      [...perKey.values()].every((n) => n === 1),
      "an idempotency key executed twice",
    ).to.equal(true);
    const keeperTxs = Number(await ethers.provider.send("eth_getTransactionCount", [keeperAddress, "latest"]));
    expect(keeperTxs, "keeper transactions beyond one per executed action (a second send)").to.equal(executed.length);
    return { executed, keeperTxs };
  }

  it("keeps every market observed and acts exactly once while two are dead, and duplicates nothing when they return", async () => {
    for (let i = 0; i < 3; i++) keepers.push(new Keeper(`keeper-${i}`, await configFor(), { TEST_KEEPER_KEY: keeperKey }));
    for (const k of keepers) k.start();
    await until(() => keepers.every((k) => k.lines.some((l) => l.message === "keeper running")), 60_000, "three keepers running");
    await until(() => keepers.reduce((n, k) => n + k.observations(0, Date.now()).length, 0) >= 5, 30_000, "first observations");
    expect((await f.steward.queryFilter(f.steward.filters.ActionExecuted())).length, "healthy before the breach").to.equal(0);

    // Killed while an observation is in flight when one is: the killed process's observe job keeps
    // the queue's single slot until its lock (observeLockDurationMs) expires and a stalled check
    // hands it to the survivor — a few seconds, which the gap assertion below bounds.
    const [survivor, ...victims] = [keepers[2], keepers[0], keepers[1]];
    await until(async () => (await observeQueue.getJobCounts("active")).active > 0, 20_000, "an observation in flight");
    const killedAt = Date.now();
    for (const v of victims) v.child!.kill("SIGKILL");
    await Promise.all(victims.map((v) => v.stop("SIGKILL")));

    // The breach, while they are down.
    await new Promise((r) => setTimeout(r, 5000));
    const breachAt = Date.now();
    await (await f.btc.feed.updateAnswer(ethers.parseUnits(String(f.btc.price * 1.2), 8))).wait();
    await until(async () => (await f.steward.queryFilter(f.steward.filters.ActionExecuted())).length > 0, 45_000, "the survivor acting on the breach").catch((e: Error) => {
      throw new Error(`${e.message}\n${survivor.tail()}`);
    });
    const actedAfterMs = Date.now() - breachAt;
    await new Promise((r) => setTimeout(r, Math.max(0, killedAt + DOWN_MS - Date.now())));
    const downMs = Date.now() - killedAt;

    const seen = survivor.observations(killedAt, killedAt + downMs);
    const times = [killedAt, ...seen.map((o) => o.at), killedAt + downMs];
    const maxGapMs = Math.max(...times.slice(1).map((t, i) => t - times[i]));
    const perMarket = Object.fromEntries(f.markets.map((m) => [m.name, seen.filter((o) => o.markets.includes(m.name)).length]));
    const during = await executedOnce();
    const survivorTxs = new Set(survivor.lines.filter((l) => l.message === "action included").map((l) => String(l.txHash)));
    console.log(
      `      down ${(downMs / 1000).toFixed(1)} s: survivor observed ${seen.length} times (every ${OBSERVE_EVERY_S} s scheduled), longest gap ${(maxGapMs / 1000).toFixed(1)} s, ` +
        `per market ${JSON.stringify(perMarket)}, blocks ${seen[0]?.block}→${seen[seen.length - 1]?.block}; ` +
        `breach acted on in ${(actedAfterMs / 1000).toFixed(1)} s: ${during.executed.length} action(s) [${(await changes()).join("; ")}], ${during.keeperTxs} keeper tx(s)`,
    );
    expect(victims.every((v) => !v.alive)).to.equal(true);
    expect(maxGapMs, "longest time without an observation while two were dead").to.be.below(10_000);
    for (const m of f.markets) expect(perMarket[m.name], `observations of ${m.name}`).to.be.at.least(downMs / 1000 / OBSERVE_EVERY_S / 4);
    expect(
      seen.every((o, i) => i === 0 || o.block > seen[i - 1].block),
      "each observation on a newer block",
    ).to.equal(true);
    expect(
      during.executed.every((e) => survivorTxs.has(e.transactionHash)),
      "every action sent by the survivor",
    ).to.equal(true);

    // They come back: the same configs, the same Redis. Nothing runs twice.
    for (const v of victims) v.start();
    const back = Date.now();
    await until(() => victims.every((v) => v.lines.filter((l) => l.message === "keeper running").length === 2), 60_000, "the two back");
    await until(() => keepers.reduce((n, k) => n + k.observations(back, Date.now()).length, 0) >= 10, 30_000, "observations after the return");
    const after = await executedOnce();
    const failed = await actQueue.getFailed();
    console.log(
      `      after the return: ${after.executed.length} action(s) [${(await changes()).join("; ")}], ${after.keeperTxs} keeper tx(s), failed act jobs ${failed.length}${failed.length ? `: ${failed.map((j) => j.failedReason).join("; ")}` : ""}`,
    );
    expect(after.executed.length).to.be.at.least(during.executed.length);
    // A failure after sending (reverted, nonce taken by another) would mean a second send or a lost one.
    expect(
      failed.filter((j) => !String(j.failedReason).startsWith("simulation reverts")),
      "act jobs failed after sending",
    ).to.deep.equal([]);
  });
});
