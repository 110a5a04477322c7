import { expect } from "chai";
import { PassThrough } from "node:stream";
import Redis from "ioredis";
import { Transaction, Wallet } from "ethers";
import { Worker, type Queue } from "bullmq";
import { ethers } from "hardhat";
import { NonceManager } from "../../../src/chain/nonce";
import { ProcessNonceStore } from "../../../src/chain/nonce-store";
import type { Alert } from "../../../src/keeper/ports";
import { createLogger } from "../../../src/log/logger";
import { Redactor } from "../../../src/log/redact";
import type { PlannedAction } from "../../../src/policy";
import { actQueueName, openActQueue, type ActJobData } from "../../../src/queue/act-queue";
import { observeScheduler, openObserveQueue } from "../../../src/queue/observe-queue";
import { assertNoEviction } from "../../../src/queue/redis-preflight";
import { accountNonce, poolNonce } from "../../../src/rpc/reads";
import { enqueuePlanned, inFlightActions } from "../../../src/service/enqueue-planned";
import { KeeperHealth } from "../../../src/service/health";
import { KeeperMetrics, serveMetrics } from "../../../src/service/metrics";
import { QueueGuard } from "../../../src/service/self-heal";
import { fundedWallet, manualChain } from "../../helpers/chain";
import { TestRedisServer } from "../../helpers/redis-server";

const logger = createLogger({ level: "error", redactor: new Redactor(), stream: new PassThrough() });
const signer = "0x" + "ab".repeat(20);

function planned(key: string, market = "ETH-USD", kind: "setMarginRatios" | "deleverage" = "setMarginRatios"): PlannedAction {
  const action = kind === "setMarginRatios" ? { kind, market, imrBps: 1200n, mmrBps: 600n } : { kind, market, reductions: [{ positionId: 1n, sizeDelta: 10n ** 18n }] };
  return {
    action,
    urgency: "act",
    reason: { metric: "svr", level: "act", observed: 0.18, threshold: 0.2 },
    expected: { metric: "breakingShock", before: 0.05, after: 0.3 },
    note: "",
    provenance: { idempotencyKey: key, evidenceHash: "0x" + "ee".repeat(32) },
  } as PlannedAction;
}

describe("self-healing pieces (a Redis of the test's own, a served chain)", function () {
  this.timeout(60_000);
  let server: TestRedisServer;
  let redis: Redis;
  const queues: Queue[] = [];
  const prefix = "heal";

  before(async () => {
    server = await TestRedisServer.start();
    redis = new Redis({ port: server.port, maxRetriesPerRequest: null });
  });

  after(async () => {
    for (const q of queues) await q.close();
    redis.disconnect();
    await server.down();
  });

  it("re-creates a lost observe scheduler and queue meta after FLUSHALL, and alerts once; refuses a server that may evict", async () => {
    const connection = { port: server.port, maxRetriesPerRequest: null };
    const act = await openActQueue(31337n, signer, { connection, prefix });
    const observe = await openObserveQueue("p1", { everyMs: 1000 }, { connection, prefix });
    // Fed by a head follower, not a clock: only its meta is guarded, and a clock is never created for it.
    const heads = await openObserveQueue("p2", { everyBlock: true }, { connection, prefix });
    queues.push(act, observe, heads);
    const alerts: Alert[] = [];
    const guard = new QueueGuard([{ queue: act }, { queue: observe, protocol: "p1", scheduler: observeScheduler("p1", 1000) }, { queue: heads, protocol: "p2" }], {
      preflight: async () => void (await assertNoEviction(redis)),
      alert: (a) => alerts.push(a),
      logger,
    });
    expect(await guard.check()).to.deep.equal({ status: "ok" });

    await server.flushAll();
    const healed = await guard.check();
    expect(healed.status).to.equal("reasserted");
    expect(healed.status === "reasserted" && healed.lost).to.include.members([`${act.name}: global concurrency`, `${observe.name}: job scheduler tick-p1`]);
    expect(await observe.getJobScheduler("tick-p1")).to.not.equal(undefined);
    expect(await act.getGlobalConcurrency()).to.equal(1);
    expect(healed.status === "reasserted" && healed.lost).to.include(`${heads.name}: global concurrency`);
    expect(await heads.getGlobalConcurrency()).to.equal(1);
    expect(await heads.getJobScheduler("tick-p2")).to.equal(undefined);
    expect(alerts.map((a) => a.kind)).to.deep.equal(["lostScheduler"]);
    expect(await guard.check()).to.deep.equal({ status: "ok" });

    // The server that answers now may evict: nothing is re-created on it, and the operator hears why.
    await redis.config("SET", "maxmemory-policy", "allkeys-lru");
    await server.flushAll();
    const refused = await guard.check();
    expect(refused.status).to.equal("unreachable");
    expect(refused.status === "unreachable" && refused.error).to.include("noeviction");
    expect(await observe.getJobScheduler("tick-p1")).to.equal(undefined);
    expect(alerts[1].kind).to.equal("lostScheduler");
    expect(alerts[1].message).to.include("could not be re-created");
    await redis.config("SET", "maxmemory-policy", "noeviction");
    expect((await guard.check()).status).to.equal("reasserted");
  });

  it("re-enqueues a completed action whose key the steward has not executed (reorged), and plans nothing over an action in flight", async () => {
    const queue = await openActQueue(31337n, "0x" + "cd".repeat(20), { connection: { port: server.port, maxRetriesPerRequest: null }, prefix });
    queues.push(queue);
    const data = (p: PlannedAction): ActJobData => ({ protocol: "p1", signer, planned: p });
    const k1 = "0x" + "01".repeat(32);
    const ran: string[] = [];
    const worker = new Worker(queue.name, async (job) => void ran.push(job.id!), { connection: { port: server.port, maxRetriesPerRequest: null }, prefix });
    try {
      expect((await enqueuePlanned(queue, data(planned(k1)), new Map(), async () => false)).status).to.equal("enqueued");
      while (ran.length < 1) await new Promise((r) => setTimeout(r, 20));
      await new Promise((r) => setTimeout(r, 100));
      // The chain says the key was executed: a re-plan is a duplicate. It says not: the block was reorged away.
      expect((await enqueuePlanned(queue, data(planned(k1)), new Map(), async () => true)).status).to.equal("duplicate");
      expect(await enqueuePlanned(queue, data(planned(k1)), new Map(), async () => false)).to.deep.include({ status: "reenqueued", reason: "reorged" });
      while (ran.length < 2) await new Promise((r) => setTimeout(r, 20));
    } finally {
      await worker.close();
    }
    // No worker now: a deleverage chunk waits in the queue. The next observation's chunk (a new key) is not planned over it.
    const chunk = data(planned("0x" + "02".repeat(32), "SOL-USD", "deleverage"));
    expect((await enqueuePlanned(queue, chunk, new Map(), async () => false)).status).to.equal("enqueued");
    const inFlight = await inFlightActions(queue);
    const again = await enqueuePlanned(queue, data(planned("0x" + "03".repeat(32), "SOL-USD", "deleverage")), inFlight, async () => false);
    expect(again.status).to.equal("inFlight");
    // Another market is not held back.
    expect((await enqueuePlanned(queue, data(planned("0x" + "04".repeat(32), "BTC-USD", "deleverage")), inFlight, async () => false)).status).to.equal("enqueued");
    expect(queue.name).to.equal(actQueueName(31337n, "0x" + "cd".repeat(20)));
  });

  it("/healthz answers 503 with the reason for a stale observation, an unreachable Redis and a lost executor", async () => {
    let now = 1_000_000;
    let redisUp = true;
    let executorLost: string | undefined;
    const metrics = new KeeperMetrics();
    const health = new KeeperHealth(
      [{ id: "p1", intervalMs: 2000 }],
      5,
      metrics,
      { redis: async () => void (redisUp || (await Promise.reject(new Error("connect ECONNREFUSED")))), executor: async () => executorLost },
      () => now,
    );
    const served = await serveMetrics(
      metrics,
      0,
      async () => health.refreshGauges(),
      () => health.report(),
    );
    const get = async () => {
      const res = await fetch(`http://127.0.0.1:${served.port}/healthz`);
      return { code: res.status, body: await res.text() };
    };
    try {
      expect(await get()).to.deep.equal({ code: 200, body: "ok\n" });
      now += 10_001; // 5 intervals of 2 s, and a millisecond
      let h = await get();
      expect(h.code).to.equal(503);
      expect(h.body).to.match(/observation of p1 is stale: last completed 10\.0s ago \(limit 10\.0s, 5 intervals\)/);
      await health.observed("p1");
      health.actionLanded("p1", 1234);
      expect((await get()).code).to.equal(200);
      redisUp = false;
      h = await get();
      expect(h.code).to.equal(503);
      expect(h.body).to.include("redis unreachable: connect ECONNREFUSED");
      redisUp = true;
      executorLost = "no worker is connected to act-1-0xab";
      h = await get();
      expect(h.body).to.include("act queue has lost its executor: no worker is connected");
      now += 3000;
      const body = await (await fetch(`http://127.0.0.1:${served.port}/metrics`)).text();
      expect(body).to.include('svr_keeper_last_observation_age_seconds{protocol="p1"} 3');
      expect(body).to.include('svr_keeper_last_action_block{protocol="p1"} 1234');
      // Another process observed p1 more recently: this one is healthy on its word.
      // It starts (its own clock from then) after the other's observation, and its own stays stale.
      let t = now + 60_000;
      let shared = 0;
      const seen = new KeeperHealth([{ id: "p1", intervalMs: 2000 }], 5, new KeeperMetrics(), { redis: async () => undefined, executor: async () => undefined }, () => t, {
        record: async () => undefined,
        read: async () => (shared ? shared : undefined),
      });
      t += 11_000; // its own clock alone would be stale now
      shared = t - 1_000;
      expect((await seen.report()).ok).to.equal(true);
      t = shared + 10_001;
      expect((await seen.report()).reasons[0]).to.include("observation of p1 is stale");
    } finally {
      served.server.close();
    }
  });

  it("never hands out a nonce whose transaction waits in the pool after its record vanished (counts from the pending tag)", async () => {
    const chain = await manualChain();
    try {
      const wallet = await fundedWallet(chain.provider);
      // A transaction of ours in the pool, and no record of it (Redis lost it).
      const fee = await chain.provider.getFeeData();
      const tx = await wallet.signTransaction({
        to: Wallet.createRandom().address,
        value: 1n,
        nonce: 0,
        gasLimit: 21_000n,
        chainId: 31337n,
        maxFeePerGas: fee.maxFeePerGas!,
        maxPriorityFeePerGas: fee.maxPriorityFeePerGas!,
        type: 2,
      });
      await chain.provider.send("eth_sendRawTransaction", [tx]);
      expect(Transaction.from(tx).nonce).to.equal(0);
      const latest = () => accountNonce(chain.provider, wallet.address);
      const withPool = new NonceManager(new ProcessNonceStore(), 31337n, wallet.address, latest, { poolNonce: () => poolNonce(chain.provider, wallet.address) });
      expect((await withPool.withLock((lock) => withPool.reserve("next", "public", lock))).nonce).to.equal(1);
      // Counting only mined transactions would sign a second transaction over it.
      const latestOnly = new NonceManager(new ProcessNonceStore(), 31337n, wallet.address, latest);
      expect((await latestOnly.withLock((lock) => latestOnly.reserve("next", "public", lock))).nonce).to.equal(0);
      expect(await ethers.provider.getTransactionCount(wallet.address, "pending")).to.equal(1);
    } finally {
      await chain.close();
    }
  });
});
