import { Interface, type JsonRpcProvider } from "ethers";
import type { Queue } from "bullmq";
import type { PlannedAction } from "../policy";
import { actJobId, enqueueAction, type ActJobData } from "../queue/act-queue";
import { decodeJobData } from "../queue/codec";

const STEWARD = new Interface(["function executed(bytes32 key) view returns (bool)"]);

/** Has the steward consumed this idempotency key (at the head, asked of the node)? */
export async function keyExecuted(provider: JsonRpcProvider, steward: string, key: string): Promise<boolean> {
  const raw = (await provider.send("eth_call", [{ to: steward, data: STEWARD.encodeFunctionData("executed", [key]) }, "latest"])) as string;
  return STEWARD.decodeFunctionResult("executed", raw)[0] as boolean;
}

export type EnqueueOutcome =
  | { status: "enqueued"; jobId: string }
  /** A job of this key is queued, running, or failed for good: nothing added. */
  | { status: "duplicate"; jobId: string; state: string }
  /** An earlier observation's action of the same kind on the same market is still queued or running. */
  | { status: "inFlight"; jobId: string; inFlightJobId: string }
  /** The key's job had completed, yet the steward has not executed the key (its block left the chain): enqueued again. */
  | { status: "reenqueued"; jobId: string; reason: "reorged" | "frozen" };

/** The act jobs queued or running before this observation, by what they change (protocol, market, kind). */
export async function inFlightActions(queue: Queue): Promise<Map<string, string>> {
  const jobs = await queue.getJobs(["waiting", "active", "delayed", "prioritized"]);
  const byTarget = new Map<string, string>();
  for (const j of jobs) {
    if (!j?.id) continue;
    const d = decodeJobData<ActJobData>(j.data);
    byTarget.set(targetOf(d.protocol, d.planned), j.id);
  }
  return byTarget;
}

function targetOf(protocol: string, p: PlannedAction): string {
  return `${protocol}/${p.action.market}/${p.action.kind}`;
}

/**
 * Enqueues one planned action, taking into account what is already there:
 * - an action of the same kind on the same market planned by an earlier observation and still in
 *   flight is not planned again (a deleverage chunk enqueued but not yet executed would otherwise
 *   be cut twice once the epoch's key changes);
 * - a job of the same key that completed while the steward never executed the key had its block
 *   reorged away after confirmation: it is removed and enqueued again;
 * - a job of the same key that failed because the steward was frozen is enqueued again (the
 *   observer plans nothing while it is frozen, so this is the first observation after unfreeze).
 */
export async function enqueuePlanned(queue: Queue, data: ActJobData, inFlight: Map<string, string>, executed: (key: string) => Promise<boolean>): Promise<EnqueueOutcome> {
  const key = data.planned.provenance.idempotencyKey;
  const jobId = actJobId(key);
  const other = inFlight.get(targetOf(data.protocol, data.planned));
  if (other && other !== jobId) return { status: "inFlight", jobId, inFlightJobId: other };
  const existing = await queue.getJob(jobId);
  if (existing) {
    const state = await existing.getState();
    let reason: "reorged" | "frozen" | undefined;
    if (state === "completed" && !(await executed(key))) reason = "reorged";
    else if (state === "failed" && /StewardFrozen/.test(existing.failedReason ?? "")) reason = "frozen";
    if (!reason) return { status: "duplicate", jobId, state };
    await existing.remove();
    await enqueueAction(queue, data);
    return { status: "reenqueued", jobId, reason };
  }
  await enqueueAction(queue, data);
  return { status: "enqueued", jobId };
}
