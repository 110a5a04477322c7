import type { ActionRequest } from "./actions";
import type { PlannedAction } from "./plan";

/** One line an operator reads: what an action changes, in the units governance speaks. */
export function describeAction(a: ActionRequest): string {
  switch (a.kind) {
    case "setMarginRatios":
      return `IMR ${a.imrBps} bps, MMR ${a.mmrBps} bps`;
    case "setOpenInterestCaps":
      return `caps long $${(Number(a.longCap) / 1e18).toFixed(0)}, short $${(Number(a.shortCap) / 1e18).toFixed(0)}`;
    case "deleverage":
      return `deleverage ${a.reductions.length} position(s)`;
    case "setReserveRisk":
      return `LTV ${a.ltvBps}, LT ${a.liquidationThresholdBps}, bonus ${a.liquidationBonusBps}`;
    case "setReserveCaps":
      return `supply cap ${a.supplyCap}, borrow cap ${a.borrowCap}`;
  }
}

/** Why an action was planned, in one line: the metric against the threshold it crossed (or is forecast to). */
export function describeReason(r: PlannedAction["reason"]): string {
  const v = (x: number | null) => (x === null ? "—" : x.toFixed(4));
  switch (r.metric) {
    case "forecast":
      return `svr ${v(r.observed)} forecast to fall below ${r.threshold} (${r.level})`;
    case "valueAtRisk":
      return `tail loss $${r.observed === null ? "—" : r.observed.toFixed(0)} > limit $${r.threshold.toFixed(0)} (${r.level})`;
    case "recovery":
      return `recovered for long enough after the keeper tightened: svr ${v(r.observed)} above ${r.threshold} (${r.level})`;
    default:
      return `${r.metric} ${v(r.observed)} < ${r.threshold} (${r.level})`;
  }
}
