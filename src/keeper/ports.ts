/**
 * What the keeper needs from the service around it, declared here and implemented outside
 * (webhook alerts and Prometheus in the service, nothing in a rehearsal).
 */

export interface Alert {
  kind:
    | "level"
    | "actionFailed"
    | "changedByOther"
    | "staleOracle"
    | "invalidPrice"
    | "priceJump"
    | "staleHead"
    | "laggingHead"
    | "fragileBook"
    | "reverted"
    | "frozen"
    | "unfrozen"
    | "workerError"
    | "lostScheduler"
    | "reorg"
    | "splitBrain";
  protocol: string;
  market?: string;
  message: string;
  [field: string]: unknown;
}

/** Takes an alert and returns at once: a slow sink must not slow the keeper. */
export type AlertSink = (alert: Alert) => void;

/** Why an observation was not acted on: a metric label. */
export type SkipReason = "invalidPrice" | "staleHead" | "headBehind" | "staleOracle" | "priceJump";

/** What one market looked like at an observation. */
export interface MarketGauges {
  svr: number | null;
  bufferUsd: number;
  /** Index of the policy level (0 ok … 3 critical). */
  level: number;
  breakingShock: { down: number | null; up: number | null };
}

/** The counts and gauges an observation publishes. */
export interface ObserverMetrics {
  observationSkipped(protocol: string, reason: SkipReason): void;
  rpcError(kind: string): void;
  marketObserved(protocol: string, market: string, gauges: MarketGauges): void;
}

/** For runs that publish nothing (a rehearsal, a one-off command). */
export const NO_OBSERVER_METRICS: ObserverMetrics = {
  observationSkipped: () => undefined,
  rpcError: () => undefined,
  marketObserved: () => undefined,
};
