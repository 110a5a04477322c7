/**
 * Accounts: what a cross-margined or lending protocol holds per user (SPEC §1).
 *
 * An account holds collateral legs (asset, amount) and exposures: perpetual positions and/or debts.
 * How much of a collateral leg counts, and when the account is liquidated, is the rule of its
 * protocol family:
 *
 * - `isolatedPerp`: one position against its own USD collateral. Books of isolated positions stay
 *   in `Snapshot.positions` and take the isolated fast path; the account engine treats each of them
 *   as an account with one exposure and a USD leg when a snapshot mixes them with accounts.
 * - `crossMarginPerp`: equity = Σ collateral × price × (1 − haircut) + Σ side × size × (mark − entry),
 *   liquidated when equity < Σ MMR × size × mark; liquidation closes all the account's positions
 *   (and sells its non-USD collateral) at the round's execution prices.
 * - `aaveV3`: health factor HF = Σ collateral × price × LT ÷ Σ debt × price, with the user's eMode
 *   category's LT (and bonus) for collateral in that category, and Aave's rounding of the average LT
 *   down to whole basis points. HF < 1 is liquidatable: see `./aave.ts` for the exact rule.
 */

/** A balance counted as security. */
export interface CollateralLeg {
  asset: string;
  /** Units of the asset (tokens, not wei). */
  amount: number;
  /** Cross-margin only: overrides the asset's haircut for this account (0 ≤ haircut < 1). */
  haircut?: number;
}

/** A borrowed balance: a rise of its asset's price is what hurts. */
export interface DebtLeg {
  asset: string;
  amount: number;
}

/** A perpetual position held in a cross-margin account. */
export interface PerpLeg {
  market: string;
  side: 1 | -1;
  size: number;
  entryPrice: number;
}

export type AccountFamily = "crossMarginPerp" | "aaveV3";

export interface Account {
  id: string;
  family: AccountFamily;
  collateral: CollateralLeg[];
  debts?: DebtLeg[];
  positions?: PerpLeg[];
  /** Aave: the user's eMode category (0 = none). */
  eModeCategory?: number;
}

/** One Aave-style reserve's liquidation parameters, as fractions. */
export interface LendingReserve {
  asset: string;
  /** Liquidation threshold (0.825 = 82.5 %); 0: the asset cannot be collateral. */
  liquidationThreshold: number;
  /** Collateral bonus to the liquidator (0.05 = 5 %, Aave's 10500). */
  liquidationBonus: number;
  /** Share of the bonus that goes to the protocol's treasury (0.1 = 10 %). */
  protocolFee: number;
  /** eMode category the asset belongs to (0 = none). */
  eModeCategory: number;
}

export interface EModeCategory {
  id: number;
  liquidationThreshold: number;
  liquidationBonus: number;
}

/** The lending parameters that `aaveV3` accounts are judged by. */
export interface LendingParams {
  reserves: LendingReserve[];
  eModeCategories: EModeCategory[];
}
