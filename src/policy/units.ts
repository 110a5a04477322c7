import type { ParamBounds } from "../domain/protocol-state";

/** USD float → 18-decimal bigint, rounded down (caps round down: toward safety). */
export function usdToWadFloor(usd: number): bigint {
  if (!(usd >= 0) || !Number.isFinite(usd)) return 0n;
  return BigInt(Math.floor(usd * 1e6)) * 10n ** 12n;
}

/** Fraction → basis points, rounded up (margins round up: toward safety). */
export function fractionToBpsCeil(x: number): bigint {
  return BigInt(Math.ceil(x * 10_000 - 1e-9));
}

/** The furthest one step of at most `maxStep` (bps of `current` or absolute units) may move `current`, rounded so it never passes the step. */
function stepTo(current: bigint, b: ParamBounds, maxStep: bigint, increase: boolean): bigint {
  if (b.mode === "absolute") return increase ? current + maxStep : current > maxStep ? current - maxStep : 0n;
  return increase ? (current * (10_000n + maxStep)) / 10_000n : ceilDiv(current * (10_000n - maxStep), 10_000n);
}

const clamp = (v: bigint, b: ParamBounds) => (v > b.max ? b.max : v < b.min ? b.min : v);

/** The furthest a tightening step may move `current` in one update, within [min, max]. */
export function tightenLimit(current: bigint, b: ParamBounds, increase: boolean): bigint {
  return clamp(stepTo(current, b, b.maxTighten, increase), b);
}

/** The furthest a loosening step may move `current` in one update, within [min, max]. */
export function loosenLimit(current: bigint, b: ParamBounds, increase: boolean): bigint {
  return clamp(stepTo(current, b, b.maxLoosen, increase), b);
}

/**
 * One loosening step from `current` toward `target`, never past it, once the steward's loosening
 * delay allows; `current` itself when it is already there, or there are no bounds, or it must wait.
 * `increase`: loosening raises the value (a cap, an LTV), else lowers it (a margin).
 */
export function loosenToward(current: bigint, target: bigint, b: ParamBounds | undefined, increase: boolean, now: number): bigint {
  if (!b || (increase ? current >= target : current <= target) || cooldownLeft(b, false, now) > 0) return current;
  const limit = loosenLimit(current, b, increase);
  if (increase) return limit < target ? limit : target;
  return limit > target ? limit : target;
}

/** Seconds until the steward accepts an update in this direction (0 when it does now). */
export function cooldownLeft(b: ParamBounds, tightening: boolean, now: number): number {
  if (b.lastUpdate === 0n) return 0;
  const ready = Number(b.lastUpdate + (tightening ? b.tightenDelay : b.loosenDelay));
  return Math.max(0, ready - now);
}

export function ceilDiv(a: bigint, b: bigint): bigint {
  return a === 0n ? 0n : (a - 1n) / b + 1n;
}
