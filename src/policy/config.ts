import { z } from "zod";
import { DEFAULT_VALUE_AT_RISK, validateLimit, validateValueAtRisk, type ValueAtRiskLimit, type ValueAtRiskSettings } from "./value-at-risk";

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
  /** Consecutive observations before the keeper gives back what it tightened: calm ones for margins (no live danger), fully healthy ones for caps and lending reserves (level ok, svr at target). */
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
  /**
   * Margins relaxation steps back down to (never below, nor below floorMmrBps). Unset: the margins
   * the keeper found on its first observation of the market, before any raise of its own.
   */
  baselineMargins?: { imrBps: number; mmrBps: number };
  /**
   * Open-interest caps (USD notional) that relaxation gives back up to, never past. Unset: the caps
   * the keeper found on its first observation of the market, which after a lost memory may be caps
   * it had itself cut.
   */
  baselineCaps?: { longUsd: number; shortUsd: number };
  /**
   * A lending reserve's LTV, liquidation threshold (bps) and borrow cap (whole tokens) that
   * relaxation gives back up to, never past. Unset: those the keeper found on its first observation.
   */
  baselineReserve?: { ltvBps: number; liquidationThresholdBps: number; borrowCap: number };
  judgment: JudgmentPolicy;
  /** Act on Value at Risk: the market is at `level` (at least) while its tail loss exceeds the limit. Unset: VaR is reported, not acted on. */
  valueAtRisk?: ValueAtRiskLimit;
  /** Seconds an act/critical action stays valid after the block it was decided on (a few blocks). */
  urgentValiditySeconds: number;
  /** Seconds a routine action (a relaxation) stays valid. */
  routineValiditySeconds: number;
}

/**
 * When the keeper may reach for the lever that forces existing positions out (MMR), and what a
 * raise must buy. Caps and IMR bind only new risk and are used whenever a market is at act; MMR
 * needs the danger to be live and every raise to pass the cost–benefit gate.
 */
export interface JudgmentPolicy {
  /**
   * The cost–benefit gate on an MMR raise: the bad debt it avoids (the cascade at the target
   * shock, before the raise and after it, plus what forcing the positions out now would itself
   * leave unpaid) must be at least this multiple of the notional it force-liquidates at once.
   * Default 0.5. A forced liquidation costs its trader the liquidation fee (1 % on the reference
   * markets) plus slippage, ~1–2 % of notional, for certain and now; the bad debt it avoids is paid
   * only if the target shock happens, and the cascade that measures it takes the whole shock at one
   * instant, which overstates what a real path leaves (liquidators close positions as they cross,
   * while they still have equity). The scorecard (`svr-keeper evaluate`) measured it: at 0.1 the
   * keeper's raises, all between 0.12 and 0.34 avoided per dollar forced, saved no measurable bad
   * debt on any scenario of the suite and forced out up to 5 % of open interest (crash-35,
   * october-2025, short-squeeze, recovery). 0.5 keeps MMR for books where a few positions carry
   * bad debt of half their notional or more: the raise whose benefit survives the model's error.
   */
  minAvoidedBadDebtPerForcedNotional: number;
  /**
   * The danger is live when the mark, moving at the speed it moved over `lookbackSeconds`, would
   * reach the market's breaking shock within this many seconds (or svr itself is at act, or the
   * forecast says it will be). A book that is fragile while the market is calm is not live danger:
   * it gets the gentle levers and a warning to governance. Default 180 s: an ordinary hour's chop
   * of ±3 % brings the embedded book no closer than ~5 minutes from breaking; any crash faster than
   * ~1 % a minute toward a book 3–6 % from breaking is well inside it.
   */
  liveSecondsToBreak: number;
  /** The window over which the mark's speed is measured (at least the last two observations). */
  lookbackSeconds: number;
  /**
   * How far ahead the gate carries a live move at its measured speed (the projected move). What
   * that move would liquidate anyway under today's MMR is not a cost of a raise: raising only
   * liquidates those positions sooner, at a better price and into a deeper pool, which is where the
   * bad debt of a cascade comes from. 0 (the default) turns the projection off: every position a
   * raise forces out is a cost. Measured on the shipped suite (permissive, keeper passes) with 180 s
   * (the liveSecondsToBreak horizon): bad debt fell only on crash-thin-liquidity ($1.55M → $1.42M),
   * while the keeper closed "doomed" positions in crashes that leave no bad debt without it — 4–7 % of
   * open interest forced on crash-35, oracle-lag, slow-bleed and recovery, against the 1 % goal. The
   * cascade model is a gap: along a real path, liquidators close most doomed positions solvent, so
   * closing them sooner buys nothing there. Kept, off, for a path-aware benefit estimate to use.
   */
  projectionSeconds: number;
  /**
   * The projected move is at most this fraction. Default 0.5: a straight line carried further says
   * nothing a cascade at −50 % does not (everything levered beyond 2× is already liquidated there).
   */
  maxProjectedMove: number;
  /** A forecast of svr counts as live danger only when fitted to at least this many observations. */
  minForecastObservations: number;
}

export interface PolicyConfig {
  defaults: MarketPolicy;
  markets: Record<string, Partial<MarketPolicy>>;
  /** Idempotency keys are unique per market, action, target and epoch of this many seconds. */
  epochSeconds: number;
  /** The Value at Risk model and how often it runs (protocol-wide). */
  valueAtRisk: ValueAtRiskSettings;
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
  judgment: { minAvoidedBadDebtPerForcedNotional: 0.5, liveSecondsToBreak: 180, lookbackSeconds: 60, minForecastObservations: 10, projectionSeconds: 0, maxProjectedMove: 0.5 },
  urgentValiditySeconds: 36,
  routineValiditySeconds: 900,
};

export const DEFAULT_POLICY: PolicyConfig = { defaults: DEFAULT_MARKET_POLICY, markets: {}, epochSeconds: 60, valueAtRisk: DEFAULT_VALUE_AT_RISK };

export function marketPolicy(cfg: PolicyConfig, market: string): MarketPolicy {
  const o = cfg.markets[market] ?? {};
  return { ...cfg.defaults, ...o, forecast: { ...cfg.defaults.forecast, ...(o.forecast ?? {}) }, judgment: { ...cfg.defaults.judgment, ...(o.judgment ?? {}) } };
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
    problems.push(...validateJudgment(p, at));
    if (p.valueAtRisk) problems.push(...validateLimit(p.valueAtRisk, `${at}.valueAtRisk`));
    for (const f of ["urgentValiditySeconds", "routineValiditySeconds"] as const) {
      if (!(Number.isInteger(p[f]) && p[f] >= 1)) problems.push(`${at}.${f}: must be a whole number of seconds ≥ 1`);
    }
  };
  check(cfg.defaults, `${path}.defaults`);
  for (const m of Object.keys(cfg.markets)) check(marketPolicy(cfg, m), `${path}.markets.${m}`);
  if (!(cfg.epochSeconds >= 1)) problems.push(`${path}.epochSeconds: must be ≥ 1`);
  problems.push(...validateValueAtRisk(cfg.valueAtRisk, `${path}.valueAtRisk`));
  return problems;
}

const judgmentSchema = z
  .object({
    minAvoidedBadDebtPerForcedNotional: z.number().positive("must be > 0 (a raise must avoid some bad debt per dollar it forces out)").max(100),
    liveSecondsToBreak: z.number().positive(),
    lookbackSeconds: z.number().positive(),
    projectionSeconds: z.number().min(0, "must be ≥ 0 (0: no move is projected, every forced position counts)"),
    maxProjectedMove: z.number().min(0).max(0.95, "must be at most 0.95 (a move of −100 % is no price)"),
    minForecastObservations: z.number().int().min(3),
  })
  .strict();

const usdCap = z.number().positive("must be > 0 (a cap of nothing refuses every opening)").finite();
const baselineCapsSchema = z.object({ longUsd: usdCap, shortUsd: usdCap }).strict();

const bps = z.number().int("must be a whole number of bps").min(0).max(10_000);
const baselineReserveSchema = z
  .object({ ltvBps: bps, liquidationThresholdBps: bps, borrowCap: z.number().int("must be a whole number of tokens").positive("must be > 0 (0 is unlimited on Aave, which the keeper never sets)") })
  .strict()
  .refine((b) => b.ltvBps <= b.liquidationThresholdBps, { message: "ltvBps must be at most liquidationThresholdBps (Aave refuses an LTV above the threshold)" });

const baselineSchema = z
  .object({ imrBps: z.number().int().min(1).max(9999), mmrBps: z.number().int().min(1).max(9999) })
  .strict()
  .refine((b) => b.imrBps > b.mmrBps, { message: "imrBps must be above mmrBps" });

/** The judgment fields and the baseline margins, checked with zod; each problem names its field. */
function validateJudgment(p: MarketPolicy, at: string): string[] {
  const problems: string[] = [];
  const collect = (r: z.ZodSafeParseResult<unknown>, base: string) => {
    if (!r.success) for (const i of r.error.issues) problems.push(`${[base, ...i.path.map(String)].join(".")}: ${i.message}`);
  };
  collect(judgmentSchema.safeParse(p.judgment), `${at}.judgment`);
  if (p.baselineCaps !== undefined) collect(baselineCapsSchema.safeParse(p.baselineCaps), `${at}.baselineCaps`);
  if (p.baselineReserve !== undefined) collect(baselineReserveSchema.safeParse(p.baselineReserve), `${at}.baselineReserve`);
  if (p.baselineMargins !== undefined) {
    collect(baselineSchema.safeParse(p.baselineMargins), `${at}.baselineMargins`);
    if (p.baselineMargins.mmrBps < p.floorMmrBps) problems.push(`${at}.baselineMargins.mmrBps: must be ≥ floorMmrBps (${p.floorMmrBps})`);
  }
  return problems;
}
