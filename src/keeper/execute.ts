import type { JsonRpcProvider } from "ethers";
import { waitForConfirmations, type Confirmation } from "../chain/confirm";
import type { FlashbotsTransport, PrivateOutcome } from "../chain/flashbots-transport";
import type { SendOutcome } from "../chain/outcome";
import type { PublicTransport } from "../chain/public-transport";
import type { RevertDecoder } from "../chain/revert";
import { routeOf } from "../chain/router";
import { simulate } from "../chain/simulate";
import type { PlannedAction } from "../policy";
import type { ProtocolAdapter } from "../protocols/adapter";

export interface ExecutorDeps {
  provider: JsonRpcProvider;
  adapter: ProtocolAdapter;
  decoder: RevertDecoder;
  /** The keeper's address: simulations run from it. */
  from: string;
  publicTransport: PublicTransport;
  privateTransport?: FlashbotsTransport;
  confirmations: number;
}

export type ExecutionOutcome =
  | { status: "dropped"; reason: string }
  | { status: "sent"; route: "public" | "private"; outcome: SendOutcome | PrivateOutcome; confirmation?: Confirmation; verified?: boolean };

/** Raised when the chain could not be asked (an RPC fault): the action is retried, never dropped. */
export class TransientExecutionError extends Error {
  override readonly name = "TransientExecutionError";
}

/**
 * Build, simulate, send, confirm, verify — one action. A simulated revert drops the action with
 * its decoded reason (retrying it would revert again); an RPC fault is thrown to be retried.
 */
export async function executeAction(deps: ExecutorDeps, planned: PlannedAction): Promise<ExecutionOutcome> {
  const tx = deps.adapter.buildAction(planned.action, planned.provenance);
  const sim = await simulate(deps.provider, deps.from, tx, deps.decoder);
  if (sim.status === "failed") throw new TransientExecutionError(sim.reason);
  if (sim.status === "reverted") return { status: "dropped", reason: `simulation reverts: ${sim.description}` };
  const request = { ...tx, gasLimit: (sim.gasEstimate * 12n) / 10n + 10_000n, actionKey: planned.provenance.idempotencyKey };
  const route = routeOf(planned.action, planned.urgency, deps.privateTransport !== undefined);
  const outcome = route === "private" && deps.privateTransport ? await deps.privateTransport.send(request) : await deps.publicTransport.send(request);
  if (outcome.status !== "included" || !outcome.success) return { status: "sent", route, outcome };
  const confirmation = await waitForConfirmations(deps.provider, outcome.txHash, outcome.receipt.blockHash, deps.confirmations);
  if (confirmation.status !== "confirmed") return { status: "sent", route, outcome, confirmation };
  return { status: "sent", route, outcome, confirmation, verified: await verifyEffect(deps.adapter, planned, confirmation.blockNumber) };
}

/** Reads the parameters back at the inclusion block: did the chain end up where the action meant it to? */
async function verifyEffect(adapter: ProtocolAdapter, planned: PlannedAction, block: number): Promise<boolean> {
  const a = planned.action;
  if (a.kind === "deleverage") return true; // positions move; the steward's event is the record
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
