/**
 * A lending market's book as the lending planner reads it (Aave V3): float USD per account, each
 * collateral with the threshold that applies to it. Adapters fill it; nothing here goes on-chain.
 */
export interface LendingBook {
  accounts: LendingAccount[];
}

export interface LendingAccount {
  account: string;
  collateral: LendingCollateral[];
  /** Debt by reserve id, USD. */
  debt: { reserve: string; usd: number }[];
}

export interface LendingCollateral {
  reserve: string;
  usd: number;
  /** Liquidation threshold that applies to this holding (the reserve's, or the account's eMode category's), fraction. */
  liquidationThreshold: number;
  /** Liquidation bonus that applies to it, as a multiplier (1.05 = 5 %). */
  liquidationBonus: number;
  /**
   * The reserve's own threshold and bonus apply (no eMode category overrides them): only then does
   * a change of the reserve's parameters reach this holding.
   */
  reserveGoverned: boolean;
}
