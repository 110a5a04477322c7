import type { ParamBounds } from "../domain/protocol-state";
import { cooldownLeft, loosenToward, tightenLimit } from "./units";

/**
 * A cap already within this fraction of open interest is left alone: open interest drifts with
 * prices every block, and chasing it would send a transaction per block for no safety at all.
 */
export const MIN_CAP_CUT = 0.05;

export type CapDecision = { status: "change"; longCap: bigint; shortCap: bigint; note: string } | { status: "defer"; reason: string } | { status: "none" };

/**
 * Stops open interest from growing: each side's cap comes down to that side's current open interest
 * (18-decimal USD, rounded down), no further than the steward's tightening step and min allow,
 * and not at all when the cut would be smaller than MIN_CAP_CUT of the cap.
 */
export function planCapCut(current: { longCap: bigint; shortCap: bigint }, openInterest: { long: bigint; short: bigint }, bounds: Record<string, ParamBounds>, now: number): CapDecision {
  const lb = bounds.LONG_CAP;
  const sb = bounds.SHORT_CAP;
  if (!lb || !sb) return { status: "defer", reason: "the steward has no bounds for the open-interest caps" };
  const wait = Math.max(cooldownLeft(lb, true, now), cooldownLeft(sb, true, now));
  if (wait > 0) return { status: "defer", reason: `the steward's tightening delay for caps has ${wait}s left` };
  const cut = (cap: bigint, oi: bigint, b: ParamBounds) => {
    if (oi >= cap || cap - oi <= (cap * BigInt(Math.round(MIN_CAP_CUT * 10_000))) / 10_000n) return cap;
    const limit = tightenLimit(cap, b, false);
    return oi > limit ? oi : limit;
  };
  const longCap = cut(current.longCap, openInterest.long, lb);
  const shortCap = cut(current.shortCap, openInterest.short, sb);
  if (longCap === current.longCap && shortCap === current.shortCap) return { status: "none" };
  return { status: "change", longCap, shortCap, note: "caps lowered toward current open interest to stop growth" };
}

/**
 * After a recovery: each side's cap one loosening step back toward the caps the keeper found (never
 * above them), as soon as the steward's loosening delay allows. Caps stop a fragile book from growing;
 * left down once it is healthy, they would turn business away for good.
 */
export function planCapRelax(current: { longCap: bigint; shortCap: bigint }, baseline: { longCap: bigint; shortCap: bigint }, bounds: Record<string, ParamBounds>, now: number): CapDecision {
  const lb = bounds.LONG_CAP;
  const sb = bounds.SHORT_CAP;
  if (!lb || !sb) return { status: "none" };
  const longCap = loosenToward(current.longCap, baseline.longCap, lb, true, now);
  const shortCap = loosenToward(current.shortCap, baseline.shortCap, sb, true, now);
  if (longCap === current.longCap && shortCap === current.shortCap) return { status: "none" };
  return { status: "change", longCap, shortCap, note: "recovered: caps one loosening step back toward those the keeper found" };
}
