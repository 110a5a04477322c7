import { compileBooks } from "./book";
import { runScenario, type ScenarioResult, type ShockVector } from "./cascade";
import type { Snapshot } from "./snapshot";

/**
 * Several protocols that share collateral assets and their pools, run as one cascade: every
 * protocol's liquidations trade against the same liquidity and see the same prices, so a cascade
 * in one moves the marks of the others. Results are per protocol (`protocols`) and in total.
 */
export function runContagion(snapshots: Snapshot[], shocks: ShockVector): ScenarioResult {
  return runScenario(compileBooks(snapshots), shocks);
}
