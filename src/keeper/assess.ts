import { oracleAge, type ProtocolSnapshot } from "../domain/protocol-state";
import { currentValueAtRisk, type ValueAtRiskSettings } from "../policy/value-at-risk";
import { breakingShock, computeMetrics, marketSlice, type BreakingShock, type Metrics, type ValueAtRiskReport } from "../risk";

/** What the keeper knows about one market after reading a snapshot: metrics, stress and oracle health. */
export interface MarketAssessment {
  market: string;
  /** What a person calls it (a reserve's symbol), for display. */
  label?: string;
  metrics: Metrics;
  breakingShock: BreakingShock;
  oracleAgeSeconds: number | null;
  oracleStale: boolean;
}

export interface Assessment {
  protocol: string;
  block: number;
  timestamp: number;
  metrics: Metrics;
  breakingShock: BreakingShock;
  markets: MarketAssessment[];
  staleOracles: string[];
  /** Value at Risk over sampled cascades; absent when the settings disable it. */
  valueAtRisk?: ValueAtRiskReport;
}

/**
 * Metrics and breaking shocks, protocol-wide (every traded asset moves together) and per market
 * (only that market's book, only its asset moves), with the age of each oracle at the block, and
 * Value at Risk when its settings are given.
 */
export function assess(snap: ProtocolSnapshot, valueAtRisk?: ValueAtRiskSettings): Assessment {
  const risk = snap.risk;
  const metrics = computeMetrics(risk);
  const markets = risk.markets.map((m): MarketAssessment => {
    const onchain = snap.markets.find((x) => x.id === m.id);
    const age = onchain ? oracleAge(onchain, risk.timestamp) : undefined;
    return {
      market: m.id,
      ...(onchain?.label ? { label: onchain.label } : {}),
      metrics: metrics.markets[m.id],
      breakingShock: breakingShock(marketSlice(risk, m.id)),
      oracleAgeSeconds: age?.seconds ?? null,
      oracleStale: age?.stale ?? false,
    };
  });
  return {
    protocol: risk.protocol,
    block: risk.block,
    timestamp: risk.timestamp,
    metrics: metrics.protocol,
    breakingShock: breakingShock(risk),
    markets,
    staleOracles: markets.filter((m) => m.oracleStale).map((m) => m.market),
    valueAtRisk: valueAtRisk && currentValueAtRisk(risk, valueAtRisk, undefined)?.report,
  };
}
