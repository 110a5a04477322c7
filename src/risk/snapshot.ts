/**
 * The protocol's state at one block, in the risk engine's units: float64 USD and base units.
 * Adapters convert on-chain bigints into this shape; nothing here goes back on-chain.
 */

import type { Account, LendingParams } from "./accounts/model";

/** How deep the market for an asset is: what closing a position there does to the price. */
export type LiquidityModel =
  | {
      /** x·y = k reserves of the asset (base) against USD (quote). */
      kind: "constantProduct";
      baseReserve: number;
      quoteReserve: number;
    }
  | {
      /**
       * A concentrated-liquidity depth table: for each price band, how much base can be
       * bought or sold inside it. Levels are sorted by price, ascending; the band of
       * level i spans [levels[i].price, levels[i+1].price).
       */
      kind: "depthTable";
      levels: { price: number; baseLiquidity: number }[];
    }
  | { kind: "none" };

export interface AssetState {
  /** Stable identifier (symbol or address) that markets and shocks refer to. */
  id: string;
  /** USD price per unit. */
  price: number;
  /** Units locked in the protocol as collateral (0 for an asset that is only traded). */
  amount: number;
  /** Fraction of value not counted as security (0 ≤ haircut < 1). Lending: 1 − liquidation threshold. */
  haircut: number;
  liquidity: LiquidityModel;
  /** Unix seconds of the oracle's last update, when known. */
  priceUpdatedAt?: number;
  /**
   * How much the asset moves per unit of a protocol-wide stress move (1: with it, 0: not at all,
   * e.g. a USD stablecoin). Unset: 1 for an asset a market trades or an account holds or owes.
   */
  beta?: number;
}

export interface MarketState {
  id: string;
  /** Asset whose price is this market's mark. */
  asset: string;
  /** Mark price in USD. */
  mark: number;
  /** Initial margin ratio, as a fraction (0.1 = 10 %). */
  imr: number;
  /** Maintenance margin ratio, as a fraction. */
  mmr: number;
  /** Liquidation fee paid to the liquidator, as a fraction of notional. */
  liquidationFee: number;
  /** Open-interest caps in USD notional. */
  oiCapLong: number;
  oiCapShort: number;
}

export interface Position {
  account: string;
  market: string;
  /** +1 long, −1 short. */
  side: 1 | -1;
  /** Size in base units (always > 0; the side carries the sign). */
  size: number;
  entryPrice: number;
  /** Collateral posted for this position, in USD. */
  collateral: number;
  /** Protocol-side identifier (position id, or borrower address for lending). */
  id?: string;
}

export interface Snapshot {
  protocol: string;
  block: number;
  /** Unix seconds of the block. */
  timestamp: number;
  assets: AssetState[];
  markets: MarketState[];
  positions: Position[];
  /** Insurance fund in USD. */
  insuranceFund: number;
  /** Cross-margin and lending accounts (see ./accounts/model.ts); isolated positions stay in `positions`. */
  accounts?: Account[];
  /** Required when an account is `aaveV3`: its reserves' thresholds, bonuses and eMode categories. */
  lending?: LendingParams;
}
