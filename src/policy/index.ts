/** The policy: pure functions from snapshots and history to plans. See SPEC §2. */
export * from "./actions";
export * from "./config";
export * from "./levels";
export { planActions, type Plan, type PlannedAction, type PolicyInput, type PolicyState, type MarketReport, type Urgency } from "./plan";
export { canonicalJson, evidenceOf, idempotencyKey, keccakText, positionsDigest, type Evidence, type EvidenceInputs } from "./evidence";
export { planMarginRaise, planMarginRelax, passesGate, type MarginDecision } from "./margin";
export { planCapCut } from "./caps";
export { planAdl, chunkByNotional } from "./adl";
