/** The policy: pure functions from snapshots and history to plans. See SPEC §2. */
export * from "./actions";
export * from "./config";
export * from "./levels";
export { planActions, type Plan, type PlannedAction, type PolicyInput, type PolicyState, type MarketJudgmentState, type MarketReport, type Urgency } from "./plan";
export { canonicalJson, evidenceOf, idempotencyKey, keccakText, positionsDigest, type Evidence, type EvidenceInputs } from "./evidence";
export { planMmrRaise, planImrRaise, imrForNewRisk, composeMargins, planMarginRelax, mmrFix, passesGate, type MarginDecision, type MmrDecision } from "./margin";
export { assessDanger, projectedMove, rememberMark, type Danger, type Direction, type MarkPoint } from "./danger";
export { raiseCostBenefit, passesCostBenefit, buysSomething, deepensNow, MIN_REALISED_NOW_CUT, shockFromImpact, bestGatedRaise, candidateMmrs, type RaiseCostBenefit } from "./gate";
export { fragileBookWarning, shortfallAt, WARNING_REPEAT_SECONDS, type GovernanceWarning } from "./warning";
export { planCapCut } from "./caps";
export { planAdl, chunkByNotional } from "./adl";
export { currentValueAtRisk, valueAtRiskBreach, DEFAULT_VALUE_AT_RISK, type ValueAtRiskLimit, type ValueAtRiskSettings, type StoredValueAtRisk } from "./value-at-risk";
