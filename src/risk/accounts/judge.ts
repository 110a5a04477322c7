import { closeFactorAt, closeFactorFromSums, healthFromSums, UNDECIDED } from "./aave";
import { FAMILY_AAVE, type CompiledAccounts } from "./compile";

/** Slots of the `out` array `judgeAccount` fills. */
export const HEALTH = 0;
export const MARGIN = 1;
export const SENSITIVITY = 2;
export const FALL = 3;
export const RISE = 4;
/** Aave, when liquidatable: the legs a liquidator takes, its largest collateral (by value, among those that count) and its largest debt (−1: none). */
export const COLLATERAL_LEG = 5;
export const DEBT_LEG = 6;
/** Aave, when liquidatable: how many collateral legs that count, and how many debt legs, are non-zero. */
export const COLLATERAL_LEGS = 7;
export const DEBT_LEGS = 8;
/** Aave, when liquidatable: the share of the chosen debt one liquidationCall may repay (./aave.ts). */
export const CLOSE_FACTOR = 9;
/** Length of the `out` array. */
export const JUDGE_SLOTS = 10;

/**
 * Judges account i at `prices` by its family's rule; true when it is liquidatable. Writes to `out`:
 * its health (Aave HF, or equity ÷ maintenance), its margin in USD (threshold-valued collateral −
 * debt, or equity − maintenance) less what Aave's rounding of the average threshold can take, and
 * its sensitivity: the most the margin can lose per unit of the largest relative price move.
 *
 * The margin is linear in the prices, so it also splits that sensitivity by direction, over the
 * assets `moving` flags only: FALL, the margin lost per unit of relative fall of the prices that hurt
 * when they fall (collateral, long positions), and RISE, the same for rises (debts, short positions).
 * Prices that fall by at most F and rise by at most R cost the margin at most FALL × F + RISE × R.
 */
export function judgeAccount(acc: CompiledAccounts, amt: Float64Array, prices: Float64Array, i: number, out: Float64Array, moving: Uint8Array): boolean {
  if (acc.family[i] === FAMILY_AAVE) {
    const liquidatable = judgeAaveLiquidation(acc, amt, prices, i, out, true);
    aaveWatchFigures(acc, amt, prices, i, out, moving);
    return liquidatable;
  }
  return judgeMargin(acc, amt, prices, i, out, moving);
}

/**
 * Whether an Aave account is liquidatable and, for a liquidator, its close factor, its largest
 * collateral that counts and its largest debt and how many of each are non-zero: judgeAccount less
 * the watch's figures, which the cascade needs only for an account that stays open
 * (aaveWatchFigures). The exact health factor is written when `health` asks for it, otherwise only
 * where the bound on it cannot tell (aaveVerdict): the cascade reads the close factor, not the health.
 */
export function judgeAaveLiquidation(acc: CompiledAccounts, amt: Float64Array, prices: Float64Array, i: number, out: Float64Array, health: boolean): boolean {
  const { legStart, exposureStart, asset, weightBps } = acc;
  const x = exposureStart[i];
  const e = legStart[i + 1];
  let c = 0;
  let w = 0;
  let d = 0;
  let coll = -1;
  let collValue = 0;
  let colls = 0;
  let debt = -1;
  let debtValue = 0;
  let debts = 0;
  for (let k = legStart[i]; k < x; k++) {
    if (weightBps[k] === 0) continue;
    const q = amt[k];
    const v = q * prices[asset[k]];
    colls += q !== 0 ? 1 : 0;
    if (v > collValue) {
      coll = k;
      collValue = v;
    }
    c += v;
    w += v * weightBps[k];
  }
  for (let k = x; k < e; k++) {
    const q = amt[k];
    const v = q * prices[asset[k]];
    debts += q !== 0 ? 1 : 0;
    if (v > debtValue) {
      debt = k;
      debtValue = v;
    }
    d += v;
  }
  out[COLLATERAL_LEG] = coll;
  out[DEBT_LEG] = debt;
  out[COLLATERAL_LEGS] = colls;
  out[DEBT_LEGS] = debts;
  return aaveVerdict(c, w, d, out, health);
}

/**
 * Writes the close factor of an Aave account's sums (healthFromSums) to `out` and, when `health`
 * asks or the bound cannot tell (closeFactorFromSums), its exact health factor; true when it is
 * liquidatable. Kept apart so that V8 inlines the judgment into the cascade's scan.
 */
function aaveVerdict(c: number, w: number, d: number, out: Float64Array, health: boolean): boolean {
  const bound = health ? UNDECIDED : closeFactorFromSums(c, w, d);
  if (bound !== UNDECIDED) {
    out[CLOSE_FACTOR] = bound;
    return bound > 0;
  }
  const hf = healthFromSums(c, w, d);
  out[HEALTH] = hf;
  out[CLOSE_FACTOR] = closeFactorAt(hf);
  return hf < 1;
}

/** An Aave account's margin, sensitivity, FALL and RISE (see judgeAccount). */
export function aaveWatchFigures(acc: CompiledAccounts, amt: Float64Array, prices: Float64Array, i: number, out: Float64Array, moving: Uint8Array): void {
  // A moving flag multiplies rather than branches: a branch on the asset mispredicts on a mixed book.
  const { legStart, exposureStart, asset, weight, weightBps } = acc;
  const x = exposureStart[i];
  const e = legStart[i + 1];
  let c = 0;
  let d = 0;
  let thr = 0;
  let fall = 0;
  let rise = 0;
  for (let k = legStart[i]; k < x; k++) {
    if (weightBps[k] === 0) continue;
    const a = asset[k];
    const v = amt[k] * prices[a];
    c += v;
    thr += v * weight[k];
    // The margin below counts this collateral at its threshold less the rounding cushion.
    const m = weight[k] - 1.1e-4;
    if (m >= 0) fall += v * m * moving[a];
    else rise -= v * m * moving[a];
  }
  for (let k = x; k < e; k++) {
    const a = asset[k];
    const v = amt[k] * prices[a];
    d += v;
    rise += v * moving[a];
  }
  out[FALL] = fall;
  out[RISE] = rise;
  // Aave rounds the average threshold down to whole bps: up to 1 bp of the collateral.
  out[MARGIN] = thr - d - 1.1e-4 * c;
  out[SENSITIVITY] = thr + d + 1.1e-4 * c;
}

/** A margin account's judgment (see judgeAccount). */
export function judgeMargin(acc: CompiledAccounts, amt: Float64Array, prices: Float64Array, i: number, out: Float64Array, moving: Uint8Array): boolean {
  // Collateral legs and exposures are walked in two loops, and a moving flag multiplies rather than
  // branches: a branch on the leg's kind, side or asset mispredicts on a mixed book.
  const { legStart, exposureStart, asset, weight, side, entry, basis } = acc;
  const s = legStart[i];
  const x = exposureStart[i];
  const e = legStart[i + 1];
  let eq = 0;
  let mt = 0;
  let sens = 0;
  let fall = 0;
  let rise = 0;
  for (let k = s; k < x; k++) {
    const a = asset[k];
    if (a < 0) {
      eq += amt[k] * weight[k];
      continue;
    }
    const v = amt[k] * prices[a] * weight[k];
    eq += v;
    sens += v;
    fall += v * moving[a];
  }
  for (let k = x; k < e; k++) {
    const q = amt[k];
    const a = asset[k];
    const mark = prices[a] * basis[k];
    const notional = q * mark;
    eq += side[k] * q * (mark - entry[k]);
    mt += weight[k] * notional;
    sens += notional * (1 + weight[k]);
    // d(equity − maintenance) / d mark = (side − MMR) × size: a fall costs its positive part, a rise its negative part.
    const slope = notional * (side[k] - weight[k]) * moving[a];
    const size = Math.abs(slope);
    fall += (slope + size) * 0.5;
    rise += (size - slope) * 0.5;
  }
  out[FALL] = fall;
  out[RISE] = rise;
  out[COLLATERAL_LEG] = -1;
  out[DEBT_LEG] = -1;
  out[HEALTH] = mt > 0 ? eq / mt : Infinity;
  out[MARGIN] = eq - mt;
  out[SENSITIVITY] = sens;
  // With no open position nothing is owed and collateral alone is never negative: no count of open positions needed.
  return eq < mt;
}

/**
 * Distance to the edge at `prices`: margin ÷ sensitivity. No account whose distance exceeds the
 * largest relative price move since can be liquidatable.
 */
export function distanceToEdge(out: Float64Array): number {
  const m = out[MARGIN];
  const s = out[SENSITIVITY];
  if (s > 0) return m / s;
  return m > 0 ? Infinity : -1;
}
