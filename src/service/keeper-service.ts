import Redis from "ioredis";
import { Wallet, type JsonRpcProvider } from "ethers";
import type { Job, Queue, Worker } from "bullmq";
import { FlashbotsTransport } from "../chain/flashbots-transport";
import { NonceManager } from "../chain/nonce";
import { accountNonce } from "../rpc/reads";
import { PublicTransport } from "../chain/public-transport";
import type { KeeperConfig } from "../config/schema";
import { policyFor } from "../config/policy";
import type { Secrets } from "../config/secrets";
import { act } from "../keeper/act";
import { TransientExecutionError, type ExecutorDeps } from "../keeper/execute";
import { observeProtocol } from "../keeper/observe";
import type { Logger } from "../log/logger";
import type { ProtocolAdapter } from "../protocols/adapter";
import { createAdapter, discoveryOf } from "../protocols/factory";
import { keeperRevertDecoder } from "../protocols/revert-decoder";
import { actQueueName, enqueueAction, openActQueue, PermanentActionError, startActWorker, type ActJobData } from "../queue/act-queue";
import { enqueueBlockObservation, openObserveQueue, startObserveWorker } from "../queue/observe-queue";
import { RedisObserverMemory } from "../queue/policy-store";
import { assertNoEviction } from "../queue/redis-preflight";
import { WebhookAlerter } from "./alerts";
import { followHeads } from "./heads";
import { queueConnection } from "./redis";
import { HEAD_POLL_MS, observerSettings, observeScheduleOf, publicTransportOptions } from "./settings";
import { KeeperMetrics, serveMetrics } from "./metrics";

type Connection = { connection: Redis; prefix: string };

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

  constructor(
    private readonly config: KeeperConfig,
    private readonly secrets: Secrets,
    private readonly provider: JsonRpcProvider,
    private readonly logger: Logger,
  ) {}

  async start(): Promise<void> {
    const { config, secrets } = this;
    if (!secrets.signerKey) throw new Error(`the keeper needs a signing key: set ${config.keeper.signerKeyEnv}`);
    const { redis, queues } = await this.connectRedis();
    const signer = new Wallet(secrets.signerKey, this.provider);
    const alerter = new WebhookAlerter(secrets.webhookUrl, this.logger, { retries: config.alerts.retries, timeoutMs: config.alerts.timeoutMs });
    this.closables.push(() => alerter.flush(5000));
    const { publicTransport, privateTransport } = this.transports(redis, signer);

    const chainId = BigInt(config.chain.chainId);
    const actQueue = await openActQueue(chainId, signer.address, queues);
    this.closables.push(() => actQueue.close());
    const adapters = new Map<string, ProtocolAdapter>();
    for (const p of config.protocols) adapters.set(p.id, await createAdapter(p, this.provider, chainId, await discoveryOf(p, this.provider, chainId, { redis, prefix: queues.prefix })));
    const { observeQueues, workers, headFollowers } = await this.startObservers(adapters, new RedisObserverMemory(redis, queues.prefix), alerter, actQueue, signer.address, queues);
    const executor: Executor = {
      adapters,
      deps: { provider: this.provider, decoder: keeperRevertDecoder(), from: signer.address, publicTransport, privateTransport, confirmations: config.keeper.confirmations },
    };
    workers.push(
      startActWorker(actQueueName(chainId, signer.address), (data, job) => this.handleActJob(executor, alerter, data, job), {
        ...queues,
        lockDurationMs: config.queue.lockDurationMs,
        stalledIntervalMs: config.queue.stalledIntervalMs,
      }),
    );
    for (const w of workers) w.on("error", (e) => this.logger.error("worker error", { error: e.message }));
    // Head followers stop first (no new observations), then workers (in-flight jobs finish), then queues.
    this.closables.push(() => Promise.all(observeQueues.map((q) => q.close())));
    this.closables.push(() => Promise.all(workers.map((w) => w.close())));
    this.closables.push(() => Promise.all(headFollowers.map((stop) => stop())));
    await this.serveMetrics([actQueue, ...observeQueues]);
    this.logger.info("keeper running", { protocols: config.protocols.map((p) => p.id), keeper: signer.address, metricsPort: this.metricsPort, private: privateTransport !== undefined });
  }

  /** Graceful stop: no new work, in-flight jobs finish, then connections close. */
  async stop(): Promise<void> {
    for (const close of this.closables.splice(0).reverse()) await close().catch((e: Error) => this.logger.error("while stopping", { error: e.message }));
  }

  /**
   * Redis, checked to keep every key (an evicted nonce record or job could duplicate a transaction),
   * and BullMQ's connection to it: both from the URL as ioredis reads it (rediss:// for TLS, a user
   * name, a database), closed after the queues and workers that share it.
   */
  private async connectRedis(): Promise<{ redis: Redis; queues: Connection }> {
    const redis = new Redis(this.config.redis.url, { maxRetriesPerRequest: 3 });
    this.closables.push(async () => redis.disconnect());
    const { version } = await assertNoEviction(redis);
    this.logger.info("redis ready", { version });
    const connection = queueConnection(this.config.redis.url);
    this.closables.push(async () => connection.disconnect());
    return { redis, queues: { connection, prefix: this.config.redis.prefix } };
  }

  /** The public sender, and the Flashbots one when configured with its relay and auth key. */
  private transports(redis: Redis, signer: Wallet): { publicTransport: PublicTransport; privateTransport?: FlashbotsTransport } {
    const { config, secrets } = this;
    // Straight JSON-RPC: ethers answers an identical read from a 250 ms cache, and a count read just
    // before our previous transaction was mined would hand its nonce out a second time.
    const nonces = new NonceManager(redis, BigInt(config.chain.chainId), signer.address, () => accountNonce(this.provider, signer.address), { prefix: config.redis.prefix });
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
  private async startObservers(adapters: Map<string, ProtocolAdapter>, memory: RedisObserverMemory, alerter: WebhookAlerter, actQueue: Queue, signer: string, queues: Connection): Promise<{ observeQueues: Queue[]; workers: Worker[]; headFollowers: (() => Promise<void>)[] }> {
    const { config, logger } = this;
    const observeQueues: Queue[] = [];
    const headFollowers: (() => Promise<void>)[] = [];
    const workers: Worker[] = [];
    for (const [i, p] of config.protocols.entries()) {
      const adapter = adapters.get(p.id)!;
      const policy = policyFor(p, i);
      const schedule = observeScheduleOf(p);
      const queue = await openObserveQueue(p.id, schedule, queues);
      observeQueues.push(queue);
      if ("everyBlock" in schedule) {
        headFollowers.push(followHeads(this.provider, HEAD_POLL_MS, (block) => enqueueBlockObservation(queue, p.id, block), (e) => logger.warn("cannot read the head", { protocol: p.id, error: (e as Error).message })));
      }
      const settings = observerSettings(config, p);
      const observe = async () => {
        const result = await observeProtocol({ adapter, provider: this.provider, policy, memory, metrics: this.metrics, alert: (a) => alerter.notify(a), logger, ...settings });
        if (result.status !== "planned") return result.status;
        for (const planned of result.plan.actions) {
          const jobId = await enqueueAction(actQueue, { protocol: p.id, signer, planned });
          logger.info("action enqueued", { protocol: p.id, market: planned.action.market, block: result.block, jobId, actionKey: planned.provenance.idempotencyKey, kind: planned.action.kind });
        }
        return "planned";
      };
      workers.push(startObserveWorker(p.id, observe, { ...queues, lockDurationMs: config.queue.observeLockDurationMs, stalledIntervalMs: config.queue.stalledIntervalMs }));
    }
    return { observeQueues, workers, headFollowers };
  }

  /**
   * One act job: act, count, alert, and tell BullMQ what happened — a return is done, a
   * PermanentActionError fails the job at once, any other error retries it.
   */
  private async handleActJob(executor: Executor, alerter: WebhookAlerter, data: ActJobData, job: Job): Promise<unknown> {
    const adapter = executor.adapters.get(data.protocol);
    if (!adapter) throw new PermanentActionError(`no adapter for protocol ${data.protocol}`);
    const { action, provenance } = data.planned;
    const log = this.logger.child({ protocol: data.protocol, market: action.market, jobId: job.id, actionKey: provenance.idempotencyKey });
    let result;
    try {
      result = await act({ ...executor.deps, adapter }, data.planned);
    } catch (e) {
      this.metrics.rpcErrors.inc({ kind: e instanceof TransientExecutionError ? "simulation" : "send" });
      log.warn("action attempt failed; it will be retried", { error: (e as Error).message });
      throw e;
    }
    this.metrics.actions.inc({ protocol: data.protocol, kind: action.kind, outcome: result.status });
    const failed = (message: string) => alerter.notify({ kind: "actionFailed", protocol: data.protocol, market: action.market, message });
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
        return { txHash: result.txHash, block: result.blockNumber };
      case "reverted":
        log.info("action included", { txHash: result.txHash, block: result.blockNumber, route: result.route, success: false, resumed: result.resumed });
        throw new PermanentActionError(`transaction ${result.txHash} reverted on-chain`);
      case "expired":
        // Not lost: its evidence is stale, and the next observation plans afresh from the chain as it is.
        log.info("action expired before it landed; not re-sent, the next observation replans", { reason: result.reason });
        return { expired: true };
      case "changedByOther":
        log.warn("the values this action expected were changed by someone else; not sent", { reason: result.reason });
        alerter.notify({ kind: "changedByOther", protocol: data.protocol, market: action.market, message: `someone else changed ${action.market} before this action landed: ${result.reason}` });
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
  private async serveMetrics(queues: Queue[]): Promise<void> {
    const served = await serveMetrics(this.metrics, this.config.metrics.port, async () => {
      for (const q of queues) {
        const c = await q.getJobCounts("waiting", "delayed", "prioritized");
        this.metrics.queueDepth.set({ queue: q.name }, (c.waiting ?? 0) + (c.delayed ?? 0) + (c.prioritized ?? 0));
      }
    }, this.config.metrics.host);
    this.metricsPort = served.port;
    this.closables.push(() => new Promise((r) => served.server.close(() => r(undefined))));
  }
}
