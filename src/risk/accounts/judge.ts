import { healthFromSums } from "./aave";
import { FAMILY_AAVE, LEG_DEBT, LEG_PERP, type CompiledAccounts } from "./compile";

/** Slots of the `out` array `judgeAccount` fills. */
export const HEALTH = 0;
export const MARGIN = 1;
export const SENSITIVITY = 2;
export const FALL = 3;
export const RISE = 4;
/** Aave: the legs a liquidator takes, its largest collateral (by value, among those that count) and its largest debt (−1: none). */
export const COLLATERAL_LEG = 5;
export const DEBT_LEG = 6;
/** Aave: how many collateral legs that count, and how many debt legs, are non-zero. */
export const COLLATERAL_LEGS = 7;
export const DEBT_LEGS = 8;
/** Length of the `out` array. */
export const JUDGE_SLOTS = 9;

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
  const { legStart, kind, asset, weight, weightBps, side, entry, basis } = acc;
  const s = legStart[i];
  const e = legStart[i + 1];
  if (acc.family[i] === FAMILY_AAVE) {
    let c = 0;
    let w = 0;
    let d = 0;
    let thr = 0;
    let fall = 0;
    let rise = 0;
    let coll = -1;
    let collValue = 0;
    let colls = 0;
    let debt = -1;
    let debtValue = 0;
    let debts = 0;
    for (let k = s; k < e; k++) {
      const q = amt[k];
      if (q === 0) continue;
      const a = asset[k];
      const v = q * prices[a];
      if (kind[k] === LEG_DEBT) {
        d += v;
        debts++;
        if (v > debtValue) {
          debt = k;
          debtValue = v;
        }
        if (moving[a] === 1) rise += v;
      } else if (weightBps[k] > 0) {
        c += v;
        w += v * weightBps[k];
        thr += v * weight[k];
        colls++;
        if (v > collValue) {
          coll = k;
          collValue = v;
        }
        if (moving[a] === 1) {
          // The margin below counts this collateral at its threshold less the rounding cushion.
          const m = weight[k] - 1.1e-4;
          if (m >= 0) fall += v * m;
          else rise -= v * m;
        }
      }
    }
    out[FALL] = fall;
    out[RISE] = rise;
    out[COLLATERAL_LEG] = coll;
    out[DEBT_LEG] = debt;
    out[COLLATERAL_LEGS] = colls;
    out[DEBT_LEGS] = debts;
    const hf = healthFromSums(c, w, d);
    out[HEALTH] = hf;
    // Aave rounds the average threshold down to whole bps: up to 1 bp of the collateral.
    out[MARGIN] = thr - d - 1.1e-4 * c;
    out[SENSITIVITY] = thr + d + 1.1e-4 * c;
    return hf < 1;
  }
  let eq = 0;
  let mt = 0;
  let sens = 0;
  let perps = 0;
  let fall = 0;
  let rise = 0;
  for (let k = s; k < e; k++) {
    const q = amt[k];
    const a = asset[k];
    if (kind[k] === LEG_PERP) {
      const mark = prices[a] * basis[k];
      const notional = q * mark;
      eq += side[k] * q * (mark - entry[k]);
      mt += weight[k] * notional;
      sens += notional * (1 + weight[k]);
      if (q > 0) perps++;
      if (moving[a] === 1) {
        // d(equity − maintenance) / d mark = (side − MMR) × size.
        const m = side[k] - weight[k];
        if (m > 0) fall += notional * m;
        else rise -= notional * m;
      }
    } else if (a < 0) eq += q * weight[k];
    else {
      const v = q * prices[a] * weight[k];
      eq += v;
      sens += v;
      if (moving[a] === 1) fall += v;
    }
  }
  out[FALL] = fall;
  out[RISE] = rise;
  out[COLLATERAL_LEG] = -1;
  out[DEBT_LEG] = -1;
  out[HEALTH] = mt > 0 ? eq / mt : Infinity;
  out[MARGIN] = eq - mt;
  out[SENSITIVITY] = sens;
  return perps > 0 && eq < mt;
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
