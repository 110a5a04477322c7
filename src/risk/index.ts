/** The risk engine: pure functions of snapshots, no I/O. See SPEC §1. */
export * from "./snapshot";
export { SnapshotValidationError, RiskInputError } from "./errors";
export { validateSnapshot } from "./validate";
export { computeMetrics, type Metrics, type SnapshotMetrics } from "./metrics";
export { compileBook, compileBooks, liquidationPrice, type CompiledBook, type CompileOptions } from "./book";
export { openVenue, type Fill, type Venue } from "./liquidity";
export { runScenario, type ScenarioResult, type ScenarioOptions, type ShockVector, type ProtocolOutcome } from "./cascade";
export { stressGrid, breakingShock, correlatedShocks, defaultBetas, type Betas, type GridPoint, type GridOptions, type BreakingShock } from "./stress";
export { runContagion } from "./contagion";
export type { Account, AccountFamily, CollateralLeg, DebtLeg, PerpLeg, LendingParams, LendingReserve, EModeCategory } from "./accounts/model";
export { accountHealth, firstAaveLiquidation, type AccountHealth, type PlannedAaveLiquidation } from "./accounts/inspect";
export { settleAaveAccounts, type SettledAccounts } from "./accounts/settle";
export { aaveHealthFactor, aaveLiquidation, CLOSE_FACTOR_HF_THRESHOLD, type AaveLiquidation, type AaveLiquidationInput } from "./accounts/aave";
export {
  valueAtRisk,
  sampleShocks,
  shockModelFor,
  tails,
  describeModel,
  DEFAULT_SHOCK_SETTINGS,
  type ShockModel,
  type ShockModelSettings,
  type TailFigures,
  type ValueAtRiskReport,
} from "./value-at-risk";
export { compilePrefix, PrefixCascade, type PrefixIndex, type PrefixRun, type CascadeTally } from "./prefix-cascade";
export { marketSlice, minShock } from "./slice";
export { forecast, leastSquaresSlope, fitLogBrownian, firstPassageProbability, type Forecast, type ForecastOptions, type SvrObservation } from "./forecast";
export { normalCdf } from "./normal";

/** Bumped whenever a change to the engine can change a decision; part of every evidence hash. */
export const MODEL_VERSION = "svr-risk/1";
