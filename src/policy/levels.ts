import type { Levels, MarketPolicy } from "./config";

export const LEVELS = ["ok", "warn", "act", "critical"] as const;
export type Level = (typeof LEVELS)[number];
const rank = (l: Level) => LEVELS.indexOf(l);

/** One market's position in the level machine; data the service persists between observations. */
export interface MarketLevelState {
  level: Level;
  /** Consecutive observations at or worse than each level (index by rank). */
  worse: [number, number, number, number];
  /** Consecutive observations that cleared the current level with hysteresis. */
  clear: number;
  /** Consecutive fully healthy observations (for giving back caps and a lending reserve's parameters). */
  healthy: number;
}

export const INITIAL_LEVEL_STATE: MarketLevelState = { level: "ok", worse: [0, 0, 0, 0], clear: 0, healthy: 0 };

export interface LevelObservation {
  svr: number | null;
  /** Smallest move that leaves bad debt (the smaller of down and up); null when none is found. */
  breakingShock: number | null;
  /** The forecast says act will be breached within its horizon. */
  forecastBreach: boolean;
  /** The market's tail loss exceeds its configured Value at Risk limit (policy.valueAtRisk). */
  valueAtRiskBreach?: boolean;
}

/** The level an observation indicates; `relief` shifts every threshold up (used to leave a level). */
export function levelOf(o: LevelObservation, p: MarketPolicy, relief = 0): Level {
  const of = (value: number | null, l: Levels): Level => {
    if (value === null) return "ok"; // no exposure, or nothing breaks: nothing to protect
    const f = 1 + relief;
    if (value < l.critical * f) return "critical";
    if (value < l.act * f) return "act";
    if (value < l.warn * f) return "warn";
    return "ok";
  };
  let level = of(o.svr, p.svr);
  const bs = of(o.breakingShock, p.breakingShock);
  if (rank(bs) > rank(level)) level = bs;
  if (o.forecastBreach && rank(level) < rank("act")) level = "act";
  if (o.valueAtRiskBreach && p.valueAtRisk && rank(level) < rank(p.valueAtRisk.level)) level = p.valueAtRisk.level;
  return level;
}

export interface LevelStep {
  state: MarketLevelState;
  /** Set when the level changed on this observation. */
  transition?: { from: Level; to: Level };
}

/**
 * Moves the level machine by one observation. Escalation to a level needs `confirmations`
 * consecutive observations at or worse than it; leaving a level needs as many observations that
 * clear it by the hysteresis margin. So a metric flapping around a threshold moves nothing.
 */
export function stepLevel(prev: MarketLevelState, o: LevelObservation, p: MarketPolicy): LevelStep {
  const observed = levelOf(o, p);
  const worse = prev.worse.map((n, i) => (rank(observed) >= i ? n + 1 : 0)) as MarketLevelState["worse"];
  let level = prev.level;
  let confirmed: Level = "ok";
  for (const l of LEVELS) if (worse[rank(l)] >= p.confirmations) confirmed = l;
  let clear = prev.clear;
  if (rank(confirmed) > rank(level)) {
    level = confirmed;
    clear = 0;
  } else {
    const withRelief = levelOf(o, p, p.hysteresis);
    clear = rank(withRelief) < rank(level) ? clear + 1 : 0;
    if (clear >= p.confirmations) {
      level = withRelief;
      clear = 0;
    }
  }
  const healthy = level === "ok" && levelOf({ ...o, forecastBreach: o.forecastBreach }, p, p.hysteresis) === "ok" && (o.svr === null || o.svr >= p.svr.target) ? prev.healthy + 1 : 0;
  const state: MarketLevelState = { level, worse, clear, healthy };
  return level === prev.level ? { state } : { state, transition: { from: prev.level, to: level } };
}

export function atLeast(level: Level, than: Level): boolean {
  return rank(level) >= rank(than);
}
