import type { ParamBounds } from "../protocols/adapter";
import { breakingShock, marketSlice, minShock, runScenario, type MarketState, type Snapshot } from "../risk";
import type { MarketPolicy } from "./config";
import { cooldownLeft, loosenLimit, tightenLimit } from "./units";

export interface MarginContext {
  snapshot: Snapshot;
  market: MarketState;
  imrBps: bigint;
  mmrBps: bigint;
  bounds: Record<string, ParamBounds>;
  policy: MarketPolicy;
  /** Block timestamp: the policy's only clock. */
  now: number;
}

export type MarginDecision =
  | {
      status: "change";
      imrBps: bigint;
      mmrBps: bigint;
      breakingShockBefore: number | null;
      breakingShockAfter: number | null;
      /** The full raise was cut short by the self-liquidation gate or the steward's step. */
      partial: boolean;
      note: string;
    }
  | { status: "defer"; reason: string }
  | { status: "none" };

/**
 * The market's breaking shock (smaller of down and up) once its MMR is `mmrBps`. A crash is a gap:
 * positions are liquidated at the gapped price whatever their maintenance ratio, so a higher MMR
 * protects the market by forcing out, now, the positions that no longer meet it, while the pool can
 * still absorb them (the gate below checks that it can). The book is therefore judged without them.
 */
const shockWith = (ctx: MarginContext, mmrBps: bigint) => minShock(breakingShock(afterRaise(ctx, mmrBps)));

function withMmr(ctx: MarginContext, mmrBps: bigint): Snapshot {
  const s = marketSlice(ctx.snapshot, ctx.market.id);
  const mmr = Number(mmrBps) / 10_000;
  // The plan raises IMR with MMR, keeping the spread (a book with MMR ≥ IMR is refused, as on-chain).
  return { ...s, markets: s.markets.map((m) => (m.id === ctx.market.id ? { ...m, mmr, imr: Math.min(1, Math.max(m.imr, mmr + (m.imr - m.mmr))) } : m)) };
}

/** The market's book after the positions under the new maintenance margin are liquidated at today's mark. */
function afterRaise(ctx: MarginContext, mmrBps: bigint): Snapshot {
  const s = withMmr(ctx, mmrBps);
  const mmr = Number(mmrBps) / 10_000;
  const mark = ctx.market.mark;
  return { ...s, positions: s.positions.filter((p) => p.collateral + p.side * p.size * (mark - p.entryPrice) >= mmr * p.size * mark) };
}

/** Does this maintenance margin make the market survive the target move? (null breaking shock: nothing breaks.) */
function restores(ctx: MarginContext, mmrBps: bigint): boolean {
  const s = shockWith(ctx, mmrBps);
  return s === null || s >= ctx.policy.breakingShock.target;
}

/**
 * The self-liquidation gate: raising MMR makes some positions liquidatable at once. Their closes are
 * cascaded against the pool at today's prices; the step passes if that leaves no bad debt and moves
 * the price by no more than the liquidation fee (what liquidators are paid to absorb).
 */
export function passesGate(ctx: MarginContext, mmrBps: bigint): boolean {
  const r = runScenario(withMmr(ctx, mmrBps), {});
  if (r.liquidatedPositions === 0) return true;
  const price = ctx.snapshot.assets.find((a) => a.id === ctx.market.asset)?.price ?? ctx.market.mark;
  const impact = Math.abs(r.finalPrices[ctx.market.asset] / price - 1);
  return r.shortfall === 0 && impact <= ctx.market.liquidationFee;
}

/** Smallest value in (lo, hi] for which `ok` holds, assuming it is monotone; null if even hi fails. */
function smallest(lo: bigint, hi: bigint, ok: (v: bigint) => boolean): bigint | null {
  if (!ok(hi)) return null;
  while (hi - lo > 1n) {
    const mid = (lo + hi) / 2n;
    if (ok(mid)) hi = mid;
    else lo = mid;
  }
  return hi;
}

/** Largest value in (lo, hi] for which `ok` holds, assuming `ok` fails from some point up; null if none. */
function largest(lo: bigint, hi: bigint, ok: (v: bigint) => boolean): bigint | null {
  if (ok(hi)) return hi;
  let good: bigint | null = null;
  let a = lo;
  let b = hi;
  while (b - a > 1n) {
    const mid = (a + b) / 2n;
    if (ok(mid)) {
      good = mid;
      a = mid;
    } else b = mid;
  }
  return good;
}

/**
 * The smallest MMR raise (whole bps, so rounded up) that makes the market survive the target move,
 * clipped to the steward's bounds, step and delay for tightening and to the policy's own ceiling,
 * and ramped down when the raise would itself liquidate more than the pool absorbs within the fee.
 * IMR keeps its spread above MMR.
 */
export function planMarginRaise(ctx: MarginContext): MarginDecision {
  const { bounds, policy } = ctx;
  const mmrB = bounds.MMR;
  const imrB = bounds.IMR;
  if (!mmrB || !imrB) return { status: "defer", reason: "the steward has no bounds for IMR/MMR on this market" };
  const wait = Math.max(cooldownLeft(mmrB, true, ctx.now), cooldownLeft(imrB, true, ctx.now));
  if (wait > 0) return { status: "defer", reason: `the steward's tightening delay has ${wait}s left` };
  const before = shockWith(ctx, ctx.mmrBps);
  let ceiling = tightenLimit(ctx.mmrBps, mmrB, true);
  if (ceiling > BigInt(policy.maxMmrBps)) ceiling = BigInt(policy.maxMmrBps);
  if (ceiling <= ctx.mmrBps) return { status: "defer", reason: `MMR ${ctx.mmrBps} bps is at the highest the steward or policy allows` };

  const full = smallest(ctx.mmrBps, ceiling, (m) => restores(ctx, m));
  let target = full ?? ceiling;
  let partial = full === null;
  let note = full === null ? `even ${ceiling} bps (the most one step allows) does not restore the target; stepping there` : `smallest MMR restoring a ${policy.breakingShock.target} move`;
  if (!passesGate(ctx, target)) {
    const ramp = largest(ctx.mmrBps, target, (m) => passesGate(ctx, m));
    if (ramp === null) return { status: "defer", reason: "any MMR raise would liquidate more at once than the pool absorbs within the liquidation fee" };
    note = `ramped to ${ramp} bps: ${target} bps would liquidate more at once than the pool absorbs within the fee`;
    target = ramp;
    partial = true;
  }
  const spread = ctx.imrBps - ctx.mmrBps;
  const imrCeiling = tightenLimit(ctx.imrBps, imrB, true);
  let imr = target + spread > ctx.imrBps ? target + spread : ctx.imrBps;
  if (imr > imrCeiling) imr = imrCeiling;
  if (imr <= target) {
    target = imr - 1n;
    partial = true;
    if (target <= ctx.mmrBps) return { status: "defer", reason: "IMR cannot rise enough this step to stay above the new MMR" };
  }
  return { status: "change", imrBps: imr, mmrBps: target, breakingShockBefore: before, breakingShockAfter: shockWith(ctx, target), partial, note };
}

/** After a sustained recovery: one loosening step down, as long as the market still survives the target move with hysteresis. */
export function planMarginRelax(ctx: MarginContext): MarginDecision {
  const { bounds, policy } = ctx;
  const mmrB = bounds.MMR;
  const imrB = bounds.IMR;
  if (!mmrB || !imrB) return { status: "none" };
  if (cooldownLeft(mmrB, false, ctx.now) > 0 || cooldownLeft(imrB, false, ctx.now) > 0) return { status: "none" };
  let floor = loosenLimit(ctx.mmrBps, mmrB, false);
  if (floor < BigInt(policy.floorMmrBps)) floor = BigInt(policy.floorMmrBps);
  if (floor >= ctx.mmrBps) return { status: "none" };
  const safe = (m: bigint) => {
    const s = shockWith(ctx, m);
    return s === null || s >= policy.breakingShock.target * (1 + policy.hysteresis);
  };
  // The lowest MMR in [floor, current) that stays safe; search from the top down by bisection.
  if (!safe(ctx.mmrBps - 1n)) return { status: "none" };
  let lo = floor - 1n;
  let hi = ctx.mmrBps - 1n;
  if (safe(floor)) hi = floor;
  else {
    while (hi - lo > 1n) {
      const mid = (lo + hi) / 2n;
      if (safe(mid)) hi = mid;
      else lo = mid;
    }
  }
  const spread = ctx.imrBps - ctx.mmrBps;
  const imrFloor = loosenLimit(ctx.imrBps, imrB, false);
  const imr = hi + spread > imrFloor ? hi + spread : imrFloor;
  if (imr <= hi) return { status: "none" };
  return { status: "change", imrBps: imr, mmrBps: hi, breakingShockBefore: shockWith(ctx, ctx.mmrBps), breakingShockAfter: shockWith(ctx, hi), partial: false, note: "sustained recovery: margins relaxed one loosening step" };
}
