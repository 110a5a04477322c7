import { Transaction, type JsonRpcProvider } from "ethers";
import { waitForConfirmations, type Confirmation } from "../chain/confirm";
import type { FlashbotsTransport, PrivateOutcome } from "../chain/flashbots-transport";
import type { PendingNonce } from "../chain/nonce";
import type { SendOutcome, SendRequest } from "../chain/outcome";
import type { PublicTransport } from "../chain/public-transport";
import type { RevertDecoder } from "../chain/revert";
import { routeOf } from "./route";
import { simulate } from "../chain/simulate";
import type { PlannedAction } from "../policy";
import type { ProtocolAdapter } from "../protocols/adapter";
import type { PopulatedAction } from "../domain/protocol-state";
import { isExpired } from "../rpc/reads";
import { findLandedAction } from "../steward/events";

export interface ExecutorDeps {
  provider: JsonRpcProvider;
  adapter: ProtocolAdapter;
  decoder: RevertDecoder;
  /** The keeper's address: simulations run from it. */
  from: string;
  publicTransport: PublicTransport;
  privateTransport?: FlashbotsTransport;
  confirmations: number;
  /** Blocks searched for this action's own ActionExecuted log (default 5,000: far more than any action stays valid). */
  lookbackBlocks?: number;
}

export type ExecutionOutcome =
  | { status: "dropped"; reason: string }
  /** The steward logged this action's idempotency key: it landed (an earlier attempt of ours, or another keeper's). */
  | { status: "alreadyExecuted"; reason: string }
  /** The values the action expected to replace changed, and not by this action: someone else moved them. */
  | { status: "changedByOther"; reason: string }
  /** Its validUntil passed before it landed: not sent (again); the next observation replans. Not lost. */
  | { status: "expired"; reason: string }
  | {
      status: "sent";
      route: "public" | "private";
      outcome: SendOutcome | PrivateOutcome;
      confirmation?: Confirmation;
      verified?: boolean;
      /** The transaction was signed by an earlier attempt (a process that died) and taken over, not signed now. */
      resumed?: boolean;
    };

/** Raised when the chain could not be asked (an RPC fault): the action is retried, never dropped. */
export class TransientExecutionError extends Error {
  override readonly name = "TransientExecutionError";
}

/**
 * Resume, build, simulate, send, confirm, verify — one action. A transaction an earlier attempt
 * signed for this action is finished first, before any simulation (which would revert once it
 * has landed). Then the steward's log is searched for this action's key (it landed: done) and its
 * validity checked (expired: not sent, replanned). A simulated revert drops the action with its
 * decoded reason (retrying it would revert again); a stale compare-and-set without our key in the
 * log means someone else changed the values. An RPC fault is thrown to be retried.
 */
export async function executeAction(deps: ExecutorDeps, planned: PlannedAction): Promise<ExecutionOutcome> {
  const key = planned.provenance.idempotencyKey;
  const validUntil = planned.provenance.validUntil;
  const tx = deps.adapter.buildAction(planned.action, planned.provenance);
  const landed = async (): Promise<ExecutionOutcome | undefined> => {
    const found = await findLandedAction(deps.provider, tx.to, key, deps.lookbackBlocks ?? 5_000);
    return found && { status: "alreadyExecuted", reason: `the steward logged this action's key in ${found.txHash} (block ${found.blockNumber})` };
  };
  const pending = await deps.publicTransport.pendingFor(key);
  if (pending) {
    const request = await resumedRequest(deps.provider, pending, tx, validUntil);
    if (request) {
      // A private record with no relay configured any more can only be finished in public: its bytes are all there is.
      const route = pending.via === "private" && deps.privateTransport ? "private" : "public";
      const outcome = route === "private" ? await deps.privateTransport!.resume(pending, request) : await deps.publicTransport.resume(pending, request);
      // Our nonce went to a transaction of no attempt of ours: whether the action landed is for the simulation to tell.
      if (outcome.status !== "replacedByOther") return finish(deps, planned, route, outcome, true);
    }
  }
  const done = await landed();
  if (done) return done;
  if (await isExpired(deps.provider, validUntil)) return { status: "expired", reason: `valid until ${validUntil}; the chain is past it` };
  const sim = await simulate(deps.provider, deps.from, tx, deps.decoder);
  if (sim.status === "failed") throw new TransientExecutionError(sim.reason);
  if (sim.status === "reverted") {
    const refusal = sim.error.kind === "custom" ? sim.error.name : "";
    if (refusal === "ActionExpired") return { status: "expired", reason: sim.description };
    if (refusal === "StaleExpectation" || refusal === "StalePosition")
      return (await landed()) ?? { status: "changedByOther", reason: `changed since the decision, not by this action: ${sim.description}` };
    return { status: "dropped", reason: `simulation reverts: ${sim.description}` };
  }
  const request = { ...tx, gasLimit: (sim.gasEstimate * 12n) / 10n + 10_000n, actionKey: key, validUntil };
  const route = routeOf(planned.action, planned.urgency, deps.privateTransport !== undefined);
  const outcome = route === "private" && deps.privateTransport ? await deps.privateTransport.send(request) : await deps.publicTransport.send(request);
  return finish(deps, planned, route, outcome, false);
}

async function finish(deps: ExecutorDeps, planned: PlannedAction, route: "public" | "private", outcome: SendOutcome | PrivateOutcome, resumed: boolean): Promise<ExecutionOutcome> {
  if (outcome.status === "expired") return { status: "expired", reason: outcome.reason };
  const sent = { status: "sent" as const, route, outcome, ...(resumed ? { resumed } : {}) };
  if (outcome.status !== "included" || !outcome.success) return sent;
  const confirmation = await waitForConfirmations(deps.provider, outcome.txHash, outcome.receipt.blockHash, deps.confirmations);
  if (confirmation.status !== "confirmed") return { ...sent, confirmation };
  return { ...sent, confirmation, verified: await verifyEffect(deps.adapter, planned, confirmation.blockNumber) };
}

/**
 * The request a resumed nonce is tracked (and, if stuck, replaced) with: the recorded transaction's
 * own call and gas limit. Undefined for a record without signed bytes whose transaction the node
 * does not know either: nothing can be re-broadcast, and the send path finds the record again.
 */
async function resumedRequest(provider: JsonRpcProvider, p: PendingNonce, tx: PopulatedAction, validUntil: bigint): Promise<SendRequest | undefined> {
  if (p.raw) {
    const signed = Transaction.from(p.raw);
    return { to: signed.to ?? tx.to, data: signed.data, value: signed.value, gasLimit: signed.gasLimit, actionKey: p.actionKey, validUntil };
  }
  const known = await provider.getTransaction(p.hashes[p.hashes.length - 1]);
  return known ? { ...tx, gasLimit: known.gasLimit, actionKey: p.actionKey, validUntil } : undefined;
}

/**
 * Reads the positions' exact sizes before and at the inclusion block: each must have shrunk by at
 * least what the action took (others may trade in the same block, but nothing may be cut by less).
 */
async function verifyDeleverage(adapter: ProtocolAdapter, reductions: { positionId: bigint; sizeDelta: bigint }[], block: number): Promise<boolean> {
  const [before, after] = await Promise.all([adapter.readSnapshot(block - 1), adapter.readSnapshot(block)]);
  if (!before.positionSizes || !after.positionSizes) return false; // a protocol without sizes cannot be checked
  return reductions.every(({ positionId, sizeDelta }) => {
    const id = positionId.toString();
    const was = before.positionSizes![id];
    return was !== undefined && (after.positionSizes![id] ?? 0n) <= was - sizeDelta;
  });
}

/** Reads the parameters back at the inclusion block: did the chain end up where the action meant it to? */
export async function verifyEffect(adapter: ProtocolAdapter, planned: PlannedAction, block: number): Promise<boolean> {
  const a = planned.action;
  if (a.kind === "deleverage") return verifyDeleverage(adapter, a.reductions, block);
  const p = await adapter.readParams(a.market, block);
  switch (a.kind) {
    case "setMarginRatios":
      return p.IMR === a.imrBps && p.MMR === a.mmrBps;
    case "setOpenInterestCaps":
      return p.LONG_CAP === a.longCap && p.SHORT_CAP === a.shortCap;
    case "setReserveRisk":
      return p.LTV === a.ltvBps && p.LIQ_THRESHOLD === a.liquidationThresholdBps && p.LIQ_BONUS === a.liquidationBonusBps;
    case "setReserveCaps":
      return p.SUPPLY_CAP === a.supplyCap && p.BORROW_CAP === a.borrowCap;
  }
}
