import { z } from "zod";
import { mulberry32, normal } from "../util/prng";

/**
 * A rehearsal scenario: what the world does, step by step (one step is one block of the
 * scenario's clock). Prices follow one common factor path scaled by each asset's beta plus
 * seeded idiosyncratic noise, so shocks are correlated as they are in a real crash; events
 * withdraw pool liquidity or open new positions at given steps. Pure: no chain, no clock.
 */

const segment = z
  .object({
    /** Steps this segment lasts. */
    steps: z.number().int().positive(),
    /** Common factor at the end of the segment (−0.35 = everything with beta 1 is down 35 %); reached linearly. */
    to: z.number().gt(-1).lt(10),
  })
  .strict();

const withdrawLiquidity = z
  .object({
    step: z.number().int().nonnegative(),
    kind: z.literal("withdrawLiquidity"),
    /** Reference-protocol market whose spot pool loses liquidity ("ETH-USD"). */
    market: z.string().min(1),
    /** Share of the pool's liquidity that leaves (0 < f < 1). */
    fraction: z.number().gt(0).lt(1),
  })
  .strict();

const openPositions = z
  .object({
    step: z.number().int().nonnegative(),
    kind: z.literal("openPositions"),
    market: z.string().min(1),
    side: z.enum(["long", "short"]),
    count: z.number().int().positive().max(200),
    /** USD notional of each position at the step's price. */
    notionalUsd: z.number().positive(),
    /** "max": as much leverage as the market's initial margin allows at that moment (what a crash punishes). */
    leverage: z.union([z.literal("max"), z.number().gt(1).max(100)]),
  })
  .strict();

const pricePoint = z
  .object({
    /** Seconds from the scenario's start. */
    t: z.number().nonnegative(),
    /** The asset's price at that time, in any unit: only its ratio to the first point is played. */
    price: z.number().positive(),
  })
  .strict();

export const scenarioSchema = z
  .object({
    name: z.string().regex(/^[a-z0-9-]+$/, "lowercase letters, digits and '-' only"),
    description: z.string().min(1),
    /** Seed of the idiosyncratic noise: the same file always plays the same prices. */
    seed: z.number().int().nonnegative().default(1),
    /** Seconds of chain time per step (12 = one mainnet block). */
    secondsPerStep: z.number().int().positive().max(3600).default(12),
    factor: z.array(segment).min(1),
    /** Sensitivity of each asset (by symbol: WETH, WBTC, USDC…) to the common factor; unlisted assets have beta 1, stablecoins should say 0. */
    betas: z.record(z.string(), z.number().min(-5).max(5)).default({}),
    /** Standard deviation of each asset's own move per step, as a fraction of price. */
    noise: z.number().min(0).max(0.1).default(0),
    /**
     * When true, what liquidators sell into an asset's spot pool moves its oracle too (the
     * oracle tracks the market it prices): liquidations feed back into prices and can cascade.
     */
    oracleFollowsPool: z.boolean().default(false),
    /** Share of what liquidators seize that they hedge in the tracked spot pool (the rest trades elsewhere). */
    liquidationFlowToPool: z.number().min(0).max(1).default(1),
    events: z.array(z.discriminatedUnion("kind", [withdrawLiquidity, openPositions])).default([]),
    /**
     * Explicit price paths by asset symbol: timestamped prices (a real series can be replayed),
     * interpolated linearly at each step's time and held after the last point. A listed asset
     * follows its path instead of the factor, without noise; the path is played as ratios to its
     * first point, so a series in USD moves an asset from whatever price the chain starts at.
     */
    pricePath: z.record(z.string(), z.array(pricePoint).min(2)).default({}),
    /** Steps by which the oracles lag the market: a feed publishes the price of this many steps ago. */
    oracleLagSteps: z.number().int().min(0).max(100).default(0),
  })
  .strict();

export type Scenario = z.infer<typeof scenarioSchema>;
export type ScenarioEvent = Scenario["events"][number];

export class ScenarioError extends Error {
  override readonly name = "ScenarioError";
}

/** Validates a parsed scenario file; the error names the file and every field that is wrong. */
export function parseScenario(raw: unknown, source: string): Scenario {
  const r = scenarioSchema.safeParse(raw);
  if (!r.success) {
    const problems = r.error.issues.map((i) => `${i.path.length ? i.path.join(".") : "(root)"}: ${i.message}`);
    throw new ScenarioError(`scenario ${source} is invalid:\n  ${problems.join("\n  ")}`);
  }
  const s = r.data;
  const steps = totalSteps(s);
  for (const [asset, points] of Object.entries(s.pricePath)) {
    if (points[0].t !== 0) throw new ScenarioError(`scenario ${source} is invalid:\n  pricePath.${asset}.0.t: the first point must be at t = 0 (the start), not ${points[0].t}`);
    const back = points.findIndex((p, i) => i > 0 && p.t <= points[i - 1].t);
    if (back > 0) throw new ScenarioError(`scenario ${source} is invalid:\n  pricePath.${asset}.${back}.t: times must increase (${points[back].t} follows ${points[back - 1].t})`);
  }
  const late = s.events.filter((e) => e.step > steps);
  if (late.length) throw new ScenarioError(`scenario ${source} is invalid:\n  events: step ${late[0].step} is after the last step (${steps})`);
  return s;
}

export function totalSteps(s: Pick<Scenario, "factor">): number {
  return s.factor.reduce((n, seg) => n + seg.steps, 0);
}

/** The common factor at every step, 0 … totalSteps (step 0 is the starting state: factor 0). */
export function factorPath(s: Pick<Scenario, "factor">): number[] {
  const out = [0];
  let from = 0;
  for (const seg of s.factor) {
    for (let i = 1; i <= seg.steps; i++) out.push(from + ((seg.to - from) * i) / seg.steps);
    from = seg.to;
  }
  return out;
}

/** A price path's value at time `t` (seconds): linear between points, held after the last. */
export function pathAt(points: readonly { t: number; price: number }[], t: number): number {
  if (t >= points[points.length - 1].t) return points[points.length - 1].price;
  let i = 1;
  while (points[i].t < t) i++;
  const a = points[i - 1];
  const b = points[i];
  return a.price + ((b.price - a.price) * (t - a.t)) / (b.t - a.t);
}

/**
 * Price multipliers (price ÷ starting price) per asset and step: 1 + beta·factor, times the
 * asset's own noise, or the asset's explicit price path. Never below 1 % of the start: a feed
 * that answers zero is a different test. With an oracle lag, step s publishes step s − lag.
 */
export function priceMultipliers(s: Scenario, assets: string[]): Record<string, number[]> {
  const market = marketMultipliers(s, assets);
  if (s.oracleLagSteps === 0) return market;
  return Object.fromEntries(Object.entries(market).map(([a, m]) => [a, m.map((_, step) => m[Math.max(0, step - s.oracleLagSteps)])]));
}

/** What the market trades at, per asset and step, before any oracle lag. */
export function marketMultipliers(s: Scenario, assets: string[]): Record<string, number[]> {
  const factor = factorPath(s);
  const out: Record<string, number[]> = {};
  for (const [i, asset] of [...assets].sort().entries()) {
    const path = s.pricePath[asset];
    if (path) {
      out[asset] = factor.map((_, step) => Math.max(0.01, pathAt(path, step * s.secondsPerStep) / path[0].price));
      continue;
    }
    const rand = mulberry32(s.seed * 1009 + i);
    const beta = s.betas[asset] ?? 1;
    let drift = 1;
    out[asset] = factor.map((f, step) => {
      if (step > 0 && s.noise > 0 && beta !== 0) drift *= 1 + s.noise * normal(rand);
      return Math.max(0.01, (1 + beta * f) * drift);
    });
  }
  return out;
}

export function eventsAt(s: Scenario, step: number): ScenarioEvent[] {
  return s.events.filter((e) => e.step === step);
}
