import type { JudgmentPolicy } from "./config";

/** A mark the policy saw: [unix seconds, price]. Kept in the persisted policy state. */
export type MarkPoint = [number, number];

export type Direction = "down" | "up";

export type Danger =
  | { live: false; reason: string }
  | {
      live: true;
      /** The move the market is making toward its breaking shock; undefined when svr itself (or its forecast) is the danger. */
      direction?: Direction;
      /** At the measured speed, seconds until the mark reaches the breaking shock. */
      secondsToBreak?: number;
      /** The measured speed toward `direction`, as a fraction of the mark per second. */
      speed?: number;
      /** Seconds since the previous observation: the keeper's own reaction time, the least any horizon can be. */
      observationGap?: number;
      reason: string;
    };

export interface DangerInput {
  now: number;
  mark: number;
  /** The marks of earlier observations, oldest first (see rememberMark). */
  recent: readonly MarkPoint[];
  /** The market's breaking shocks, as fractions of today's mark; null: that way nothing breaks. */
  breakingShock: { down: number | null; up: number | null };
  /** svr alone (without the breaking shock) is at act or worse. */
  svrAtAct: boolean;
  /** The svr forecast breaches act within its horizon, fitted to enough observations. */
  forecastBreach: boolean;
}

/**
 * Is the danger live, or is the book merely fragile? Live when svr itself is at act, when its
 * forecast says it will be, or when the mark is moving toward a breaking shock fast enough to reach
 * it within `liveSecondsToBreak`: speed = the mark's move toward that side over the lookback
 * (from the newest earlier mark at least `lookbackSeconds` old, or the oldest one kept).
 * A static fragility in a calm market is not live: the book breaks only if a move comes that
 * nothing in the market shows coming.
 */
export function assessDanger(input: DangerInput, p: JudgmentPolicy): Danger {
  if (input.svrAtAct) return { live: true, reason: "svr is at act" };
  if (input.forecastBreach) return { live: true, reason: "svr is forecast to fall below act within the horizon" };
  const ref = referenceMark(input.recent, input.now, p.lookbackSeconds);
  if (!ref) return { live: false, reason: "no earlier mark to measure the market's speed" };
  const [t0, p0] = ref;
  const elapsed = input.now - t0;
  if (!(elapsed > 0) || !(p0 > 0)) return { live: false, reason: "no earlier mark to measure the market's speed" };
  const move = input.mark / p0 - 1;
  const direction: Direction = move < 0 ? "down" : "up";
  const cushion = input.breakingShock[direction];
  const speed = Math.abs(move) / elapsed;
  if (cushion === null || speed === 0) return { live: false, reason: `the mark is not moving toward a breaking shock` };
  const secondsToBreak = cushion / speed;
  // A break due before the keeper looks again is live whatever the configured horizon: observing
  // every few seconds this adds nothing; observing once every five minutes it is the whole difference.
  const observationGap = input.now - input.recent.filter(([t]) => t < input.now).reduce((a, [t]) => Math.max(a, t), -Infinity);
  const horizon = Math.max(p.liveSecondsToBreak, Number.isFinite(observationGap) ? observationGap : 0);
  const pct = (x: number) => `${(x * 100).toFixed(2)} %`;
  const what = `the mark moved ${pct(move)} in ${Math.round(elapsed)} s; at that speed it reaches the ${direction} breaking shock (${pct(cushion)}) in ${Math.round(secondsToBreak)} s`;
  if (secondsToBreak <= horizon) return { live: true, direction, secondsToBreak, speed, observationGap, reason: what };
  return { live: false, reason: `${what} (live under ${horizon} s)` };
}

/** The newest earlier mark at least `lookback` seconds old, else the oldest one kept. */
function referenceMark(recent: readonly MarkPoint[], now: number, lookback: number): MarkPoint | undefined {
  const earlier = recent.filter(([t]) => t < now);
  if (!earlier.length) return undefined;
  let ref = earlier[0];
  for (const m of earlier) if (m[0] <= now - lookback) ref = m;
  return ref;
}

/** Adds today's mark and drops what no later lookback can need (everything older than the newest mark at least `lookback` old). */
export function rememberMark(recent: readonly MarkPoint[], now: number, mark: number, lookback: number): MarkPoint[] {
  const kept = recent.filter(([t]) => t < now);
  let first = 0;
  for (let i = 0; i < kept.length; i++) if (kept[i][0] <= now - lookback) first = i;
  return [...kept.slice(first), [now, mark]];
}

/**
 * The move the market is making, carried on at its measured speed for `projectionSeconds` (or until
 * the next observation, when that is later), at most `maxProjectedMove` (a fraction). 0 when the
 * danger is not a measured move (svr at act, its forecast) or projectionSeconds is 0.
 */
export function projectedMove(danger: Danger, p: Pick<JudgmentPolicy, "projectionSeconds" | "maxProjectedMove">): number {
  if (!danger.live || danger.speed === undefined || !(danger.speed > 0) || !(p.projectionSeconds > 0)) return 0;
  // Never shorter than the time until the keeper looks again: until then, nothing else can be done.
  return Math.min(danger.speed * Math.max(p.projectionSeconds, danger.observationGap ?? 0), p.maxProjectedMove);
}
