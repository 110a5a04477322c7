import type { ParamBounds } from "../domain/protocol-state";
import { breakingShock, marketSlice, minShock, runScenario, type MarketState, type Snapshot } from "../risk";
import type { MarketPolicy } from "./config";
import type { Direction } from "./danger";
import { bestGatedRaise, buysSomething, withMmr, describeCostBenefit, passesCostBenefit, raiseCostBenefit, type RaiseCostBenefit } from "./gate";
import { cooldownLeft, fractionToBpsCeil, loosenToward, tightenLimit } from "./units";

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

const withRaisedMmr = (ctx: MarginContext, mmrBps: bigint): Snapshot => withMmr(ctx.snapshot, ctx.market.id, Number(mmrBps) / 10_000);

/** The market's book after the positions under the new maintenance margin are liquidated at today's mark. */
function afterRaise(ctx: MarginContext, mmrBps: bigint): Snapshot {
  const s = withRaisedMmr(ctx, mmrBps);
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
  const r = runScenario(withRaisedMmr(ctx, mmrBps), {});
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
 * The IMR that keeps new risk from becoming the book's weakest link: a position opened at the highest
 * leverage it allows breaks no sooner than the book already does (IMR = the book's breaking shock,
 * at most the target, + the liquidation fee; whole bps, rounded up). Not the target itself: the
 * rehearsals showed that raising IMR toward the target — just before a crash or in one — does not
 * stop dip buying (openings come with more collateral, at the highest leverage allowed) and leaves
 * those positions to be liquidated deeper into the cascade (crash-thin-liquidity: $1.46M of bad debt
 * with a raise before the move, $1.58M with raises during it, $1.36M without the keeper). Restoring
 * the target is governance's choice, and the warning says what it costs. 0 when nothing breaks.
 */
export function imrForNewRisk(ctx: Pick<MarginContext, "market" | "policy">, breakingShock: number | null): bigint {
  if (breakingShock === null) return 0n;
  return fractionToBpsCeil(Math.min(breakingShock, ctx.policy.breakingShock.target) + ctx.market.liquidationFee);
}

/** Toward imrForNewRisk, one tightening step at most, within the steward's bounds and delay; null when there is nothing to raise. */
export function planImrRaise(ctx: MarginContext, breakingShock: number | null): { imrBps: bigint } | { defer: string } | null {
  const imrB = ctx.bounds.IMR;
  const goal = imrForNewRisk(ctx, breakingShock);
  if (goal <= ctx.imrBps) return null;
  if (!imrB) return { defer: "the steward has no bounds for IMR on this market" };
  const wait = cooldownLeft(imrB, true, ctx.now);
  if (wait > 0) return { defer: `the steward's IMR tightening delay has ${wait}s left` };
  const ceiling = tightenLimit(ctx.imrBps, imrB, true);
  const imr = goal < ceiling ? goal : ceiling;
  return imr > ctx.imrBps ? { imrBps: imr } : { defer: `IMR ${ctx.imrBps} bps is at the highest the steward allows` };
}

export type MmrDecision =
  | { status: "change"; mmrBps: bigint; breakingShockBefore: number | null; breakingShockAfter: number | null; costBenefit: RaiseCostBenefit; note: string }
  | { status: "gated"; reason: string; costBenefit: RaiseCostBenefit }
  | { status: "defer"; reason: string }
  | { status: "none" };

/**
 * An MMR raise, for live danger only (the caller decides that). The range is from today's MMR to
 * the smallest value that restores the target move (or the most one steward step and the policy's
 * ceiling allow); within it the cost–benefit gate picks the value with the largest net benefit that
 * avoids at least `judgment.minAvoidedBadDebtPerForcedNotional` × what it force-liquidates, and the
 * pool gate ramps it down when forcing those positions out at once would move the pool's price by
 * more than the liquidation fee.
 */
export function planMmrRaise(ctx: MarginContext, direction: Direction, projectedMove = 0): MmrDecision {
  const { bounds, policy } = ctx;
  const mmrB = bounds.MMR;
  if (!mmrB || !bounds.IMR) return { status: "defer", reason: "the steward has no bounds for IMR/MMR on this market" };
  // Only the MMR's own delay: an IMR still cooling down from a gentle raise stays put and caps the MMR below it.
  const wait = cooldownLeft(mmrB, true, ctx.now);
  if (wait > 0) return { status: "defer", reason: `the steward's MMR tightening delay has ${wait}s left` };
  let ceiling = tightenLimit(ctx.mmrBps, mmrB, true);
  if (cooldownLeft(bounds.IMR, true, ctx.now) > 0 && ceiling >= ctx.imrBps) ceiling = ctx.imrBps - 1n;
  if (ceiling > BigInt(policy.maxMmrBps)) ceiling = BigInt(policy.maxMmrBps);
  if (ceiling <= ctx.mmrBps) return { status: "defer", reason: `MMR ${ctx.mmrBps} bps is at the highest the steward or policy allows` };
  const restoring = smallest(ctx.mmrBps, ceiling, (m) => restores(ctx, m));
  const multiple = policy.judgment.minAvoidedBadDebtPerForcedNotional;
  const gateInput = { snapshot: ctx.snapshot, market: ctx.market, mmrBps: ctx.mmrBps, targetShock: policy.breakingShock.target, direction, projectedMove };
  const gate = bestGatedRaise(gateInput, restoring ?? ceiling, multiple);
  if ("fail" in gate) return { status: "gated", reason: `no MMR raise passes the cost–benefit gate: ${describeCostBenefit(gate.fail, multiple)}`, costBenefit: gate.fail };
  let chosen = gate.pass;
  let note = describeCostBenefit(chosen, multiple);
  // The pool gate guards positions the projected move would spare: a raise that closes only the
  // doomed sends the pool, now and while it is deeper, the same sales the move would send later.
  if (chosen.forcedPositions > 0 && !passesGate(ctx, chosen.mmrBps)) {
    const ramp = largest(ctx.mmrBps, chosen.mmrBps, (m) => passesGate(ctx, m));
    if (ramp === null) return { status: "defer", reason: "any MMR raise would liquidate more at once than the pool absorbs within the liquidation fee" };
    const rampFigures = raiseCostBenefit(gateInput, ramp);
    // A ramp that forces no one out buys nothing now and only makes the next move liquidate sooner.
    if (rampFigures.forcedPositions + rampFigures.doomedPositions === 0)
      return { status: "defer", reason: "forcing out even the thinnest position would set off more liquidations at once than the pool absorbs within the liquidation fee" };
    if (!passesCostBenefit(rampFigures, multiple) || !buysSomething(rampFigures))
      return { status: "gated", reason: `the pool absorbs only a raise to ${ramp} bps, which fails the cost–benefit gate: ${describeCostBenefit(rampFigures, multiple)}`, costBenefit: rampFigures };
    note = `ramped from ${chosen.mmrBps} bps (more than the pool absorbs within the fee): ${describeCostBenefit(rampFigures, multiple)}`;
    chosen = rampFigures;
  }
  return { status: "change", mmrBps: chosen.mmrBps, breakingShockBefore: shockWith(ctx, ctx.mmrBps), breakingShockAfter: shockWith(ctx, chosen.mmrBps), costBenefit: chosen, note };
}

/**
 * The margins one setMarginRatios carries: the MMR raise (if any) and an IMR that is at least the
 * gentle target's step, keeps today's spread above a raised MMR, and stays within the IMR step.
 * Null when nothing changes.
 */
export function composeMargins(ctx: MarginContext, imrStep: bigint | undefined, mmr: bigint | undefined): { imrBps: bigint; mmrBps: bigint } | null {
  let target = mmr ?? ctx.mmrBps;
  let imr = imrStep !== undefined && imrStep > ctx.imrBps ? imrStep : ctx.imrBps;
  if (mmr !== undefined && ctx.bounds.IMR) {
    const spread = ctx.imrBps - ctx.mmrBps;
    const imrCeiling = cooldownLeft(ctx.bounds.IMR, true, ctx.now) > 0 ? ctx.imrBps : tightenLimit(ctx.imrBps, ctx.bounds.IMR, true);
    if (mmr + spread > imr) imr = mmr + spread > imrCeiling ? imrCeiling : mmr + spread;
    if (imr <= target) target = imr - 1n;
    if (target <= ctx.mmrBps) target = ctx.mmrBps;
  }
  if (imr === ctx.imrBps && target === ctx.mmrBps) return null;
  return { imrBps: imr, mmrBps: target };
}

/**
 * After a recovery from what a raise responded to: one loosening step back toward the baseline
 * margins (governance's, or those the keeper found), never below them, the policy's floor, or the
 * IMR that keeps new risk from becoming the book's weakest link.
 */
export function planMarginRelax(ctx: MarginContext, baseline: { imrBps: bigint; mmrBps: bigint }, keepImrAtLeast?: bigint): MarginDecision {
  const { bounds, policy } = ctx;
  const mmrB = bounds.MMR;
  const imrB = bounds.IMR;
  if (!mmrB || !imrB) return { status: "none" };
  const mmrFloor = maxOf(baseline.mmrBps, BigInt(policy.floorMmrBps));
  const mmr = loosenToward(ctx.mmrBps, mmrFloor, mmrB, false, ctx.now);
  const imrFloor = maxOf(baseline.imrBps, keepImrAtLeast ?? 0n, mmr + 1n);
  const imr = loosenToward(ctx.imrBps, imrFloor, imrB, false, ctx.now);
  if (imr === ctx.imrBps && mmr === ctx.mmrBps) return { status: "none" };
  return {
    status: "change",
    imrBps: imr,
    mmrBps: mmr,
    breakingShockBefore: shockWith(ctx, ctx.mmrBps),
    breakingShockAfter: shockWith(ctx, mmr),
    partial: imr > baseline.imrBps || mmr > baseline.mmrBps,
    note: `recovered: margins one loosening step back toward the baseline (IMR ${baseline.imrBps}, MMR ${baseline.mmrBps} bps)`,
  };
}

/**
 * The smallest MMR (up to `limit`) whose forced exits restore the target move, and what it forces
 * out now: the fix a warning to governance proposes. Null when even `limit` does not restore it.
 */
export function mmrFix(ctx: MarginContext, limit: bigint): { mmrBps: bigint; forcedNotional: number; forcedPositions: number } | null {
  if (limit <= ctx.mmrBps) return null;
  const m = smallest(ctx.mmrBps, limit, (v) => restores(ctx, v));
  if (m === null) return null;
  const mmr = Number(m) / 10_000;
  let forcedNotional = 0;
  let forcedPositions = 0;
  for (const p of marketSlice(ctx.snapshot, ctx.market.id).positions) {
    if (p.collateral + p.side * p.size * (ctx.market.mark - p.entryPrice) < mmr * p.size * ctx.market.mark) {
      forcedNotional += p.size * ctx.market.mark;
      forcedPositions++;
    }
  }
  return { mmrBps: m, forcedNotional, forcedPositions };
}

function maxOf(...xs: bigint[]): bigint {
  return xs.reduce((a, b) => (b > a ? b : a));
}
