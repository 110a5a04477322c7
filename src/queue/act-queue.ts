import { Queue, UnrecoverableError, Worker, type ConnectionOptions, type Job } from "bullmq";
import type { PlannedAction } from "../policy";
import { decodeJobData, encodeJobData } from "./codec";

/** What an act job carries: the planned action and whose key signs it (an address, never the key). */
export interface ActJobData {
  protocol: string;
  signer: string;
  planned: PlannedAction;
}

/** One queue per signing key: its global concurrency of 1 makes one executor per key across all processes. */
export function actQueueName(chainId: bigint, signer: string): string {
  return `act-${chainId}-${signer.toLowerCase()}`;
}

/** Custom job ids may not contain ':'; the idempotency key (hex) makes the id, so duplicates collapse. */
export function actJobId(idempotencyKey: string): string {
  return `action-${idempotencyKey.replace(/^0x/, "").toLowerCase()}`;
}

export interface ActQueueOptions {
  connection: ConnectionOptions;
  prefix: string;
  attempts?: number;
  backoffMs?: number;
}

export async function openActQueue(chainId: bigint, signer: string, opts: ActQueueOptions): Promise<Queue> {
  const queue = new Queue(actQueueName(chainId, signer), {
    connection: opts.connection,
    prefix: opts.prefix,
    defaultJobOptions: {
      attempts: opts.attempts ?? 5,
      backoff: { type: "exponential", delay: opts.backoffMs ?? 1000 },
      // Kept a day: a job id that still exists refuses its duplicate, after completion too.
      removeOnComplete: { age: 86_400 },
      removeOnFail: { age: 7 * 86_400 },
    },
  });
  await queue.setGlobalConcurrency(1);
  return queue;
}

/**
 * Adds an action; while a job with the same idempotency key is queued, running or retained after
 * completion, BullMQ ignores the add, so any number of producers create one job.
 */
export async function enqueueAction(queue: Queue, data: ActJobData): Promise<string> {
  const jobId = actJobId(data.planned.provenance.idempotencyKey);
  await queue.add(data.planned.action.kind, encodeJobData(data), { jobId });
  return jobId;
}

/** Marks an outcome that retrying cannot change (a simulated revert): the job fails at once, with the reason. */
export class PermanentActionError extends Error {
  override readonly name = "PermanentActionError";
}

/** Lock settings of a worker: how fast another process takes over the job of one that died. */
export interface WorkerOptions {
  connection: ConnectionOptions;
  prefix: string;
  /** Lock lifetime of a running job (renewed at half of it): a killed process's job is free after this. */
  lockDurationMs?: number;
  /** How often expired locks are looked for and their jobs put back to wait. */
  stalledIntervalMs?: number;
}

/**
 * A job whose process died is always resumed, however often that happens: an action is idempotent
 * on-chain and its nonce record lets the next attempt finish the same transaction, an observation
 * only reads. Failing either as "stalled too often" (BullMQ's default after one stall) could only
 * lose an action or leave a protocol unobserved.
 */
export const ALWAYS_RESUME_STALLED = 1_000_000;

export function startActWorker<R>(queueName: string, execute: (data: ActJobData, job: Job) => Promise<R>, opts: WorkerOptions): Worker {
  return new Worker(
    queueName,
    async (job) => {
      try {
        return await execute(decodeJobData<ActJobData>(job.data), job);
      } catch (e) {
        if (e instanceof PermanentActionError) throw new UnrecoverableError(e.message);
        throw e;
      }
    },
    {
      connection: opts.connection,
      prefix: opts.prefix,
      concurrency: 1,
      lockDuration: opts.lockDurationMs ?? 60_000,
      stalledInterval: opts.stalledIntervalMs ?? 15_000,
      maxStalledCount: ALWAYS_RESUME_STALLED,
    },
  );
}
