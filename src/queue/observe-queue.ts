import { Queue, Worker, type ConnectionOptions } from "bullmq";
import { ALWAYS_RESUME_STALLED, type WorkerOptions } from "./act-queue";

export function observeQueueName(protocol: string): string {
  return `observe-${protocol}`;
}

/** When a protocol is observed: on a clock, or once for every new head. */
export type ObserveSchedule = { everyMs: number } | { everyBlock: true };

/**
 * The observe queue of one protocol. On a clock, it is fed by a BullMQ Job Scheduler: every keeper
 * process upserts the same scheduler id, so there is one schedule however many processes run. Every
 * block, it is fed by `enqueueBlockObservation` for each new head. Global concurrency 1 keeps one
 * observation of a protocol at a time across processes.
 */
export async function openObserveQueue(protocol: string, schedule: ObserveSchedule, opts: { connection: ConnectionOptions; prefix: string }): Promise<Queue> {
  const queue = new Queue(observeQueueName(protocol), {
    connection: opts.connection,
    prefix: opts.prefix,
    defaultJobOptions: { removeOnComplete: { count: 100 }, removeOnFail: { count: 1000 }, attempts: 1 },
  });
  await queue.setGlobalConcurrency(1);
  const clock = "everyMs" in schedule ? observeScheduler(protocol, schedule.everyMs) : undefined;
  if (clock) await queue.upsertJobScheduler(clock.id, { every: clock.everyMs }, clock.template);
  else await queue.removeJobScheduler(schedulerId(protocol)); // a clock left by an earlier config would observe beside the heads
  return queue;
}

/** One observation for a new head; the block makes the job id, so every process that sees the head adds one job. */
export async function enqueueBlockObservation(queue: Queue, protocol: string, block: number): Promise<void> {
  await queue.add("observe", { protocol, block }, { jobId: `block-${block}` });
}

/** The Job Scheduler that feeds a protocol's observe queue on a clock (re-created as it is if Redis loses it). */
export function observeScheduler(protocol: string, everyMs: number): { id: string; everyMs: number; template: { name: string; data: { protocol: string } } } {
  return { id: schedulerId(protocol), everyMs, template: { name: "observe", data: { protocol } } };
}

function schedulerId(protocol: string): string {
  return `tick-${protocol}`;
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
