import { Wallet, type JsonRpcProvider } from "ethers";
import type { Job, Queue, Worker } from "bullmq";
import { FlashbotsTransport } from "../chain/flashbots-transport";
import { NonceManager } from "../chain/nonce";
import { settleReorged } from "../chain/confirm";
import { SentLedger } from "../chain/sent-ledger";
import { accountNonce, poolNonce } from "../rpc/reads";
import { PublicTransport } from "../chain/public-transport";
import type { KeeperConfig } from "../config/schema";
import { policyFor } from "../config/policy";
import type { Secrets } from "../config/secrets";
import { act } from "../keeper/act";
import { TransientExecutionError, type ExecutorDeps } from "../keeper/execute";
import { observeProtocol } from "../keeper/observe";
import type { Alert } from "../keeper/ports";
import type { Logger } from "../log/logger";
import type { PlannedAction } from "../policy";
import type { ProtocolAdapter } from "../protocols/adapter";
import { createAdapter, discoveryOf } from "../protocols/factory";
import { keeperRevertDecoder } from "../protocols/revert-decoder";
import { actJobId, actQueueName, enqueueAction, openActQueue, PermanentActionError, startActWorker, type ActJobData } from "../queue/act-queue";
import { enqueueBlockObservation, observeScheduler, openObserveQueue, startObserveWorker } from "../queue/observe-queue";
import { RedisObserverMemory } from "../queue/policy-store";
import { RedisConnections, type RedisClient } from "../queue/redis-connection";
import { assertNoEviction } from "../queue/redis-preflight";
import { WebhookAlerter } from "./alerts";
import { enqueuePlanned, inFlightActions, keyExecuted } from "./enqueue-planned";
import { followHeads } from "./heads";
import { KeeperHealth } from "./health";
import { LandedWatch } from "./landed-watch";
import { HEAD_POLL_MS, observedEveryMs, observerSettings, observeScheduleOf, publicTransportOptions } from "./settings";
import { KeeperMetrics, serveMetrics } from "./metrics";
import { QueueGuard, type GuardedQueue } from "./self-heal";
import { SplitBrainWatch } from "./split-brain";

/** BullMQ's side of Redis: a client of the configured topology (its workers duplicate it for blocking reads), and the key prefix. */
type Connection = { connection: RedisClient; prefix: string };

/** What the act worker's outcomes feed beside metrics: alerts, the reorg watch, health. */
interface ActSinks {
  alert: (a: Alert) => void;
  landed: LandedWatch<ActJobData>;
  health: KeeperHealth;
}

/** What the act worker needs beside the job: everything to execute an action with the keeper's key. */
interface Executor {
  adapters: Map<string, ProtocolAdapter>;
  deps: Omit<ExecutorDeps, "adapter">;
}

/**
 * The long-running keeper: an observe queue per protocol (Job Schedulers), one act queue for the
 * signing key (one executor across all processes), Prometheus metrics, webhook alerts. Assembled
 * here and nowhere else; every piece is injected into the functions that use it.
 */
export class KeeperService {
  private readonly closables: (() => Promise<unknown>)[] = [];
  readonly metrics = new KeeperMetrics();
  metricsPort = 0;
  health: KeeperHealth | undefined;

  constructor(
    private readonly config: KeeperConfig,
    private readonly secrets: Secrets,
    private readonly provider: JsonRpcProvider,
    private readonly logger: Logger,
  ) {}

  async start(): Promise<void> {
    const { config, secrets } = this;
    if (!secrets.signerKey) throw new Error(`the keeper needs a signing key: set ${config.keeper.signerKeyEnv}`);
    const alerter = new WebhookAlerter(secrets.webhookUrl, this.logger, { retries: config.alerts.retries, timeoutMs: config.alerts.timeoutMs });
    this.closables.push(() => alerter.flush(5000));
    const alert = (a: Alert) => alerter.notify(a);
    const { redis, queues } = await this.connectRedis();
    const signer = new Wallet(secrets.signerKey, this.provider);
    const ledger = new SentLedger(redis, `${queues.prefix}:sent:${config.chain.chainId}:${signer.address.toLowerCase()}`);
    const { publicTransport, privateTransport } = this.transports(redis, signer, ledger);

    const chainId = BigInt(config.chain.chainId);
    const actQueue = await openActQueue(chainId, signer.address, queues);
    this.closables.push(() => actQueue.close());
    const adapters = new Map<string, ProtocolAdapter>();
    for (const p of config.protocols) adapters.set(p.id, await createAdapter(p, this.provider, chainId, await discoveryOf(p, this.provider, chainId, { redis, prefix: queues.prefix })));
    let actWorker: Worker | undefined;
    const health = this.createHealth(redis, queues.prefix, actQueue, () => actWorker);
    const { observeQueues, workers, headFollowers, guarded } = await this.startObservers(adapters, new RedisObserverMemory(redis, queues.prefix), alert, health, actQueue, signer.address, queues);
    const executor: Executor = {
      adapters,
      deps: { provider: this.provider, decoder: keeperRevertDecoder(), from: signer.address, publicTransport, privateTransport, confirmations: config.keeper.confirmations },
    };
    const landed = new LandedWatch<ActJobData>(this.provider, (a) => this.reorgedAfterConfirmation(actQueue, a, alert));
    actWorker = startActWorker(actQueueName(chainId, signer.address), (data, job) => this.handleActJob(executor, { alert, landed, health }, data, job), {
      ...queues,
      lockDurationMs: config.queue.lockDurationMs,
      stalledIntervalMs: config.queue.stalledIntervalMs,
    });
    workers.push(actWorker);
    const workerAlert = throttled((e: Error) => alert({ kind: "workerError", protocol: "*", message: `queue worker error: ${e.message}` }), 30_000);
    for (const w of workers)
      w.on("error", (e) => {
        this.logger.error("worker error", { error: e.message });
        workerAlert(e);
      });
    // Head followers stop first (no new observations), then workers (in-flight jobs finish), then queues.
    this.closables.push(() => Promise.all(observeQueues.map((q) => q.close())));
    this.closables.push(() => Promise.all(workers.map((w) => w.close())));
    this.closables.push(() => Promise.all(headFollowers.map((stop) => stop())));

    this.startSelfHealing(redis, queues, [{ queue: actQueue }, ...guarded], ledger, landed, alert);
    await this.serveMetrics([actQueue, ...observeQueues], health);
    this.logger.info("keeper running", { protocols: config.protocols.map((p) => p.id), keeper: signer.address, metricsPort: this.metricsPort, private: privateTransport !== undefined });
  }

  /** /healthz: observations shared across processes in Redis, Redis itself, and an executor on the act queue. */
  private createHealth(redis: RedisClient, prefix: string, actQueue: Queue, actWorker: () => Worker | undefined): KeeperHealth {
    const observedKey = (protocol: string) => `${prefix}:observed:${protocol}`;
    const health = new KeeperHealth(
      this.intervals(),
      this.config.health.staleAfterIntervals,
      this.metrics,
      {
        redis: async () => void (await redis.ping()),
        executor: async () => {
          if (!actWorker()?.isRunning()) return "this process's act worker is not running";
          if ((await actQueue.getWorkersCount()) === 0) return `no worker is connected to ${actQueue.name}`;
          return undefined;
        },
      },
      Date.now,
      {
        record: async (protocol, at) => void (await redis.set(observedKey(protocol), String(at))),
        read: async (protocol) => {
          const v = await redis.get(observedKey(protocol));
          return v === null ? undefined : Number(v);
        },
      },
    );
    this.health = health;
    return health;
  }

  /**
   * The periodic checks that heal the keeper: queue state Redis lost (also at once on a reconnect:
   * a restarted server, a failover), confirmed actions a reorg took back, and a second keeper on our stewards.
   */
  private startSelfHealing(redis: RedisClient, queues: Connection, guarded: GuardedQueue[], ledger: SentLedger, landed: LandedWatch<ActJobData>, alert: (a: Alert) => void): void {
    const { config } = this;
    const guard = new QueueGuard(guarded, {
      preflight: async () => void (await assertNoEviction(redis)),
      alert: (a) => {
        this.metrics.selfHeals.inc();
        alert(a);
      },
      logger: this.logger,
    });
    const splitBrain = new SplitBrainWatch(
      this.provider,
      config.protocols.map((p) => ({ protocol: p.id, address: p.steward })),
      (h) => ledger.isOurs(h),
      alert,
    );
    this.startWatches(config.health.checkIntervalMs, [() => guard.check(), () => landed.check(), () => splitBrain.check()]);
    for (const c of [redis, queues.connection]) c.on("ready", () => void guard.check());
  }

  /** Graceful stop: no new work, in-flight jobs finish, then connections close. */
  async stop(): Promise<void> {
    for (const close of this.closables.splice(0).reverse()) await close().catch((e: Error) => this.logger.error("while stopping", { error: e.message }));
  }

  /**
   * Redis, checked to keep every key (an evicted nonce record or job could duplicate a transaction),
   * and BullMQ's connection to it, both of the configured topology (see RedisConnections), closed
   * after the queues and workers that share them.
   */
  private async connectRedis(): Promise<{ redis: RedisClient; queues: Connection }> {
    const r = this.config.redis;
    const connections = new RedisConnections(
      r,
      throttled((e: Error) => this.logger.warn("redis connection error; reconnecting", { error: e.message }), 5000),
    );
    this.closables.push(() => connections.closeAll());
    const redis = connections.open({ blocking: false });
    const { version } = await assertNoEviction(redis);
    this.logger.info("redis ready", { version, topology: r.cluster ? "cluster" : r.sentinel ? "sentinel" : "single" });
    return { redis, queues: { connection: connections.open({ blocking: true }), prefix: r.prefix } };
  }

  /** The public sender, and the Flashbots one when configured with its relay and auth key. */
  private transports(redis: RedisClient, signer: Wallet, ledger: SentLedger): { publicTransport: PublicTransport; privateTransport?: FlashbotsTransport } {
    const { config, secrets } = this;
    // Straight JSON-RPC: ethers answers an identical read from a 250 ms cache, and a count read just
    // before our previous transaction was mined would hand its nonce out a second time. Counted from
    // the pool too: a transaction still waiting whose record Redis lost keeps its nonce.
    const nonces = new NonceManager(redis, BigInt(config.chain.chainId), signer.address, () => accountNonce(this.provider, signer.address), {
      prefix: config.redis.prefix,
      ledger,
      poolNonce: () => poolNonce(this.provider, signer.address),
    });
    const options = publicTransportOptions(config);
    const maxFee = options.maxFeePerGas;
    const publicTransport = new PublicTransport(this.provider, signer, nonces, options);
    const fb = config.flashbots?.enabled ? config.flashbots : undefined;
    const privateTransport =
      fb && secrets.flashbotsAuthKey && secrets.relayUrl
        ? new FlashbotsTransport(this.provider, signer, new Wallet(secrets.flashbotsAuthKey), nonces, {
            relayUrl: secrets.relayUrl,
            maxFeePerGas: maxFee,
            deadlineBlocks: fb.deadlineBlocks,
            fallback: fb.fallbackToPublic ? publicTransport : undefined,
          })
        : undefined;
    return { publicTransport, privateTransport };
  }

  /** One observe queue and worker per protocol; each planned action is enqueued once by its idempotency key. */
  private async startObservers(
    adapters: Map<string, ProtocolAdapter>,
    memory: RedisObserverMemory,
    alert: (a: Alert) => void,
    health: KeeperHealth,
    actQueue: Queue,
    signer: string,
    queues: Connection,
  ): Promise<{ observeQueues: Queue[]; workers: Worker[]; headFollowers: (() => Promise<void>)[]; guarded: GuardedQueue[] }> {
    const { config, logger } = this;
    const observeQueues: Queue[] = [];
    const headFollowers: (() => Promise<void>)[] = [];
    const workers: Worker[] = [];
    const guarded: GuardedQueue[] = [];
    for (const [i, p] of config.protocols.entries()) {
      const adapter = adapters.get(p.id)!;
      const policy = policyFor(p, i);
      const schedule = observeScheduleOf(p);
      const queue = await openObserveQueue(p.id, schedule, queues);
      observeQueues.push(queue);
      if ("everyBlock" in schedule) {
        // No scheduler to guard: the head follower feeds the queue, and only the queue's meta can be lost.
        guarded.push({ queue, protocol: p.id });
        headFollowers.push(
          followHeads(
            this.provider,
            HEAD_POLL_MS,
            (block) => enqueueBlockObservation(queue, p.id, block),
            (e) => logger.warn("cannot read the head", { protocol: p.id, error: (e as Error).message }),
          ),
        );
      } else {
        guarded.push({ queue, protocol: p.id, scheduler: observeScheduler(p.id, schedule.everyMs) });
      }
      const settings = observerSettings(config, p);
      const executed = (key: string) => keyExecuted(this.provider, p.steward, key);
      const observe = async () => {
        const result = await observeProtocol({ adapter, provider: this.provider, policy, memory, metrics: this.metrics, alert, logger, ...settings });
        await health.observed(p.id);
        if (result.status !== "planned") return result.status;
        await this.enqueuePlan(actQueue, p.id, signer, result.block, result.plan.actions, executed, alert);
        return "planned";
      };
      workers.push(startObserveWorker(p.id, observe, { ...queues, lockDurationMs: config.queue.observeLockDurationMs, stalledIntervalMs: config.queue.stalledIntervalMs }));
    }
    return { observeQueues, workers, headFollowers, guarded };
  }

  /** Each protocol's expected time between observations, for /healthz (a protocol without one is not judged stale). */
  private intervals(): { id: string; intervalMs: number }[] {
    return this.config.protocols.flatMap((p) => {
      const intervalMs = observedEveryMs(this.config, p);
      return intervalMs === undefined ? [] : [{ id: p.id, intervalMs }];
    });
  }

  /** Enqueues a plan's actions; see enqueuePlanned for what is not enqueued, and why. */
  private async enqueuePlan(
    actQueue: Queue,
    protocol: string,
    signer: string,
    block: number,
    actions: PlannedAction[],
    executed: (key: string) => Promise<boolean>,
    alert: (a: Alert) => void,
  ): Promise<void> {
    if (!actions.length) return;
    const inFlight = await inFlightActions(actQueue);
    for (const planned of actions) {
      const out = await enqueuePlanned(actQueue, { protocol, signer, planned }, inFlight, executed);
      const fields = { protocol, market: planned.action.market, block, jobId: out.jobId, actionKey: planned.provenance.idempotencyKey, kind: planned.action.kind };
      if (out.status === "enqueued") this.logger.info("action enqueued", fields);
      else if (out.status === "inFlight") this.logger.info("action not planned again: one of its kind on its market is in flight", { ...fields, inFlightJobId: out.inFlightJobId });
      else if (out.status === "duplicate") this.logger.debug("action already queued", { ...fields, state: out.state });
      else {
        this.logger.warn("action enqueued again", { ...fields, reason: out.reason });
        if (out.reason === "reorged") {
          this.metrics.reorgs.inc({ protocol, when: "afterConfirmation" });
          alert({
            kind: "reorg",
            protocol,
            market: planned.action.market,
            message: `reorg: action ${planned.provenance.idempotencyKey} had completed, but the steward has not executed its key: enqueued again`,
            block,
          });
        }
      }
    }
  }

  /** A confirmed action whose block left the chain: counted, alerted, and its job enqueued again at once. */
  private async reorgedAfterConfirmation(actQueue: Queue, a: { protocol: string; actionKey: string; txHash: string; block: number; job: ActJobData }, alert: (a: Alert) => void): Promise<void> {
    this.metrics.reorgs.inc({ protocol: a.protocol, when: "afterConfirmation" });
    alert({
      kind: "reorg",
      protocol: a.protocol,
      message: `reorg: transaction ${a.txHash} of action ${a.actionKey} left the chain after its confirmations (was in block ${a.block}): enqueued again`,
      txHash: a.txHash,
      block: a.block,
    });
    const old = await actQueue.getJob(actJobId(a.actionKey));
    await old?.remove();
    await enqueueAction(actQueue, a.job);
  }

  /** Periodic checks, each on its own; one that throws (Redis or the RPC away) waits for the next tick. */
  private startWatches(everyMs: number, checks: (() => Promise<unknown>)[]): void {
    let busy = false;
    const timer = setInterval(() => {
      if (busy) return;
      busy = true;
      void Promise.all(checks.map((c) => c().catch((e: Error) => this.logger.debug("periodic check failed", { error: e.message })))).finally(() => (busy = false));
    }, everyMs);
    timer.unref();
    this.closables.push(async () => clearInterval(timer));
  }

  /**
   * One act job: act, count, alert, and tell BullMQ what happened — a return is done, a
   * PermanentActionError fails the job at once, any other error retries it.
   */
  private async handleActJob(executor: Executor, sinks: ActSinks, data: ActJobData, job: Job): Promise<unknown> {
    const adapter = executor.adapters.get(data.protocol);
    if (!adapter) throw new PermanentActionError(`no adapter for protocol ${data.protocol}`);
    const { action, provenance } = data.planned;
    const log = this.logger.child({ protocol: data.protocol, market: action.market, jobId: job.id, actionKey: provenance.idempotencyKey });
    const { alert } = sinks;
    let result;
    // A reorg that drops the transaction while it is being confirmed: sent again at once, not at the next retry or epoch.
    for (let reorgs = 0; ; reorgs++) {
      try {
        result = await act({ ...executor.deps, adapter }, data.planned);
      } catch (e) {
        this.metrics.rpcErrors.inc({ kind: e instanceof TransientExecutionError ? "simulation" : "send" });
        log.warn("action attempt failed; it will be retried", { error: (e as Error).message });
        throw e;
      }
      if (result.status !== "reorged") break;
      this.metrics.actions.inc({ protocol: data.protocol, kind: action.kind, outcome: "reorged" });
      this.metrics.reorgs.inc({ protocol: data.protocol, when: "beforeConfirmation" });
      alert({
        kind: "reorg",
        protocol: data.protocol,
        market: action.market,
        message: `reorg: transaction ${result.txHash} of action ${provenance.idempotencyKey} left block ${result.wasIn} before its confirmations: sending it again`,
        txHash: result.txHash,
      });
      if (reorgs >= 2) throw new Error(`transaction reorged out ${reorgs + 1} times in a row: retried later`);
      // Mined again from the pool, the next attempt's simulation finds the key executed; gone, it is sent anew.
      log.warn("reorged transaction", { txHash: result.txHash, now: await settleReorged(this.provider, result.txHash) });
    }
    this.metrics.actions.inc({ protocol: data.protocol, kind: action.kind, outcome: result.status });
    const failed = (message: string) => alert({ kind: "actionFailed", protocol: data.protocol, market: action.market, message });
    switch (result.status) {
      case "alreadyExecuted":
        // An earlier attempt (a process killed after broadcasting) or another keeper landed it: done, not failed.
        log.info("action already executed on-chain", { reason: result.reason });
        return { alreadyExecuted: true };
      case "dropped":
        failed(`action dropped: ${result.reason}`);
        throw new PermanentActionError(result.reason);
      case "included":
        log.info("action included", { txHash: result.txHash, block: result.blockNumber, route: result.route, success: true, verified: result.verified, resumed: result.resumed });
        sinks.landed.add({ protocol: data.protocol, actionKey: provenance.idempotencyKey, txHash: result.txHash, blockHash: result.blockHash, block: result.blockNumber, job: data });
        sinks.health.actionLanded(data.protocol, result.blockNumber);
        return { txHash: result.txHash, block: result.blockNumber };
      case "reverted":
        log.error("keeper transaction reverted on-chain", { txHash: result.txHash, block: result.blockNumber, route: result.route, resumed: result.resumed });
        alert({
          kind: "reverted",
          protocol: data.protocol,
          market: action.market,
          message: `keeper transaction ${result.txHash} reverted on-chain in block ${result.blockNumber} (action ${provenance.idempotencyKey})`,
          txHash: result.txHash,
          block: result.blockNumber,
        });
        throw new PermanentActionError(`transaction ${result.txHash} reverted on-chain`);
      case "expired":
        // Not lost: its evidence is stale, and the next observation plans afresh from the chain as it is.
        log.info("action expired before it landed; not re-sent, the next observation replans", { reason: result.reason });
        return { expired: true };
      case "changedByOther":
        log.warn("the values this action expected were changed by someone else; not sent", { reason: result.reason });
        alert({ kind: "changedByOther", protocol: data.protocol, market: action.market, message: `someone else changed ${action.market} before this action landed: ${result.reason}` });
        return { changedByOther: true };
      case "notIncluded":
        throw new Error(`not included yet: ${result.reason}`); // retried: the nonce record resumes it
      case "replacedByOther":
      case "rejected":
        failed(`action failed: ${result.status}`);
        throw new PermanentActionError(`action ended ${result.status}`);
    }
  }

  /** /metrics and /healthz; queue depths are read when scraped. */
  private async serveMetrics(queues: Queue[], health: KeeperHealth): Promise<void> {
    const served = await serveMetrics(
      this.metrics,
      this.config.metrics.port,
      async () => {
        health.refreshGauges();
        for (const q of queues) {
          const c = await q.getJobCounts("waiting", "delayed", "prioritized");
          this.metrics.queueDepth.set({ queue: q.name }, (c.waiting ?? 0) + (c.delayed ?? 0) + (c.prioritized ?? 0));
        }
      },
      () => health.report(),
      this.config.metrics.host,
    );
    this.metricsPort = served.port;
    this.closables.push(() => new Promise((r) => served.server.close(() => r(undefined))));
  }
}

/** Calls `fn` at most once per `windowMs` (an outage makes every retry fail; one line or alert says it). */
function throttled<T>(fn: (x: T) => void, windowMs: number): (x: T) => void {
  let last = 0;
  return (x) => {
    if (Date.now() - last < windowMs) return;
    last = Date.now();
    fn(x);
  };
}
