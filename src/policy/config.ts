/**
 * What the policy aims for, per market. Levels are ordered from healthy to critical: for svr
 * (collateral ÷ open interest, lower is worse) target > warn > act > critical; for the breaking
 * shock (the smallest move that leaves bad debt, as a fraction) the same order.
 */
export interface Levels {
  target: number;
  warn: number;
  act: number;
  critical: number;
}

export interface MarketPolicy {
  svr: Levels;
  breakingShock: Levels;
  /** Consecutive observations a worse level must persist before the policy acts on it (oracle noise). */
  confirmations: number;
  /** Leaving a level needs the metric this fraction better than the level's threshold. */
  hysteresis: number;
  /** Consecutive healthy observations before margins are relaxed. */
  recoveryObservations: number;
  /** ADL never pushes svr above this (do not deleverage more than needed). */
  adlUpperSvr: number;
  forecast: {
    /** Observations used for slope and volatility. */
    window: number;
    horizonSeconds: number;
    /** Treat the market as at `act` when P(svr < act within the horizon) exceeds this. */
    maxBreachProbability: number;
  };
  /** The policy never proposes a maintenance margin above this, whatever the steward allows. */
  maxMmrBps: number;
  /** Margins are not relaxed below this maintenance margin. */
  floorMmrBps: number;
}

export interface PolicyConfig {
  defaults: MarketPolicy;
  markets: Record<string, Partial<MarketPolicy>>;
  /** Idempotency keys are unique per market, action, target and epoch of this many seconds. */
  epochSeconds: number;
}

export const DEFAULT_MARKET_POLICY: MarketPolicy = {
  svr: { target: 0.3, warn: 0.25, act: 0.2, critical: 0.15 },
  breakingShock: { target: 0.25, warn: 0.2, act: 0.15, critical: 0.05 },
  confirmations: 3,
  hysteresis: 0.05,
  recoveryObservations: 30,
  adlUpperSvr: 0.35,
  forecast: { window: 30, horizonSeconds: 600, maxBreachProbability: 0.5 },
  maxMmrBps: 2500,
  floorMmrBps: 100,
};

export const DEFAULT_POLICY: PolicyConfig = { defaults: DEFAULT_MARKET_POLICY, markets: {}, epochSeconds: 60 };

export function marketPolicy(cfg: PolicyConfig, market: string): MarketPolicy {
  const o = cfg.markets[market] ?? {};
  return { ...cfg.defaults, ...o, forecast: { ...cfg.defaults.forecast, ...(o.forecast ?? {}) } };
}

/** Checks a policy; returns every problem with its field path (empty when valid). */
export function validatePolicy(cfg: PolicyConfig, path = "policy"): string[] {
  const problems: string[] = [];
  const check = (p: MarketPolicy, at: string) => {
    for (const name of ["svr", "breakingShock"] as const) {
      const l = p[name];
      const values = [l.target, l.warn, l.act, l.critical];
      if (values.some((v) => !Number.isFinite(v) || v < 0)) problems.push(`${at}.${name}: every level must be a number ≥ 0`);
      else if (!(l.target > l.warn && l.warn > l.act && l.act > l.critical)) problems.push(`${at}.${name}: levels must decrease: target > warn > act > critical`);
    }
    if (!Number.isInteger(p.confirmations) || p.confirmations < 1) problems.push(`${at}.confirmations: must be an integer ≥ 1`);
    if (!(p.hysteresis >= 0 && p.hysteresis < 1)) problems.push(`${at}.hysteresis: must be in [0, 1)`);
    if (!Number.isInteger(p.recoveryObservations) || p.recoveryObservations < 1) problems.push(`${at}.recoveryObservations: must be an integer ≥ 1`);
    if (!(p.adlUpperSvr > p.svr.target)) problems.push(`${at}.adlUpperSvr: must be above svr.target`);
    if (!(p.forecast.maxBreachProbability > 0 && p.forecast.maxBreachProbability <= 1)) problems.push(`${at}.forecast.maxBreachProbability: must be in (0, 1]`);
    if (!(p.forecast.horizonSeconds > 0)) problems.push(`${at}.forecast.horizonSeconds: must be > 0`);
    if (!Number.isInteger(p.forecast.window) || p.forecast.window < 2) problems.push(`${at}.forecast.window: must be an integer ≥ 2`);
    if (!(p.floorMmrBps >= 1 && p.floorMmrBps < p.maxMmrBps && p.maxMmrBps <= 9999)) problems.push(`${at}: need 1 ≤ floorMmrBps < maxMmrBps ≤ 9999`);
  };
  check(cfg.defaults, `${path}.defaults`);
  for (const m of Object.keys(cfg.markets)) check(marketPolicy(cfg, m), `${path}.markets.${m}`);
  if (!(cfg.epochSeconds >= 1)) problems.push(`${path}.epochSeconds: must be ≥ 1`);
  return problems;
}
