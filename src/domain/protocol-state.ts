import type { Snapshot } from "../risk/snapshot";
import type { LendingBook } from "./lending-book";

/**
 * The shapes both the policy (which decides on them) and the adapters (which read them from the
 * chain) use: a protocol's state at a block, exact where it goes back on-chain.
 */

/** On-chain facts the keeper needs beside the float snapshot, kept exact. */
export interface OnchainMarketState {
  /** The one id of the market: in the risk snapshot, the steward's bounds, actions and read-backs. */
  id: string;
  /** What a person calls it (a reserve's symbol), for display only. */
  label?: string;
  /** Current parameters as stored on-chain (bps for ratios, 18-decimal USD for caps). */
  params: Record<string, bigint>;
  oracle: { address: string; answer: bigint; decimals: number; updatedAt: bigint; /** Max age the protocol accepts, seconds. */ heartbeat?: bigint };
}

/** Per market and parameter, what the steward allows (read from the steward on-chain). */
export interface ParamBounds {
  min: bigint;
  max: bigint;
  /** relative: steps are bps of the current value; absolute: in the parameter's own unit. */
  mode: "relative" | "absolute";
  /** Max change per update toward safety and away from it. */
  maxTighten: bigint;
  maxLoosen: bigint;
  /** Min seconds between updates in each direction. */
  tightenDelay: bigint;
  loosenDelay: bigint;
  /** Unix seconds of the last update of this parameter (0 = never). */
  lastUpdate: bigint;
}

export interface StewardState {
  address: string;
  frozen: boolean;
  /** market id → parameter name → bounds. */
  bounds: Record<string, Record<string, ParamBounds>>;
  /** Per market: the USD notional (18 decimals) one deleverage call may reduce, and what the rolling budget has left now. */
  deleverage: Record<string, { maxPerCall: bigint; available: bigint }>;
}

export interface ProtocolSnapshot {
  /** Float view for the risk engine. */
  risk: Snapshot;
  block: { number: number; hash: string; timestamp: number };
  markets: OnchainMarketState[];
  steward: StewardState;
  /** Exact on-chain size (18 decimals) by position id, where the protocol has positions to deleverage. */
  positionSizes?: Record<string, bigint>;
  /** A lending protocol's accounts, collateral by collateral with the threshold that applies (the lending planner's input). */
  lendingBook?: LendingBook;
  /** Bad debt measured on-chain (USD): the protocol's ledger where it keeps one; for Aave, debt left on accounts with no collateral. */
  recordedBadDebtUsd?: number;
}

/** A populated, unsigned call to the steward. */
export interface PopulatedAction {
  to: string;
  data: string;
  value: bigint;
}

/** Market id → label, for the markets whose adapter gives one (display only). */
export function marketLabels(markets: readonly OnchainMarketState[]): Record<string, string> {
  return Object.fromEntries(markets.filter((m) => m.label).map((m) => [m.id, m.label!]));
}

/** The oracle rule, the same for observing and reporting: an answer older than the heartbeat the protocol accepts is stale (no heartbeat: never). */
export function oracleAge(m: OnchainMarketState, blockTimestamp: number): { seconds: number; stale: boolean } {
  const seconds = blockTimestamp - Number(m.oracle.updatedAt);
  return { seconds, stale: m.oracle.heartbeat !== undefined && BigInt(seconds) > m.oracle.heartbeat };
}
