import type { ProtocolSnapshot } from "../domain/protocol-state";
import { breakingShock, computeMetrics, forecast, marketSlice, minShock, MODEL_VERSION, type Forecast, type SvrObservation } from "../risk";
import type { ActionProvenance, ActionRequest } from "./actions";
import { chunkByNotional, planAdl } from "./adl";
import { planCapCut } from "./caps";
import { marketPolicy, type MarketPolicy, type PolicyConfig } from "./config";
import { canonicalJson, evidenceOf, idempotencyKey, keccakText, positionsDigest, type Evidence } from "./evidence";
import { atLeast, INITIAL_LEVEL_STATE, levelOf, stepLevel, type Level, type MarketLevelState } from "./levels";
import { planMarginRaise, planMarginRelax, type MarginContext } from "./margin";
import { usdToWadFloor } from "./units";

export type Urgency = "routine" | "act" | "critical";

export interface PolicyState {
  markets: Record<string, MarketLevelState>;
}

export interface PolicyInput {
  snapshot: ProtocolSnapshot;
  /** Earlier observations of each market's svr, oldest first. */
  history: Record<string, SvrObservation[]>;
  state: PolicyState;
  config: PolicyConfig;
}

export interface PlannedAction {
  action: ActionRequest;
  urgency: Urgency;
  reason: { metric: "svr" | "breakingShock" | "forecast" | "recovery"; level: Level; observed: number | null; threshold: number };
  expected: { metric: "breakingShock" | "svr"; before: number | null; after: number | null };
  note: string;
  provenance: ActionProvenance;
}

export interface MarketReport {
  market: string;
  level: Level;
  transition?: { from: Level; to: Level };
  svr: number | null;
  breakingShock: { down: number | null; up: number | null };
  forecast?: Forecast;
}

export interface Plan {
  protocol: string;
  block: number;
  timestamp: number;
  markets: MarketReport[];
  actions: PlannedAction[];
  deferred: { market: string; reason: string }[];
  evidence: Evidence;
  state: PolicyState;
}

/**
 * From one snapshot and what came before, the plan: levels per market, and the actions that bring
 * the markets back to target within what the steward allows. Pure: the same input gives the same plan.
 */
export function planActions(input: PolicyInput): Plan {
  const { snapshot, config } = input;
  const risk = snapshot.risk;
  const metrics = computeMetrics(risk);
  // Hashing the canonical book costs more than the rest of the plan on a large one, and only an
  // action carries it: computed on first use (an action's provenance, or a reader of plan.evidence).
  let memo: Evidence | undefined;
  const evidence = (): Evidence => (memo ??= evidenceOf({
    protocol: risk.protocol,
    modelVersion: MODEL_VERSION,
    block: snapshot.block,
    prices: Object.fromEntries(snapshot.markets.map((m) => [m.id, { answer: m.oracle.answer, decimals: m.oracle.decimals }])),
    params: Object.fromEntries(snapshot.markets.map((m) => [m.id, m.params])),
    positionsDigest: positionsDigest(risk),
    positionCount: risk.positions.length,
    policyDigest: keccakText(canonicalJson(config)),
  }));
  const epoch = Math.floor(snapshot.block.timestamp / config.epochSeconds);
  const actions: PlannedAction[] = [];
  const deferred: Plan["deferred"] = [];
  const reports: MarketReport[] = [];
  const state: PolicyState = { markets: {} };

  for (const market of risk.markets) {
    const policy = marketPolicy(config, market.id);
    const svr = metrics.markets[market.id]?.svr ?? null;
    const bs = breakingShock(marketSlice(risk, market.id));
    const shock = minShock(bs);
    const fc = forecastFor(input.history[market.id] ?? [], risk.timestamp, svr, policy);
    const observation = { svr, breakingShock: shock, forecastBreach: fc !== undefined && fc.breachProbability >= policy.forecast.maxBreachProbability };
    const step = stepLevel(input.state.markets[market.id] ?? INITIAL_LEVEL_STATE, observation, policy);
    state.markets[market.id] = step.state;
    reports.push({ market: market.id, level: step.state.level, transition: step.transition, svr, breakingShock: { down: bs.down, up: bs.up }, forecast: fc });

    const onchain = snapshot.markets.find((m) => m.id === market.id);
    const bounds = snapshot.steward.bounds[market.id] ?? {};
    if (!onchain) continue;
    const level = step.state.level;
    const reason = reasonFor(observation, policy, level);
    const provenance = (kind: string, target: unknown): ActionProvenance => ({ idempotencyKey: idempotencyKey(risk.protocol, market.id, kind, target, epoch), evidenceHash: evidence().hash });
    const urgency: Urgency = level === "critical" ? "critical" : "act";
    // Nothing at all while frozen (a relaxation too): every call would fail, and the key it holds would delay the first action after unfreeze.
    if (snapshot.steward.frozen) {
      deferred.push({ market: market.id, reason: "the steward is frozen by governance" });
      continue;
    }
    const hasMargins = onchain.params.IMR !== undefined && onchain.params.MMR !== undefined;
    const ctx: MarginContext | undefined = hasMargins
      ? { snapshot: risk, market, imrBps: onchain.params.IMR, mmrBps: onchain.params.MMR, bounds, policy, now: snapshot.block.timestamp }
      : undefined;

    if (atLeast(level, "act")) {
      if (!ctx) {
        deferred.push({ market: market.id, reason: `at ${level}, but this adapter exposes no margin parameters the policy can move` });
        continue;
      }
      if (shock !== null && shock < policy.breakingShock.target) {
        const d = planMarginRaise(ctx);
        if (d.status === "change") {
          const action: ActionRequest = { kind: "setMarginRatios", market: market.id, imrBps: d.imrBps, mmrBps: d.mmrBps };
          actions.push({
            action,
            urgency,
            reason,
            expected: { metric: "breakingShock", before: d.breakingShockBefore, after: d.breakingShockAfter },
            note: d.note,
            provenance: provenance("setMarginRatios", [d.imrBps, d.mmrBps]),
          });
        } else if (d.status === "defer") deferred.push({ market: market.id, reason: d.reason });
      }
      const m = metrics.markets[market.id];
      if (onchain.params.LONG_CAP !== undefined && onchain.params.SHORT_CAP !== undefined && m) {
        const caps = planCapCut(
          { longCap: onchain.params.LONG_CAP, shortCap: onchain.params.SHORT_CAP },
          { long: usdToWadFloor(m.longOpenInterest), short: usdToWadFloor(m.shortOpenInterest) },
          bounds,
          snapshot.block.timestamp,
        );
        if (caps.status === "change") {
          actions.push({
            action: { kind: "setOpenInterestCaps", market: market.id, longCap: caps.longCap, shortCap: caps.shortCap },
            urgency,
            reason,
            expected: { metric: "svr", before: svr, after: svr },
            note: caps.note,
            provenance: provenance("setOpenInterestCaps", [caps.longCap, caps.shortCap]),
          });
        } else if (caps.status === "defer") deferred.push({ market: market.id, reason: caps.reason });
      }
    }
    if (level === "critical" && svr !== null && svr < policy.svr.target) {
      if (snapshot.steward.maxDeleverageNotional === 0n) deferred.push({ market: market.id, reason: "the steward allows no deleveraging" });
      else {
        const adl = planAdl(market, risk.positions.filter((p) => p.market === market.id), policy.svr.target, policy.adlUpperSvr, snapshot.positionSizes);
        if (adl.status === "defer") deferred.push({ market: market.id, reason: adl.reason });
        if (adl.status === "change") {
          chunkByNotional(adl.picks, snapshot.steward.maxDeleverageNotional, market.mark).forEach((reductions, chunk) => {
            actions.push({
              action: { kind: "deleverage", market: market.id, reductions },
              urgency: "critical",
              reason,
              expected: { metric: "svr", before: adl.svrBefore, after: adl.svrAfter },
              note: `${adl.note} (call ${chunk + 1})`,
              provenance: provenance("deleverage", [chunk, reductions.map((r) => [r.positionId, r.sizeDelta])]),
            });
          });
        }
      }
    }
    if (level === "ok" && ctx && step.state.healthy >= policy.recoveryObservations) {
      const d = planMarginRelax(ctx);
      if (d.status === "change") {
        actions.push({
          action: { kind: "setMarginRatios", market: market.id, imrBps: d.imrBps, mmrBps: d.mmrBps },
          urgency: "routine",
          reason: { metric: "recovery", level, observed: svr, threshold: policy.svr.target },
          expected: { metric: "breakingShock", before: d.breakingShockBefore, after: d.breakingShockAfter },
          note: d.note,
          provenance: provenance("setMarginRatios", [d.imrBps, d.mmrBps]),
        });
      }
    }
  }
  return {
    protocol: risk.protocol,
    block: snapshot.block.number,
    timestamp: snapshot.block.timestamp,
    markets: reports,
    actions,
    deferred,
    get evidence() {
      return evidence();
    },
    state,
  };
}

function forecastFor(history: SvrObservation[], t: number, svr: number | null, p: MarketPolicy): Forecast | undefined {
  if (svr === null || svr <= 0) return undefined;
  const series = [...history.filter((o) => o.t < t), { t, svr }];
  if (series.length < 3) return undefined;
  return forecast(series, { threshold: p.svr.act, horizon: p.forecast.horizonSeconds, window: p.forecast.window });
}

function reasonFor(o: { svr: number | null; breakingShock: number | null; forecastBreach: boolean }, p: MarketPolicy, level: Level): PlannedAction["reason"] {
  const svrLevel = levelOf({ ...o, breakingShock: null, forecastBreach: false }, p);
  const bsLevel = levelOf({ ...o, svr: null, forecastBreach: false }, p);
  const key = level === "ok" ? "act" : level === "warn" ? "warn" : level;
  if (svrLevel === level) return { metric: "svr", level, observed: o.svr, threshold: p.svr[key] };
  if (bsLevel === level) return { metric: "breakingShock", level, observed: o.breakingShock, threshold: p.breakingShock[key] };
  return { metric: "forecast", level, observed: o.svr, threshold: p.svr.act };
}
