import type { PassRecord } from "../rehearse/rehearse";

/** The four ways of running a protocol through a scenario that the scorecard compares. */
export const STRATEGIES = ["none", "static", "naive", "keeper"] as const;
export type StrategyName = (typeof STRATEGIES)[number];

/** One strategy on one scenario: what the protocol lost and what users paid. */
export interface StrategyScore {
  strategy: StrategyName;
  /** Bad debt at the end, USD: recorded on-chain where the protocol keeps a ledger, else what liquidating now would leave unpaid. */
  badDebtUsd: number;
  /** Notional liquidated during the scenario, USD. */
  liquidatedNotionalUsd: number;
  /** Notional liquidated beyond what the none strategy liquidated (never below 0), USD. */
  forcedLiquidationUsd: number;
  /** The same, as a % of the open interest at the scenario's start. */
  forcedLiquidationPct: number;
  /** Accounts liquidated that none did not liquidate. */
  accountsAffected: number;
  /** What liquidated traders paid in liquidation fees, USD (liquidations close at the oracle price: no slippage to add on these protocols). */
  traderLossUsd: number;
  /** Openings refused, USD notional turned away. */
  refusedOpeningsUsd: number;
  /** Transactions sent (the keeper's or the naive bot's through the steward; governance's for static). */
  actionsSent: number;
  gasUsed: number;
}

export interface ScenarioScore {
  scenario: string;
  description: string;
  /** The noise seed the scenario's prices were played with. */
  seed: number;
  /** With several noise seeds: the suite scenario this play is a variant of (its own name for the first). */
  variantOf?: string;
  steps: number;
  secondsPerStep: number;
  /** Open interest at the scenario's start, USD (every protocol's notional exposure). */
  startOpenInterestUsd: number;
  strategies: StrategyScore[];
  /** Strategies that Pareto-dominate the keeper on (bad debt, forced liquidations). */
  keeperDominatedBy: StrategyName[];
  keeperDominatesNaive: boolean;
  wallMs: number;
}

/** The summary `evaluate --json` prints on its last line; the names are the issue's. */
export interface EvaluateSummary {
  /** Scenarios of the suite (with several noise seeds, each counted once: the figures below are on its means over the seeds). */
  scenarios: number;
  /** Noise seeds each scenario with noise was played with. */
  seeds: number;
  profile: string;
  strategies: StrategyName[];
  keeper_added_bad_debt: number;
  keeper_calm_forced_liquidation_max_pct: number;
  keeper_dominated: number;
  keeper_dominates_naive_pct: number;
  wall_s: number;
}

/** Dollars below which two figures are the same: float dust from summing a book, not a difference. */
export const TIE_USD = 1;

/** a is no worse than b on both bad debt and forced liquidations, and strictly better on one. */
export function dominates(a: Pick<StrategyScore, "badDebtUsd" | "forcedLiquidationUsd">, b: Pick<StrategyScore, "badDebtUsd" | "forcedLiquidationUsd">): boolean {
  const noWorse = a.badDebtUsd <= b.badDebtUsd + TIE_USD && a.forcedLiquidationUsd <= b.forcedLiquidationUsd + TIE_USD;
  const better = a.badDebtUsd < b.badDebtUsd - TIE_USD || a.forcedLiquidationUsd < b.forcedLiquidationUsd - TIE_USD;
  return noWorse && better;
}

/** Bad debt at the end of a pass: each protocol's recorded ledger, or its no-shock shortfall where it keeps none. */
export function badDebtOf(pass: PassRecord): number {
  const last = pass.steps[pass.steps.length - 1];
  return last.protocols.reduce((s, p) => s + (p.recordsBadDebt ? p.badDebtUsd : p.shortfallNowUsd), 0);
}

/** Scores every pass of one scenario against its none pass. */
export function scoreScenario(
  scenario: { name: string; description: string; steps: number; secondsPerStep: number; seed: number; variantOf?: string },
  startOpenInterestUsd: number,
  passes: { strategy: StrategyName; record: PassRecord; governance?: { actions: number; gasUsed: number } }[],
  wallMs: number,
): ScenarioScore {
  const none = passes.find((p) => p.strategy === "none")?.record;
  const noneLiquidated = none?.final.liquidatedNotionalUsd ?? 0;
  const noneAccounts = new Set(none?.final.liquidatedAccounts ?? []);
  const strategies = passes.map(({ strategy, record, governance }): StrategyScore => {
    const sent = record.actions.filter((a) => a.txHash !== undefined);
    const forced = Math.max(0, record.final.liquidatedNotionalUsd - noneLiquidated);
    return {
      strategy,
      badDebtUsd: badDebtOf(record),
      liquidatedNotionalUsd: record.final.liquidatedNotionalUsd,
      forcedLiquidationUsd: forced,
      forcedLiquidationPct: startOpenInterestUsd > 0 ? (100 * forced) / startOpenInterestUsd : 0,
      accountsAffected: record.final.liquidatedAccounts.filter((a) => !noneAccounts.has(a)).length,
      traderLossUsd: record.final.liquidationFeesUsd,
      refusedOpeningsUsd: record.final.refusedNotionalUsd,
      actionsSent: sent.length + (governance?.actions ?? 0),
      gasUsed: sent.reduce((s, a) => s + (a.gasUsed ?? 0), 0) + (governance?.gasUsed ?? 0),
    };
  });
  return {
    scenario: scenario.name,
    description: scenario.description,
    seed: scenario.seed,
    ...(scenario.variantOf !== undefined ? { variantOf: scenario.variantOf } : {}),
    steps: scenario.steps,
    secondsPerStep: scenario.secondsPerStep,
    startOpenInterestUsd,
    strategies,
    ...keeperVerdict(strategies),
    wallMs,
  };
}

function keeperVerdict(strategies: StrategyScore[]): Pick<ScenarioScore, "keeperDominatedBy" | "keeperDominatesNaive"> {
  const keeper = strategies.find((s) => s.strategy === "keeper");
  const naive = strategies.find((s) => s.strategy === "naive");
  return {
    keeperDominatedBy: keeper ? strategies.filter((s) => (s.strategy === "static" || s.strategy === "naive") && dominates(s, keeper)).map((s) => s.strategy) : [],
    keeperDominatesNaive: !!keeper && !!naive && dominates(keeper, naive),
  };
}

/** A figure over a scenario's noise seeds. */
export interface SeedRange {
  mean: number;
  min: number;
  max: number;
}

/** One suite scenario over its noise seeds: each strategy's spread, and the keeper's verdict on the means and seed by seed. */
export interface SeedSpread {
  scenario: string;
  seeds: number[];
  strategies: { strategy: StrategyName; badDebtUsd: SeedRange; forcedLiquidationUsd: SeedRange }[];
  /** On the means over the seeds. */
  keeperDominatedBy: StrategyName[];
  keeperDominatesNaive: boolean;
  /** Seeds on which static or naive Pareto-dominated the keeper. */
  keeperDominatedOnSeeds: number;
  /** Seeds on which the keeper Pareto-dominated naive. */
  keeperDominatesNaiveOnSeeds: number;
}

/** The plays of each suite scenario, in the suite's order; null when the scorecard played one seed. */
function bySuiteScenario(scores: ScenarioScore[]): ScenarioScore[][] | null {
  if (!scores.some((s) => s.variantOf !== undefined)) return null;
  const groups = new Map<string, ScenarioScore[]>();
  for (const s of scores) {
    const key = s.variantOf ?? s.scenario;
    groups.set(key, [...(groups.get(key) ?? []), s]);
  }
  return [...groups.values()];
}

/** A suite scenario's plays as one score: every strategy's figures averaged over the seeds, the verdict taken on the means. */
function meanScore(plays: ScenarioScore[]): ScenarioScore {
  const first = plays[0];
  const mean = (f: (s: ScenarioScore) => number) => plays.reduce((t, s) => t + f(s), 0) / plays.length;
  const strategies = first.strategies.map(({ strategy }): StrategyScore => {
    const of = (s: ScenarioScore) => s.strategies.find((x) => x.strategy === strategy)!;
    const avg = (k: Exclude<keyof StrategyScore, "strategy">) => mean((s) => of(s)[k]);
    return {
      strategy,
      badDebtUsd: avg("badDebtUsd"),
      liquidatedNotionalUsd: avg("liquidatedNotionalUsd"),
      forcedLiquidationUsd: avg("forcedLiquidationUsd"),
      forcedLiquidationPct: avg("forcedLiquidationPct"),
      accountsAffected: avg("accountsAffected"),
      traderLossUsd: avg("traderLossUsd"),
      refusedOpeningsUsd: avg("refusedOpeningsUsd"),
      actionsSent: avg("actionsSent"),
      gasUsed: avg("gasUsed"),
    };
  });
  return {
    ...first,
    scenario: first.variantOf ?? first.scenario,
    startOpenInterestUsd: mean((s) => s.startOpenInterestUsd),
    strategies,
    ...keeperVerdict(strategies),
    wallMs: plays.reduce((t, s) => t + s.wallMs, 0),
  };
}

/** Each suite scenario's spread over its noise seeds; empty when the scorecard played one seed. */
export function acrossSeeds(scores: ScenarioScore[]): SeedSpread[] {
  return (bySuiteScenario(scores) ?? []).map((plays) => {
    const m = meanScore(plays);
    // The mean is meanScore's; the seeds add the extremes.
    const range = (mean: number, f: (s: ScenarioScore) => number): SeedRange => {
      const xs = plays.map(f);
      return { mean, min: Math.min(...xs), max: Math.max(...xs) };
    };
    return {
      scenario: m.scenario,
      seeds: plays.map((s) => s.seed),
      strategies: m.strategies.map(({ strategy, badDebtUsd, forcedLiquidationUsd }) => {
        const of = (s: ScenarioScore) => s.strategies.find((x) => x.strategy === strategy)!;
        return { strategy, badDebtUsd: range(badDebtUsd, (s) => of(s).badDebtUsd), forcedLiquidationUsd: range(forcedLiquidationUsd, (s) => of(s).forcedLiquidationUsd) };
      }),
      keeperDominatedBy: m.keeperDominatedBy,
      keeperDominatesNaive: m.keeperDominatesNaive,
      keeperDominatedOnSeeds: plays.filter((s) => s.keeperDominatedBy.length > 0).length,
      keeperDominatesNaiveOnSeeds: plays.filter((s) => s.keeperDominatesNaive).length,
    };
  });
}

/**
 * The issue's goals, counted over the suite. With several noise seeds, each scenario counts once,
 * on its strategies' means over the seeds: a verdict one lucky or unlucky path cannot decide.
 */
export function summarize(played: ScenarioScore[], profile: string, strategies: StrategyName[], wallMs: number): EvaluateSummary {
  const groups = bySuiteScenario(played);
  const scores = groups ? groups.map(meanScore) : played;
  const of = (s: ScenarioScore, name: StrategyName) => s.strategies.find((x) => x.strategy === name);
  const withKeeper = scores.filter((s) => of(s, "keeper") && of(s, "none"));
  const calm = withKeeper.filter((s) => of(s, "none")!.badDebtUsd <= TIE_USD);
  const withNaive = scores.filter((s) => of(s, "keeper") && of(s, "naive"));
  return {
    scenarios: scores.length,
    seeds: groups ? Math.max(...groups.map((g) => g.length)) : 1,
    profile,
    strategies,
    keeper_added_bad_debt: withKeeper.filter((s) => of(s, "keeper")!.badDebtUsd > of(s, "none")!.badDebtUsd + TIE_USD).length,
    keeper_calm_forced_liquidation_max_pct: round(Math.max(0, ...calm.map((s) => of(s, "keeper")!.forcedLiquidationPct)), 3),
    keeper_dominated: scores.filter((s) => s.keeperDominatedBy.length > 0).length,
    keeper_dominates_naive_pct: withNaive.length ? round((100 * withNaive.filter((s) => s.keeperDominatesNaive).length) / withNaive.length, 1) : 0,
    wall_s: round(wallMs / 1000, 1),
  };
}

const round = (v: number, digits: number) => Math.round(v * 10 ** digits) / 10 ** digits;
