/**
 * Aave V3 liquidation rules, as deployed by this project: `@aave/core-v3` 1.19.3 (protocol
 * version 3.0.2), contracts/protocol/libraries/logic/{GenericLogic,LiquidationLogic}.sol.
 *
 * - Health factor (GenericLogic.calculateUserAccountData): collateral legs count only where the
 *   reserve's own liquidation threshold is non-zero and the user uses it as collateral; the
 *   average threshold Σ value × LT(bps) ÷ Σ value is rounded DOWN to whole basis points, then
 *   HF = Σ collateral value × avgLT ÷ Σ debt value. In eMode, collateral of the user's category
 *   takes the category's LT (and, in liquidation, its bonus).
 * - Liquidatable when HF < 1.
 * - Close factor: 50 % of the chosen debt reserve's debt when HF > 0.95, 100 % at or below 0.95
 *   (CLOSE_FACTOR_HF_THRESHOLD); no dust or minimum-leftover rule in this version, and no
 *   on-chain bad-debt write-off: what collateral cannot cover stays as debt (our bad debt).
 * - Seized collateral = debt covered × debt price ÷ collateral price × (1 + bonus), capped at the
 *   user's balance (then the debt covered is scaled down to match); of the bonus part,
 *   `protocolFee` goes to the treasury and the rest, with the base, to the liquidator.
 */

export const CLOSE_FACTOR_HF_THRESHOLD = 0.95;
export const DEFAULT_CLOSE_FACTOR = 0.5;
export const MAX_CLOSE_FACTOR = 1;

/** HF from collateral values (USD), their thresholds in bps, and total debt value (USD); Infinity without debt. */
export function aaveHealthFactor(collateralValues: readonly number[], thresholdsBps: readonly number[], debtValue: number): number {
  let c = 0;
  let weighted = 0;
  collateralValues.forEach((v, i) => {
    if (thresholdsBps[i] === 0) return;
    c += v;
    weighted += v * thresholdsBps[i];
  });
  return healthFromSums(c, weighted, debtValue);
}

/** HF from Σ collateral value and Σ value × LT(bps), with Aave's average threshold rounded down. */
export function healthFromSums(collateral: number, weightedBps: number, debt: number): number {
  if (!(debt > 0)) return Infinity;
  if (!(collateral > 0)) return 0;
  // The tiny nudge keeps an exact integer average (one collateral) from flooring to the bps below.
  const avgBps = Math.floor(weightedBps / collateral + 1e-9);
  return (collateral * avgBps) / 10_000 / debt;
}

/** closeFactorFromSums: the sums are too near health factor 1 or 0.95 to tell. */
export const UNDECIDED = -1;

/**
 * The close factor of a liquidationCall at the health factor of these sums (healthFromSums), 0 when
 * the account is not liquidatable, or UNDECIDED, without the rounded average threshold (two
 * divisions and a floor): 10⁴ × HF lies in (w − c, w] ÷ d, less float error far below the 1e-9
 * tolerance, so only sums within that of HF 1 or 0.95 are UNDECIDED (and c ≤ 0 or d ≤ 0, left to
 * healthFromSums).
 */
export function closeFactorFromSums(collateral: number, weightedBps: number, debt: number): number {
  if (!(collateral > 0 && debt > 0)) return UNDECIDED;
  const tolerance = 1e-9 * (weightedBps + collateral + 10_000 * debt);
  const above = weightedBps - collateral - tolerance;
  const below = weightedBps + tolerance;
  const edge = 10_000 * debt;
  const closeEdge = CLOSE_FACTOR_HF_THRESHOLD * edge;
  if (below < closeEdge) return MAX_CLOSE_FACTOR;
  if (above >= edge) return 0;
  if (above > closeEdge && below < edge) return DEFAULT_CLOSE_FACTOR;
  return UNDECIDED;
}

export interface AaveLiquidationInput {
  healthFactor: number;
  /** Units of the chosen debt reserve the user owes. */
  debtAmount: number;
  debtPrice: number;
  /** Units of the chosen collateral the user holds. */
  collateralAmount: number;
  collateralPrice: number;
  /** Fraction (0.05 = Aave's 10500). */
  bonus: number;
  /** Share of the bonus to the treasury. */
  protocolFee: number;
}

export interface AaveLiquidation {
  /** Debt units repaid by the liquidator. */
  debtCovered: number;
  /** Collateral units taken from the user (liquidator's part plus the protocol fee). */
  collateralTaken: number;
  /** Collateral units the liquidator receives (and sells). */
  collateralToLiquidator: number;
  /** Collateral units to the treasury. */
  protocolFeeAmount: number;
}

/** One `liquidationCall` with debtToCover = max: what LiquidationLogic would move. */
export function aaveLiquidation(x: AaveLiquidationInput): AaveLiquidation {
  const out = new Float64Array(4);
  liquidateInto(out, closeFactorAt(x.healthFactor), x.debtAmount, x.debtPrice, x.collateralAmount, x.collateralPrice, x.bonus, x.protocolFee);
  return { debtCovered: out[0], collateralTaken: out[1], collateralToLiquidator: out[2], protocolFeeAmount: out[3] };
}

/** The share of the chosen debt one call may repay at health factor `healthFactor`. */
export function closeFactorAt(healthFactor: number): number {
  return healthFactor > CLOSE_FACTOR_HF_THRESHOLD ? DEFAULT_CLOSE_FACTOR : MAX_CLOSE_FACTOR;
}

/**
 * aaveLiquidation without allocating, for the cascade's inner loop: writes debt covered, collateral
 * taken, collateral to the liquidator and the protocol fee to out[0 … 3].
 */
export function liquidateInto(
  out: Float64Array,
  closeFactor: number,
  debtAmount: number,
  debtPrice: number,
  collateralAmount: number,
  collateralPrice: number,
  bonus: number,
  protocolFee: number,
): void {
  const maxDebt = debtAmount * closeFactor;
  const multiplier = 1 + bonus;
  const wanted = ((maxDebt * debtPrice) / collateralPrice) * multiplier;
  let taken: number;
  let covered: number;
  if (wanted > collateralAmount) {
    taken = collateralAmount;
    covered = (taken * collateralPrice) / debtPrice / multiplier;
  } else {
    taken = wanted;
    covered = maxDebt;
  }
  const fee = (taken - taken / multiplier) * protocolFee;
  out[0] = covered;
  out[1] = taken;
  out[2] = taken - fee;
  out[3] = fee;
}
