import type { ActionRequest } from "./actions";

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
