/**
 * What the keeper may ask a steward to do. Values are on-chain integers (bigint):
 * the policy rounds toward safety before it builds one of these. Every action names the values it
 * expects to replace (compare-and-set): the steward refuses it once they have changed, so an action
 * that landed cannot land twice.
 */

export type ActionKind = "setMarginRatios" | "setOpenInterestCaps" | "deleverage" | "setReserveRisk" | "setReserveCaps";

/** Raise or lower a perpetual market's initial and maintenance margin, in basis points. */
export interface SetMarginRatios {
  kind: "setMarginRatios";
  market: string;
  imrBps: bigint;
  mmrBps: bigint;
  /** The margins the decision was made on. */
  expected: { imrBps: bigint; mmrBps: bigint };
}

/** Change a perpetual market's open-interest caps, in USD notional with 18 decimals. */
export interface SetOpenInterestCaps {
  kind: "setOpenInterestCaps";
  market: string;
  longCap: bigint;
  shortCap: bigint;
  expected: { longCap: bigint; shortCap: bigint };
}

/** Reduce given positions by given sizes (base units, 18 decimals) at the mark price. */
export interface Deleverage {
  kind: "deleverage";
  market: string;
  /** expectedSize: the position's size when the decision was made (base units, 18 decimals). */
  reductions: { positionId: bigint; sizeDelta: bigint; expectedSize: bigint }[];
}

/** Lending: an Aave-style reserve's LTV, liquidation threshold and bonus, in basis points. */
export interface SetReserveRisk {
  kind: "setReserveRisk";
  /** Reserve asset address. */
  market: string;
  ltvBps: bigint;
  liquidationThresholdBps: bigint;
  /** Aave convention: 10500 = 5 % bonus. */
  liquidationBonusBps: bigint;
  expected: { ltvBps: bigint; liquidationThresholdBps: bigint; liquidationBonusBps: bigint };
}

/** Lending: supply and borrow caps, in whole tokens (Aave convention). */
export interface SetReserveCaps {
  kind: "setReserveCaps";
  market: string;
  supplyCap: bigint;
  borrowCap: bigint;
  expected: { supplyCap: bigint; borrowCap: bigint };
}

export type ActionRequest = SetMarginRatios | SetOpenInterestCaps | Deleverage | SetReserveRisk | SetReserveCaps;

/** Identifies one decision so that it is executed at most once, and lets anyone replay it. */
export interface ActionProvenance {
  /** bytes32 hex: keccak of protocol, market, action, target value and observation epoch. */
  idempotencyKey: string;
  /** bytes32 hex: keccak of the canonical encoding of the inputs the decision was made on. */
  evidenceHash: string;
  /** Unix seconds after which the steward refuses the action: its evidence is stale by then. */
  validUntil: bigint;
}
