import { Queue, Worker, type ConnectionOptions } from "bullmq";
import { ALWAYS_RESUME_STALLED, type WorkerOptions } from "./act-queue";

export function observeQueueName(protocol: string): string {
  return `observe-${protocol}`;
}

/**
 * The observe queue of one protocol, fed by a BullMQ Job Scheduler every `everyMs`. Every keeper
 * process upserts the same scheduler id, so there is one schedule however many processes run, and
 * global concurrency 1 keeps one observation of a protocol at a time across them.
 */
export async function openObserveQueue(protocol: string, everyMs: number, opts: { connection: ConnectionOptions; prefix: string }): Promise<Queue> {
  const queue = new Queue(observeQueueName(protocol), {
    connection: opts.connection,
    prefix: opts.prefix,
    defaultJobOptions: { removeOnComplete: { count: 100 }, removeOnFail: { count: 1000 }, attempts: 1 },
  });
  await queue.setGlobalConcurrency(1);
  const s = observeScheduler(protocol, everyMs);
  await queue.upsertJobScheduler(s.id, { every: s.everyMs }, s.template);
  return queue;
}

/** The Job Scheduler that feeds a protocol's observe queue (re-created as it is if Redis loses it). */
export function observeScheduler(protocol: string, everyMs: number): { id: string; everyMs: number; template: { name: string; data: { protocol: string } } } {
  return { id: `tick-${protocol}`, everyMs, template: { name: "observe", data: { protocol } } };
}

/**
 * One protocol's observer. An observation killed mid-way is simply run again by whichever process
 * finds it stalled (it only reads).
 */
export function startObserveWorker(protocol: string, observe: () => Promise<unknown>, opts: WorkerOptions): Worker {
  return new Worker(observeQueueName(protocol), observe, {
    connection: opts.connection,
    prefix: opts.prefix,
    concurrency: 1,
    lockDuration: opts.lockDurationMs ?? 10_000,
    stalledInterval: opts.stalledIntervalMs ?? 5_000,
    maxStalledCount: ALWAYS_RESUME_STALLED,
  });
}
