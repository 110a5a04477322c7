import type { PlannedAction } from "../policy";
import { executeAction, type ExecutorDeps } from "./execute";

type Route = "public" | "private";

/** How acting on one planned action ended, flat: what the service's job and the rehearsal's record both read. */
export type ActResult =
  /** The steward logged this action's key: an earlier attempt of ours, or another keeper, landed it. */
  | { status: "alreadyExecuted"; reason: string }
  /** The values it expected to replace were changed, not by this action: someone else moved them. */
  | { status: "changedByOther"; reason: string }
  /** Its validUntil passed before it landed: not sent (again), replanned; not lost. */
  | { status: "expired"; reason: string }
  /** The simulation reverts: sending it would revert too. */
  | { status: "dropped"; reason: string }
  /** Mined and confirmed: `blockHash` is the block it was confirmed in (a later reorg is told by it). */
  | { status: "included"; route: Route; txHash: string; blockNumber: number; blockHash: string; gasUsed: bigint; verified?: boolean; resumed: boolean }
  /** Mined, then its block left the chain before its confirmations: to be sent again at once. */
  | { status: "reorged"; route: Route; txHash: string; wasIn: string }
  /** Mined, and reverted on-chain. */
  | { status: "reverted"; route: Route; txHash: string; blockNumber: number; gasUsed: bigint; resumed: boolean }
  /** Not mined by the deadline: the nonce record lets a retry resume it. */
  | { status: "notIncluded"; route: Route; reason: string }
  /** Our nonce went to a transaction of no attempt of ours, or the relay refused the bundle. */
  | { status: "replacedByOther" | "rejected"; route: Route };

/**
 * Acts on one planned action (resume, simulate, send, confirm, verify) and says how it ended. An
 * RPC fault is thrown (a TransientExecutionError from the simulation, or the transport's error):
 * the caller retries.
 */
export async function act(deps: ExecutorDeps, planned: PlannedAction): Promise<ActResult> {
  const done = await executeAction(deps, planned);
  if (done.status !== "sent") return done;
  const { route, outcome: o } = done;
  const resumed = done.resumed ?? false;
  switch (o.status) {
    case "included":
      if (!o.success) return { status: "reverted", route, txHash: o.txHash, blockNumber: o.blockNumber, gasUsed: o.gasUsed, resumed };
      if (done.confirmation?.status === "reorged") return { status: "reorged", route, txHash: o.txHash, wasIn: done.confirmation.wasIn };
      return {
        status: "included",
        route,
        txHash: o.txHash,
        blockNumber: o.blockNumber,
        blockHash: done.confirmation?.blockHash ?? o.receipt.blockHash,
        gasUsed: o.gasUsed,
        verified: done.verified,
        resumed,
      };
    case "notIncluded":
      return { status: "notIncluded", route, reason: o.reason };
    case "expired":
      return { status: "expired", reason: o.reason };
    case "replacedByOther":
    case "rejected":
      return { status: o.status, route };
  }
}
