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

/** The furthest a tightening step may move `current` in one update, within [min, max]. */
export function tightenLimit(current: bigint, b: ParamBounds, increase: boolean): bigint {
  if (increase) {
    const step = (current * (10_000n + b.maxTightenBps)) / 10_000n; // floor: never past the bound
    return step < b.max ? step : b.max;
  }
  const step = ceilDiv(current * (10_000n - b.maxTightenBps), 10_000n); // ceil: never past the bound
  return step > b.min ? step : b.min;
}

/** The furthest a loosening step may move `current` in one update, within [min, max]. */
export function loosenLimit(current: bigint, b: ParamBounds, increase: boolean): bigint {
  if (increase) {
    const step = (current * (10_000n + b.maxLoosenBps)) / 10_000n;
    return step < b.max ? step : b.max;
  }
  const step = ceilDiv(current * (10_000n - b.maxLoosenBps), 10_000n);
  return step > b.min ? step : b.min;
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
