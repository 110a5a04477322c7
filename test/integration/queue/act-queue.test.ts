import { expect } from "chai";
import Redis from "ioredis";
import { Queue, type Job } from "bullmq";
import { actJobId, actQueueName, enqueueAction, openActQueue, PermanentActionError, startActWorker, type ActJobData } from "../../../src/queue/act-queue";
import { decodeJobData, encodeJobData } from "../../../src/queue/codec";
import { assertNoEviction, RedisPolicyError } from "../../../src/queue/redis-preflight";
import type { PlannedAction } from "../../../src/policy";
import { TestRedisServer } from "../../helpers/redis-server";

const connection = { host: "127.0.0.1", port: 6379, maxRetriesPerRequest: null };

function planned(key: string): PlannedAction {
  return {
    action: { kind: "setMarginRatios", market: "ETH-USD", imrBps: 1200n, mmrBps: 600n, expected: { imrBps: 1000n, mmrBps: 500n } },
    urgency: "act",
    reason: { metric: "svr", level: "act", observed: 0.18, threshold: 0.2 },
    expected: { metric: "breakingShock", before: 0.05, after: 0.3 },
    note: "",
    provenance: { idempotencyKey: key, evidenceHash: "0x" + "ee".repeat(32), validUntil: 4_000_000_000n },
  };
}

const signer = "0x" + "ab".repeat(20);

describe("act queue on real Redis", function () {
  this.timeout(60_000);
  const prefix = `svrtest${process.pid}${Date.now()}`;
  const cleanups: (() => Promise<unknown>)[] = [];
  afterEach(async () => {
    for (const c of cleanups.splice(0).reverse()) await c();
  });

  it("round-trips bigints through job data", () => {
    const data: ActJobData = { protocol: "ref", signer, planned: planned("0x" + "01".repeat(32)) };
    const back = decodeJobData<ActJobData>(encodeJobData(data));
    expect(back).to.deep.equal(data);
    expect(JSON.stringify(encodeJobData(data))).to.include('"imrBps":{"$bigint":"1200"}');
  });

  it("makes one job of the same action enqueued 100 times by 5 concurrent producers, and runs it once", async () => {
    const key = "0x" + "42".repeat(32);
    const producers = await Promise.all(Array.from({ length: 5 }, () => openActQueue(31337n, signer, { connection, prefix })));
    cleanups.push(async () => {
      await producers[0].obliterate({ force: true });
      await Promise.all(producers.map((q) => q.close()));
    });
    await Promise.all(producers.flatMap((q) => Array.from({ length: 20 }, () => enqueueAction(q, { protocol: "ref", signer, planned: planned(key) }))));
    const counts = await producers[0].getJobCounts("waiting", "active", "completed", "delayed", "prioritized");
    expect(Object.values(counts).reduce((a, b) => a + b, 0)).to.equal(1);
    let runs = 0;
    const worker = startActWorker(actQueueName(31337n, signer), async () => ++runs, { connection, prefix });
    cleanups.push(() => worker.close());
    const start = Date.now();
    while ((await producers[0].getJob(actJobId(key)))?.finishedOn === undefined && Date.now() - start < 10_000) await new Promise((res) => setTimeout(res, 20));
    expect((await producers[0].getJob(actJobId(key)))?.finishedOn).to.be.a("number");
    // After completion the retained id still refuses the duplicate.
    await enqueueAction(producers[1], { protocol: "ref", signer, planned: planned(key) });
    await new Promise((r) => setTimeout(r, 300));
    expect(runs).to.equal(1);
  });

  it("runs one action of a key at a time across two workers on separate connections", async () => {
    const queue = await openActQueue(31337n, signer, { connection, prefix: `${prefix}c` });
    cleanups.push(async () => {
      await queue.obliterate({ force: true });
      await queue.close();
    });
    let running = 0;
    let maxRunning = 0;
    let done = 0;
    const work = async () => {
      running++;
      maxRunning = Math.max(maxRunning, running);
      await new Promise((r) => setTimeout(r, 50));
      running--;
      done++;
    };
    const workers = [0, 1].map(() => startActWorker(actQueueName(31337n, signer), work, { connection: { ...connection }, prefix: `${prefix}c` }));
    cleanups.push(() => Promise.all(workers.map((w) => w.close())));
    for (let i = 0; i < 10; i++) await enqueueAction(queue, { protocol: "ref", signer, planned: planned("0x" + i.toString(16).padStart(64, "0")) });
    const start = Date.now();
    while (done < 10 && Date.now() - start < 20_000) await new Promise((r) => setTimeout(r, 20));
    expect(done).to.equal(10);
    expect(maxRunning).to.equal(1);
  });

  it("retries a transient failure with backoff and fails a permanent one at once", async () => {
    const queue = await openActQueue(31337n, signer, { connection, prefix: `${prefix}r`, attempts: 3, backoffMs: 250 }); // well above the ~100 ms jitter of delayed promotion
    cleanups.push(async () => {
      await queue.obliterate({ force: true });
      await queue.close();
    });
    const attempts: Record<string, number[]> = {};
    const worker = startActWorker(
      actQueueName(31337n, signer),
      async (data: ActJobData, job: Job) => {
        const k = data.planned.provenance.idempotencyKey;
        (attempts[k] ??= []).push(Date.now());
        if (k.endsWith("01")) throw new PermanentActionError("simulation reverts: NotKeeper(caller=0x…)");
        if (job.attemptsMade < 2) throw new Error("RPC timeout");
        return "ok";
      },
      { connection, prefix: `${prefix}r` },
    );
    cleanups.push(() => worker.close());
    const permanent = "0x" + "00".repeat(31) + "01";
    const transient = "0x" + "00".repeat(31) + "02";
    await enqueueAction(queue, { protocol: "ref", signer, planned: planned(permanent) });
    await enqueueAction(queue, { protocol: "ref", signer, planned: planned(transient) });
    const start = Date.now();
    while ((attempts[transient]?.length ?? 0) < 3 && Date.now() - start < 20_000) await new Promise((r) => setTimeout(r, 20));
    await new Promise((r) => setTimeout(r, 200));
    expect(attempts[permanent]).to.have.length(1);
    const failed = await queue.getJob(actJobId(permanent));
    expect(failed!.failedReason).to.include("NotKeeper");
    expect(attempts[transient]).to.have.length(3);
    // Exponential: the second wait is about twice the first.
    const [a, b, c] = attempts[transient];
    expect(c - b).to.be.greaterThan((b - a) * 1.5);
  });

  it("resumes a job whose worker died, however often it dies (BullMQ's default fails a job on its second stall)", async () => {
    const queue = await openActQueue(31337n, signer, { connection, prefix: `${prefix}s` });
    cleanups.push(async () => {
      await queue.obliterate({ force: true });
      await queue.close();
    });
    const key = "0x" + "5a".repeat(32);
    await enqueueAction(queue, { protocol: "ref", signer, planned: planned(key) });
    const fast = { connection, prefix: `${prefix}s`, lockDurationMs: 1000, stalledIntervalMs: 200 };
    for (let death = 0; death < 3; death++) {
      let started!: () => void;
      const running = new Promise<void>((res) => (started = res));
      // The "process" takes the job and dies holding it: no completion, no lock renewal.
      const dying = startActWorker(actQueueName(31337n, signer), () => (started(), new Promise<never>(() => undefined)), fast);
      dying.on("error", () => undefined);
      await running;
      await dying.close(true);
    }
    const finisher = startActWorker(actQueueName(31337n, signer), async () => "done", fast);
    cleanups.push(() => finisher.close());
    const start = Date.now();
    while ((await queue.getJob(actJobId(key)))?.finishedOn === undefined && Date.now() - start < 15_000) await new Promise((r) => setTimeout(r, 50));
    const job = await queue.getJob(actJobId(key));
    expect(await job!.getState()).to.equal("completed");
    expect(job!.returnvalue).to.equal("done");
    expect(job!.stalledCounter).to.be.at.least(3);
  });
});

describe("Redis preflight and outages (a Redis of the test's own)", function () {
  this.timeout(30_000);

  it("refuses a Redis that may evict keys, saying how to fix it", async () => {
    const server = await TestRedisServer.start({ maxmemoryPolicy: "allkeys-lru" });
    const redis = new Redis({ port: server.port });
    try {
      let error: unknown;
      try {
        await assertNoEviction(redis);
      } catch (e) {
        error = e;
      }
      expect(error).to.be.instanceOf(RedisPolicyError);
      expect((error as Error).message)
        .to.include('"allkeys-lru"')
        .and.to.include("CONFIG SET maxmemory-policy noeviction");
      await redis.config("SET", "maxmemory-policy", "noeviction");
      expect((await assertNoEviction(redis)).version).to.match(/^\d+\./);
    } finally {
      redis.disconnect();
      await server.down();
    }
  });

  it("processes every queued action after Redis is killed and comes back", async () => {
    const server = await TestRedisServer.start({ persistent: true });
    const conn = { port: server.port, maxRetriesPerRequest: null, retryStrategy: () => 100 };
    const queue = await openActQueue(31337n, signer, { connection: conn, prefix: "restart" });
    queue.on("error", () => undefined);
    for (let i = 0; i < 20; i++) await enqueueAction(queue, { protocol: "ref", signer, planned: planned("0x" + (i + 1).toString(16).padStart(64, "0")) });
    await server.down(); // kill -9 with 20 actions waiting
    await server.up();
    const done = new Set<string>();
    const worker = startActWorker(actQueueName(31337n, signer), async (data: ActJobData) => void done.add(data.planned.provenance.idempotencyKey), { connection: conn, prefix: "restart" });
    worker.on("error", () => undefined);
    const start = Date.now();
    while (done.size < 20 && Date.now() - start < 15_000) await new Promise((r) => setTimeout(r, 50));
    await worker.close();
    await queue.close();
    await server.down();
    expect(done.size).to.equal(20);
  });

  it("fails fast when adding a job while Redis is down", async () => {
    const server = await TestRedisServer.start();
    const queue = new Queue("down-test", { connection: { port: server.port, enableOfflineQueue: false, maxRetriesPerRequest: 1, retryStrategy: () => null } });
    queue.on("error", () => undefined); // the reconnect attempts while it is down are expected
    await queue.waitUntilReady();
    await server.down();
    const start = Date.now();
    let failed = false;
    try {
      await queue.add("x", {});
    } catch {
      failed = true;
    }
    const elapsed = Date.now() - start;
    await queue.close().catch(() => undefined);
    expect(failed).to.equal(true);
    expect(elapsed).to.be.lessThan(2000);
  });
});
