/**
 * Governance profiles as data: how far and how often a steward lets its keeper move each kind of
 * parameter, per direction (toward safety: tighten; away from it: loosen). Governance picks one when
 * it installs a steward; a rehearsal says which one it ran under.
 *
 * - `aave-production`: what Aave's own risk stewards allow in production — LTV, liquidation threshold
 *   and bonus move by an absolute ±50 bps (an eMode category's threshold by ±10 bps), caps by a
 *   relative ±100 % (±30 % for the automated cap injector), every parameter at most once in 3 days.
 * - `permissive`: what rehearsals have used so far — the reference protocol's margins and caps
 *   tighten by up to 50 % every 60 s and loosen by up to 10 % every 6 h; an Aave reserve's risk
 *   parameters tighten by up to 15 % every 60 s and loosen by up to 5 % every 6 h.
 *
 * Pure data and integer arithmetic: no ethers, no I/O.
 */

export type GovernanceProfileName = "permissive" | "aave-production";

export const GOVERNANCE_PROFILE_NAMES: readonly GovernanceProfileName[] = ["permissive", "aave-production"];
export const DEFAULT_GOVERNANCE_PROFILE: GovernanceProfileName = "permissive";

/** The parameters a steward bounds, by the name its contract gives them (bytes32 text on-chain). */
export type ParameterKind = "IMR" | "MMR" | "LONG_CAP" | "SHORT_CAP" | "LTV" | "LIQ_THRESHOLD" | "EMODE_LIQ_THRESHOLD" | "LIQ_BONUS" | "SUPPLY_CAP" | "BORROW_CAP";

/**
 * `relative`: a step is at most `maxStep` basis points of the current value.
 * `absolute`: a step is at most `maxStep` in the parameter's own unit (basis points for ratios).
 */
export type StepMode = "relative" | "absolute";

export interface DirectionRule {
  /** Relative mode: bps of the current value; absolute mode: units of the parameter. */
  maxStep: number;
  /** Minimum seconds since the parameter's last update. */
  minDelaySeconds: number;
}

/** One end of the range: a fixed value, or a multiple (in bps) of the value when the steward is installed. */
export type RangeEnd = { absolute: number } | { currentTimesBps: number };

export interface ParameterRule {
  mode: StepMode;
  /** A margin or a bonus tightens upward; an LTV, a threshold or a cap tightens downward. */
  tightenIsIncrease: boolean;
  tighten: DirectionRule;
  loosen: DirectionRule;
  min: RangeEnd;
  max: RangeEnd;
}

/** Per market: the most one deleverage call may reduce, and a budget refilled at budgetUsd per window. */
export interface DeleverageLimits {
  maxPerCallUsd: number;
  budgetUsd: number;
  windowSeconds: number;
}

export interface GovernanceProfile {
  name: GovernanceProfileName;
  description: string;
  rules: Record<ParameterKind, ParameterRule>;
  deleverage: DeleverageLimits;
  /** Aave's automated cap injector, stricter than its risk steward's caps rule. */
  capInjector: ParameterRule;
}

const MINUTE = 60;
const HOUR = 3600;
const DAY = 24 * HOUR;

/** Ranges are the same under both profiles: governance's outer fence around today's values. */
const RANGES: Record<ParameterKind, Pick<ParameterRule, "min" | "max" | "tightenIsIncrease">> = {
  IMR: { min: { currentTimesBps: 5_000 }, max: { absolute: 5_000 }, tightenIsIncrease: true },
  MMR: { min: { currentTimesBps: 5_000 }, max: { absolute: 4_000 }, tightenIsIncrease: true },
  LONG_CAP: { min: { currentTimesBps: 100 }, max: { currentTimesBps: 20_000 }, tightenIsIncrease: false },
  SHORT_CAP: { min: { currentTimesBps: 100 }, max: { currentTimesBps: 20_000 }, tightenIsIncrease: false },
  LTV: { min: { absolute: 1_000 }, max: { currentTimesBps: 10_000 }, tightenIsIncrease: false },
  LIQ_THRESHOLD: { min: { absolute: 2_000 }, max: { currentTimesBps: 10_000 }, tightenIsIncrease: false },
  EMODE_LIQ_THRESHOLD: { min: { absolute: 2_000 }, max: { currentTimesBps: 10_000 }, tightenIsIncrease: false },
  LIQ_BONUS: { min: { absolute: 10_100 }, max: { absolute: 11_500 }, tightenIsIncrease: true },
  SUPPLY_CAP: { min: { currentTimesBps: 100 }, max: { currentTimesBps: 20_000 }, tightenIsIncrease: false },
  BORROW_CAP: { min: { currentTimesBps: 100 }, max: { currentTimesBps: 20_000 }, tightenIsIncrease: false },
};

const rule = (kind: ParameterKind, mode: StepMode, tighten: DirectionRule, loosen: DirectionRule): ParameterRule => ({ ...RANGES[kind], mode, tighten, loosen });
const both = (maxStep: number, minDelaySeconds: number): DirectionRule => ({ maxStep, minDelaySeconds });

const PERP_FAST = (kind: ParameterKind) => rule(kind, "relative", both(5_000, MINUTE), both(1_000, 6 * HOUR));
const RESERVE_FAST = (kind: ParameterKind) => rule(kind, "relative", both(1_500, MINUTE), both(500, 6 * HOUR));

const PERMISSIVE: GovernanceProfile = {
  name: "permissive",
  description: "rehearsal bounds: tighten up to 50 % (Aave reserve risk 15 %) every 60 s, loosen up to 10 % (5 %) every 6 h; deleverage up to $5M a call, $20M an hour",
  rules: {
    IMR: PERP_FAST("IMR"),
    MMR: PERP_FAST("MMR"),
    LONG_CAP: PERP_FAST("LONG_CAP"),
    SHORT_CAP: PERP_FAST("SHORT_CAP"),
    LTV: RESERVE_FAST("LTV"),
    LIQ_THRESHOLD: RESERVE_FAST("LIQ_THRESHOLD"),
    EMODE_LIQ_THRESHOLD: RESERVE_FAST("EMODE_LIQ_THRESHOLD"),
    LIQ_BONUS: RESERVE_FAST("LIQ_BONUS"),
    SUPPLY_CAP: RESERVE_FAST("SUPPLY_CAP"),
    BORROW_CAP: RESERVE_FAST("BORROW_CAP"),
  },
  capInjector: RESERVE_FAST("SUPPLY_CAP"),
  deleverage: { maxPerCallUsd: 5_000_000, budgetUsd: 20_000_000, windowSeconds: HOUR },
};

const AAVE_DELAY = 3 * DAY;
const absoluteBps = (kind: ParameterKind, bps: number) => rule(kind, "absolute", both(bps, AAVE_DELAY), both(bps, AAVE_DELAY));
const relativeCap = (kind: ParameterKind, bps: number) => rule(kind, "relative", both(bps, AAVE_DELAY), both(bps, AAVE_DELAY));

const AAVE_PRODUCTION: GovernanceProfile = {
  name: "aave-production",
  description:
    "Aave's production risk stewards: LTV/LT/bonus ±50 bps absolute (eMode LT ±10 bps), margins ±50 bps, caps ±100 % relative (cap injector ±30 %), 3-day delays; deleverage up to $1M a call, $5M a day",
  rules: {
    // Margins are ratios in bps, like an LTV: the same absolute rule applies.
    IMR: absoluteBps("IMR", 50),
    MMR: absoluteBps("MMR", 50),
    LONG_CAP: relativeCap("LONG_CAP", 10_000),
    SHORT_CAP: relativeCap("SHORT_CAP", 10_000),
    LTV: absoluteBps("LTV", 50),
    LIQ_THRESHOLD: absoluteBps("LIQ_THRESHOLD", 50),
    EMODE_LIQ_THRESHOLD: absoluteBps("EMODE_LIQ_THRESHOLD", 10),
    LIQ_BONUS: absoluteBps("LIQ_BONUS", 50),
    SUPPLY_CAP: relativeCap("SUPPLY_CAP", 10_000),
    BORROW_CAP: relativeCap("BORROW_CAP", 10_000),
  },
  capInjector: relativeCap("SUPPLY_CAP", 3_000),
  // Aave has no automated deleveraging; for a perpetuals market under this profile, a day's budget.
  deleverage: { maxPerCallUsd: 1_000_000, budgetUsd: 5_000_000, windowSeconds: DAY },
};

const PROFILES: Record<GovernanceProfileName, GovernanceProfile> = { permissive: PERMISSIVE, "aave-production": AAVE_PRODUCTION };

export class UnknownGovernanceProfileError extends Error {
  override readonly name = "UnknownGovernanceProfileError";
  constructor(readonly profile: string) {
    super(`unknown governance profile "${profile}": expected one of ${GOVERNANCE_PROFILE_NAMES.join(", ")}`);
  }
}

export function isGovernanceProfileName(name: string): name is GovernanceProfileName {
  return (GOVERNANCE_PROFILE_NAMES as readonly string[]).includes(name);
}

/** The profile of that name; an unknown name is an error that lists the known ones. */
export function governanceProfile(name: string): GovernanceProfile {
  if (!isGovernanceProfileName(name)) throw new UnknownGovernanceProfileError(name);
  return PROFILES[name];
}

/** The rule a profile gives one kind of parameter. */
export function parameterRule(profile: GovernanceProfileName, kind: ParameterKind): ParameterRule {
  return PROFILES[profile].rules[kind];
}

/** A rule made concrete around a parameter's value at install time: what governance writes on-chain. */
export interface ResolvedBounds {
  min: bigint;
  max: bigint;
  relative: boolean;
  tightenIsIncrease: boolean;
  maxTighten: bigint;
  maxLoosen: bigint;
  tightenDelay: bigint;
  loosenDelay: bigint;
}

/**
 * The bounds a rule gives around `current`: a relative end rounds down, never below 1 (a steward
 * never sets a value to zero), and the range always holds the current value.
 */
export function resolveBounds(r: ParameterRule, current: bigint): ResolvedBounds {
  if (current < 0n) throw new RangeError(`a parameter's current value cannot be negative (got ${current})`);
  const end = (e: RangeEnd): bigint => ("absolute" in e ? BigInt(e.absolute) : (current * BigInt(e.currentTimesBps)) / 10_000n);
  let min = end(r.min);
  let max = end(r.max);
  if (min < 1n) min = 1n;
  if (current > 0n && current < min) min = current;
  if (current > max) max = current;
  return {
    min,
    max,
    relative: r.mode === "relative",
    tightenIsIncrease: r.tightenIsIncrease,
    maxTighten: BigInt(r.tighten.maxStep),
    maxLoosen: BigInt(r.loosen.maxStep),
    tightenDelay: BigInt(r.tighten.minDelaySeconds),
    loosenDelay: BigInt(r.loosen.minDelaySeconds),
  };
}
