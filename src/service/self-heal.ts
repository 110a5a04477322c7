import type { Queue } from "bullmq";
import type { Logger } from "../log/logger";
import type { Alert } from "../keeper/ports";

/** A queue the keeper needs in Redis: its global concurrency, and the Job Scheduler that feeds it, if any. */
export interface GuardedQueue {
  queue: Queue;
  protocol?: string;
  scheduler?: { id: string; everyMs: number; template: { name: string; data: unknown } };
}

export type GuardCheck = { status: "ok" } | { status: "reasserted"; lost: string[] } | { status: "unreachable"; error: string };

/**
 * What the keeper created in Redis once at start — each observe queue's Job Scheduler and every
 * queue's global concurrency — is gone after a Redis that lost its data (FLUSHALL, a restart without
 * persistence, a failover to a replica that lacked the last writes). Without them no observation is
 * ever scheduled again and the act queue has no bound of one executor. The guard looks for them
 * periodically and whenever the connection comes back, and re-creates what is missing after the
 * Redis preflight passed against the server now answering.
 */
export class QueueGuard {
  private running: Promise<GuardCheck> | undefined;
  /** Redis answered the last check (health reads this). */
  reachable = true;
  lastError: string | undefined;

  constructor(
    private readonly queues: GuardedQueue[],
    private readonly deps: {
      preflight: () => Promise<void>;
      alert: (a: Alert) => void;
      logger: Logger;
    },
  ) {}

  /** One check (concurrent callers share it). */
  check(): Promise<GuardCheck> {
    this.running ??= this.checkOnce().finally(() => (this.running = undefined));
    return this.running;
  }

  private async checkOnce(): Promise<GuardCheck> {
    let lost: string[];
    try {
      lost = await this.missing();
      this.reachable = true;
      this.lastError = undefined;
    } catch (e) {
      this.reachable = false;
      this.lastError = (e as Error).message;
      return { status: "unreachable", error: this.lastError };
    }
    if (!lost.length) return { status: "ok" };
    try {
      // A server that lost our data may be a different server altogether: check its eviction policy first.
      await this.deps.preflight();
      for (const g of this.queues) {
        await g.queue.setGlobalConcurrency(1);
        if (g.scheduler) await g.queue.upsertJobScheduler(g.scheduler.id, { every: g.scheduler.everyMs }, g.scheduler.template);
      }
    } catch (e) {
      this.lastError = (e as Error).message;
      this.deps.logger.error("could not re-create the queues' state in Redis", { lost, error: this.lastError });
      this.deps.alert({ kind: "lostScheduler", protocol: "*", message: `Redis lost the keeper's queue state (${lost.join(", ")}) and it could not be re-created: ${this.lastError}` });
      return { status: "unreachable", error: this.lastError };
    }
    this.deps.alert({ kind: "lostScheduler", protocol: "*", message: `Redis lost the keeper's queue state (${lost.join(", ")}): re-created; queued actions are re-planned from chain state`, lost });
    this.deps.logger.warn("queue state re-created after Redis lost it", { lost });
    return { status: "reasserted", lost };
  }

  private async missing(): Promise<string[]> {
    const lost: string[] = [];
    for (const g of this.queues) {
      if ((await g.queue.getGlobalConcurrency()) === null) lost.push(`${g.queue.name}: global concurrency`);
      if (g.scheduler && !(await g.queue.getJobScheduler(g.scheduler.id))) lost.push(`${g.queue.name}: job scheduler ${g.scheduler.id}`);
    }
    return lost;
  }
}
