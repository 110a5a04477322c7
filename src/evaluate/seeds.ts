import { ScenarioError, type Scenario } from "../rehearse/scenario";

/** A scenario of the suite as the scorecard plays it: itself, or one of its noise-seed variants. */
export type SuiteScenario = Scenario & {
  /** The suite scenario this one replays with another noise seed (set on every play once --seeds > 1, the first included). */
  variantOf?: string;
};

/** Seeds of a scenario's variants step by this (seed, seed + 101, seed + 202…): apart, and reproducible from the file's own seed. */
export const SEED_STRIDE = 101;

/**
 * Each scenario with `seeds` noise seeds: the file's own seed first (its name unchanged, so one
 * seed plays what the file says), then seed + 101·k as `<name>-seed<n>`. A single path through a
 * thin pool the oracle follows ranks strategies partly by the order its noise happens to close
 * positions in; the variants show how much. A scenario without noise plays the same prices at any
 * seed: it is played once.
 */
export function acrossNoiseSeeds(scenarios: readonly Scenario[], count: number | string): SuiteScenario[] {
  const seeds = Number(count);
  if (!Number.isSafeInteger(seeds) || seeds < 1 || (typeof count === "string" && !/^\d+$/.test(count.trim()))) throw new ScenarioError(`--seeds ${count}: must be a whole number ≥ 1`);
  if (seeds === 1) return [...scenarios];
  const out: SuiteScenario[] = [];
  for (const s of scenarios) {
    const plays = s.noise > 0 ? seeds : 1;
    for (let k = 0; k < plays; k++) {
      const seed = s.seed + SEED_STRIDE * k;
      out.push({ ...s, name: k === 0 ? s.name : `${s.name}-seed${seed}`, seed, variantOf: s.name });
    }
  }
  const names = new Set<string>();
  for (const s of out) {
    if (names.has(s.name)) throw new ScenarioError(`--seeds ${seeds}: two plays would be named ${s.name} (a suite scenario already has a variant's name)`);
    names.add(s.name);
  }
  return out;
}
