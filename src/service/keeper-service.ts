import Redis from "ioredis";
import { Wallet, type JsonRpcProvider } from "ethers";
import type { Queue, Worker } from "bullmq";
import { FlashbotsTransport } from "../chain/flashbots-transport";
import { NonceManager } from "../chain/nonce";
import { accountNonce } from "../rpc/reads";
import { PublicTransport } from "../chain/public-transport";
import { RevertDecoder } from "../chain/revert";
import type { KeeperConfig } from "../config/schema";
import { policyFor } from "../config/policy";
import type { Secrets } from "../config/secrets";
import { ArtifactStore } from "../embedded/artifacts";
import { executeAction, TransientExecutionError } from "../keeper/execute";
import { observeProtocol } from "../keeper/observe";
import type { Logger } from "../log/logger";
import { AaveArtifacts } from "../protocols/aave/artifacts";
import { createAdapter } from "../protocols/factory";
import { actQueueName, enqueueAction, openActQueue, PermanentActionError, startActWorker } from "../queue/act-queue";
import { openObserveQueue, startObserveWorker } from "../queue/observe-queue";
import { RedisObserverMemory } from "../queue/policy-store";
import { assertNoEviction } from "../queue/redis-preflight";
import { WebhookAlerter } from "./alerts";
import { KeeperMetrics, serveMetrics } from "./metrics";

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
    const { config, secrets, logger } = this;
    if (!secrets.signerKey) throw new Error(`the keeper needs a signing key: set ${config.keeper.signerKeyEnv}`);
    const redisUrl = config.redis.url;
    const redis = new Redis(redisUrl, { maxRetriesPerRequest: 3 });
    this.closables.push(async () => redis.disconnect());
    const { version } = await assertNoEviction(redis);
    logger.info("redis ready", { version });
    const u = new URL(redisUrl);
    const connection = { host: u.hostname, port: Number(u.port || 6379), password: u.password || undefined, db: Number(u.pathname.slice(1) || 0), maxRetriesPerRequest: null };
    const prefix = config.redis.prefix;
    const chainId = BigInt(config.chain.chainId);
    const signer = new Wallet(secrets.signerKey, this.provider);
    const alerter = new WebhookAlerter(secrets.webhookUrl, logger, { retries: config.alerts.retries, timeoutMs: config.alerts.timeoutMs });
    this.closables.push(() => alerter.flush(5000));

    // Straight JSON-RPC: ethers answers an identical read from a 250 ms cache, and a count read just
    // before our previous transaction was mined would hand its nonce out a second time.
    const nonces = new NonceManager(redis, chainId, signer.address, () => accountNonce(this.provider, signer.address), { prefix });
    const maxFee = BigInt(Math.round(config.keeper.maxFeePerGasGwei * 1e9));
    const publicTransport = new PublicTransport(this.provider, signer, nonces, { maxFeePerGas: maxFee, stuckAfterBlocks: config.keeper.stuckAfterBlocks, deadlineBlocks: 50 });
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
    const decoder = new RevertDecoder([...new ArtifactStore().allInterfaces(), new AaveArtifacts().iface("PoolConfigurator")]);
    const memory = new RedisObserverMemory(redis, prefix);

    const actQueue = await openActQueue(chainId, signer.address, { connection, prefix });
    this.closables.push(() => actQueue.close());
    const adapters = new Map<string, Awaited<ReturnType<typeof createAdapter>>>();
    const observeQueues: Queue[] = [];
    const workers: Worker[] = [];
    for (const [i, p] of config.protocols.entries()) {
      const adapter = await createAdapter(p, this.provider, chainId);
      adapters.set(p.id, adapter);
      const policy = policyFor(p, i);
      const everyMs = Math.round((p.observe.intervalSeconds ?? 1) * 1000);
      observeQueues.push(await openObserveQueue(p.id, everyMs, { connection, prefix }));
      workers.push(
        startObserveWorker(
          p.id,
          async () => {
            const result = await observeProtocol({ adapter, provider: this.provider, policy, memory, metrics: this.metrics, alert: (a) => alerter.notify(a), logger, maxPriceJump: 0.25, maxHeadLagBlocks: config.chain.maxHeadLagBlocks, maxBlockAgeSeconds: config.chain.maxBlockAgeSeconds });
            if (result.status !== "planned") return result.status;
            for (const planned of result.plan.actions) {
              const jobId = await enqueueAction(actQueue, { protocol: p.id, signer: signer.address, planned });
              logger.info("action enqueued", { protocol: p.id, market: planned.action.market, block: result.block, jobId, actionKey: planned.provenance.idempotencyKey, kind: planned.action.kind });
            }
            return "planned";
          },
          { connection, prefix, lockDurationMs: config.queue.observeLockDurationMs, stalledIntervalMs: config.queue.stalledIntervalMs },
        ),
      );
    }
    workers.push(
      startActWorker(
        actQueueName(chainId, signer.address),
        async (data, job) => {
          const adapter = adapters.get(data.protocol);
          if (!adapter) throw new PermanentActionError(`no adapter for protocol ${data.protocol}`);
          const log = logger.child({ protocol: data.protocol, market: data.planned.action.market, jobId: job.id, actionKey: data.planned.provenance.idempotencyKey });
          let result;
          try {
            result = await executeAction({ provider: this.provider, adapter, decoder, from: signer.address, publicTransport, privateTransport, confirmations: config.keeper.confirmations }, data.planned);
          } catch (e) {
            this.metrics.rpcErrors.inc({ kind: e instanceof TransientExecutionError ? "simulation" : "send" });
            log.warn("action attempt failed; it will be retried", { error: (e as Error).message });
            throw e;
          }
          const kind = data.planned.action.kind;
          if (result.status === "alreadyExecuted") {
            // An earlier attempt (a process killed after broadcasting) or another keeper landed it: done, not failed.
            log.info("action already executed on-chain", { reason: result.reason });
            this.metrics.actions.inc({ protocol: data.protocol, kind, outcome: "alreadyExecuted" });
            return { alreadyExecuted: true };
          }
          if (result.status === "dropped") {
            this.metrics.actions.inc({ protocol: data.protocol, kind, outcome: "dropped" });
            alerter.notify({ kind: "actionFailed", protocol: data.protocol, market: data.planned.action.market, message: `action dropped: ${result.reason}` });
            throw new PermanentActionError(result.reason);
          }
          const o = result.outcome;
          if (o.status === "included") {
            log.info("action included", { txHash: o.txHash, block: o.blockNumber, route: result.route, success: o.success, verified: result.verified, resumed: result.resumed ?? false });
            this.metrics.actions.inc({ protocol: data.protocol, kind, outcome: o.success ? "included" : "reverted" });
            if (!o.success) throw new PermanentActionError(`transaction ${o.txHash} reverted on-chain`);
            return { txHash: o.txHash, block: o.blockNumber };
          }
          this.metrics.actions.inc({ protocol: data.protocol, kind, outcome: o.status });
          if (o.status === "notIncluded") throw new Error(`not included yet: ${o.reason}`); // retried: the nonce record resumes it
          alerter.notify({ kind: "actionFailed", protocol: data.protocol, market: data.planned.action.market, message: `action failed: ${o.status}` });
          throw new PermanentActionError(`action ended ${o.status}`);
        },
        { connection, prefix, lockDurationMs: config.queue.lockDurationMs, stalledIntervalMs: config.queue.stalledIntervalMs },
      ),
    );
    for (const w of workers) w.on("error", (e) => logger.error("worker error", { error: e.message }));
    // Workers close first (in-flight jobs finish), then queues.
    this.closables.push(() => Promise.all(observeQueues.map((q) => q.close())));
    this.closables.push(() => Promise.all(workers.map((w) => w.close())));
    const served = await serveMetrics(this.metrics, config.metrics.port, async () => {
      for (const [name, q] of [[actQueue.name, actQueue], ...observeQueues.map((q) => [q.name, q] as const)] as const) {
        const c = await q.getJobCounts("waiting", "delayed", "prioritized");
        this.metrics.queueDepth.set({ queue: name }, (c.waiting ?? 0) + (c.delayed ?? 0) + (c.prioritized ?? 0));
      }
    });
    this.metricsPort = served.port;
    this.closables.push(() => new Promise((r) => served.server.close(() => r(undefined))));
    logger.info("keeper running", { protocols: config.protocols.map((p) => p.id), keeper: signer.address, metricsPort: served.port, private: privateTransport !== undefined });
  }

  /** Graceful stop: no new work, in-flight jobs finish, then connections close. */
  async stop(): Promise<void> {
    for (const close of this.closables.splice(0).reverse()) await close().catch((e: Error) => this.logger.error("while stopping", { error: e.message }));
  }
}
