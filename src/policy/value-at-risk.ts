/**
 * Value at Risk as a policy signal. The report is computed from the snapshot (pure) at most once per
 * `everySeconds` of block time, and kept in the policy state between observations; a market that is
 * configured with a limit is raised to the limit's level while its tail loss exceeds the limit.
 */
import { compileBook, shockModelFor, valueAtRisk, type ShockModelSettings, type Snapshot, type TailFigures, type ValueAtRiskReport } from "../risk";

export interface ValueAtRiskSettings extends ShockModelSettings {
  /** Off: no report, and no market acts on one. */
  enabled: boolean;
  /** Reuse the last report until this many seconds of block time have passed (0: every observation). */
  everySeconds: number;
}

/**
 * On, every 10 s of block time. 10,000 samples cost 55–100 ms of CPU on a 10,000-position book where
 * every sample cascades ~9 rounds (measured on the shared machine at load 20+; a sample's cascade is
 * O(rounds · log N), so about the same on 100,000 positions), and less on a healthy book: the
 * service bench (10,000 positions, an observation every 2 s) measured 6.5 % CPU at this default and
 * 5.4 % with everySeconds: 0, under the 10 % goal either way. Every 10 s bounds the worst book to
 * ~1 % of a core, and a report is at most five observations old. Set everySeconds: 0 to run it at
 * every observation.
 */
export const DEFAULT_VALUE_AT_RISK: ValueAtRiskSettings = { enabled: true, everySeconds: 10 };

/**
 * A market's limit on its tail loss: bad debt its own positions leave in the sampled cascades, before
 * the insurance fund. `{ measure: "p99", maxInsuranceMultiple: 1 }` reads "p99 loss ≤ insurance fund",
 * i.e. p99 shortfall = 0.
 */
export interface ValueAtRiskLimit {
  measure: keyof TailFigures;
  maxInsuranceMultiple: number;
  /** The level a breach puts the market at (at least). */
  level: "warn" | "act" | "critical";
}

export interface StoredValueAtRisk {
  /** Block time the report was computed at. */
  at: number;
  report: ValueAtRiskReport;
}

/** The report for this observation: the stored one while it is fresh enough, else computed anew. */
export function currentValueAtRisk(risk: Snapshot, settings: ValueAtRiskSettings, stored: StoredValueAtRisk | undefined): StoredValueAtRisk | undefined {
  if (!settings.enabled || (risk.positions.length === 0 && (risk.accounts?.length ?? 0) === 0)) return undefined;
  if (stored && risk.timestamp >= stored.at && risk.timestamp - stored.at < settings.everySeconds) return stored;
  const book = compileBook(risk);
  return { at: risk.timestamp, report: valueAtRisk(book, shockModelFor(book, settings)) };
}

/** The figure a limit compares, when the report has it for this market. */
export function limitedFigure(limit: ValueAtRiskLimit, report: ValueAtRiskReport | undefined, market: string): number | undefined {
  return report?.markets.find((m) => m.market === market)?.loss[limit.measure];
}

/** True when the market's tail loss exceeds its limit (a market without a limit, or without figures, never breaches). */
export function valueAtRiskBreach(limit: ValueAtRiskLimit | undefined, report: ValueAtRiskReport | undefined, market: string, insuranceFund: number): boolean {
  if (!limit) return false;
  const figure = limitedFigure(limit, report, market);
  return figure !== undefined && figure > limit.maxInsuranceMultiple * insuranceFund;
}

/** Problems with the settings and a limit, with field paths (empty when valid). */
export function validateValueAtRisk(settings: ValueAtRiskSettings, at: string): string[] {
  const p: string[] = [];
  if (typeof settings.enabled !== "boolean") p.push(`${at}.enabled: must be true or false`);
  if (!(settings.everySeconds >= 0)) p.push(`${at}.everySeconds: must be ≥ 0`);
  if (settings.samples !== undefined && !(Number.isInteger(settings.samples) && settings.samples >= 100 && settings.samples <= 1_000_000))
    p.push(`${at}.samples: must be an integer in [100, 1,000,000]`);
  if (settings.seed !== undefined && !Number.isInteger(settings.seed)) p.push(`${at}.seed: must be an integer`);
  if (settings.degreesOfFreedom !== undefined && !(settings.degreesOfFreedom > 2 && Number.isFinite(settings.degreesOfFreedom))) p.push(`${at}.degreesOfFreedom: must be > 2`);
  if (settings.defaultVolatility !== undefined && !(settings.defaultVolatility >= 0 && settings.defaultVolatility < 5)) p.push(`${at}.defaultVolatility: must be in [0, 5)`);
  for (const [id, v] of Object.entries(settings.volatility ?? {})) if (!(v >= 0 && v < 5)) p.push(`${at}.volatility.${id}: must be in [0, 5)`);
  if (settings.correlation !== undefined && !(settings.correlation > -0.5 && settings.correlation < 1)) p.push(`${at}.correlation: must be in (−0.5, 1)`);
  return p;
}

export function validateLimit(limit: ValueAtRiskLimit, at: string): string[] {
  const p: string[] = [];
  if (!["p95", "p99", "es95", "es99"].includes(limit.measure)) p.push(`${at}.measure: must be p95, p99, es95 or es99`);
  if (!(limit.maxInsuranceMultiple >= 0 && Number.isFinite(limit.maxInsuranceMultiple))) p.push(`${at}.maxInsuranceMultiple: must be a number ≥ 0`);
  if (!["warn", "act", "critical"].includes(limit.level)) p.push(`${at}.level: must be warn, act or critical`);
  return p;
}
