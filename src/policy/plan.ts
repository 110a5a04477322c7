import type { ProtocolSnapshot } from "../domain/protocol-state";
import { breakingShock, computeMetrics, forecast, marketSlice, minShock, MODEL_VERSION, type Forecast, type SvrObservation, type TailFigures, type ValueAtRiskReport } from "../risk";
import type { ActionProvenance, ActionRequest } from "./actions";
import { chunkByNotional, planAdl } from "./adl";
import { planCapCut, planCapRelax } from "./caps";
import { planLending, planReserveRelax, recoveredLevers, type ReserveParams } from "./lending";
import { marketPolicy, type MarketPolicy, type PolicyConfig } from "./config";
import { canonicalJson, evidenceOf, idempotencyKey, keccakText, positionsDigest, type Evidence } from "./evidence";
import { atLeast, INITIAL_LEVEL_STATE, levelOf, stepLevel, type Level, type MarketLevelState } from "./levels";
import { assessDanger, projectedMove, rememberMark, type Danger, type Direction, type MarkPoint } from "./danger";
import { composeMargins, imrForNewRisk, mmrFix, planImrRaise, planMarginRelax, planMmrRaise, type MarginContext, type MmrDecision } from "./margin";
import { fragileBookWarning, WARNING_REPEAT_SECONDS, type GovernanceWarning } from "./warning";
import { usdToWadFloor } from "./units";
import { currentValueAtRisk, limitedFigure, valueAtRiskBreach, type StoredValueAtRisk } from "./value-at-risk";

export type Urgency = "routine" | "act" | "critical";

export interface PolicyState {
  markets: Record<string, MarketLevelState>;
  /** Per market, what the keeper's judgment remembers (absent in memories saved before it existed). */
  judgment?: Record<string, MarketJudgmentState>;
  /** The last Value at Risk report, reused until policy.valueAtRisk.everySeconds have passed. */
  valueAtRisk?: StoredValueAtRisk;
}

/** JSON-safe: persisted with the rest of the observer's memory. */
export interface MarketJudgmentState {
  /** Recent marks, for the market's speed (see rememberMark). */
  marks: MarkPoint[];
  /** Consecutive calm observations: no live danger, with hysteresis. */
  calm: number;
  /** The keeper raised a margin and has not yet stepped it back to the baseline. */
  raised: boolean;
  /** Where relaxation returns to (bps): the configured baseline, else the margins first observed. */
  baseline?: { imrBps: number; mmrBps: number };
  /** When governance was last warned that the book is fragile (cleared once it is not). */
  warnedAt?: number;
  /** Where cap relaxation returns to: the configured baselineCaps, else the caps first observed (18-decimal USD, as decimal strings). */
  capsBaseline?: { longCap: string; shortCap: string };
  /** A lending reserve's: where its LTV, threshold and borrow cap (whole tokens, a decimal string) relax to; governance's baselineReserve, else those first observed. */
  reserveBaseline?: { ltvBps: number; liquidationThresholdBps: number; borrowCap: string };
  /**
   * What the keeper itself cut and has not yet given back: only that is relaxed. A cap, an LTV or a
   * threshold below its baseline that the keeper did not cut is governance's, and stays.
   */
  cut?: { caps?: boolean; reserveRisk?: boolean; borrowCap?: boolean };
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
  reason: { metric: "svr" | "breakingShock" | "forecast" | "recovery" | "valueAtRisk"; level: Level; observed: number | null; threshold: number };
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
  /** Whether the danger is live (MMR and ADL allowed) or the book is at most fragile. */
  danger?: Danger;
  /** This market's tail figures (bad debt before and after the insurance fund) and whether they breach its limit. */
  valueAtRisk?: { loss: TailFigures; shortfall: TailFigures; breach: boolean };
}

export interface Plan {
  protocol: string;
  block: number;
  timestamp: number;
  markets: MarketReport[];
  actions: PlannedAction[];
  deferred: { market: string; reason: string }[];
  /** Warnings to governance, when due: a fragile book the keeper will not force positions out of. */
  warnings: GovernanceWarning[];
  evidence: Evidence;
  state: PolicyState;
  /** Value at Risk over sampled cascades (model, per protocol and market); absent when disabled. */
  valueAtRisk?: ValueAtRiskReport;
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
  const evidence = (): Evidence =>
    (memo ??= evidenceOf({
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
  const warnings: GovernanceWarning[] = [];
  const reports: MarketReport[] = [];
  const stored = currentValueAtRisk(risk, config.valueAtRisk, input.state.valueAtRisk);
  const state: PolicyState = stored ? { markets: {}, valueAtRisk: stored } : { markets: {} };
  const lendingBreached: { market: string; level: Level; targetShock: number; reason: PlannedAction["reason"] }[] = [];
  // A lending action's key names the values it sets: the same change within an epoch is one action.
  const reserveProvenance = (action: ActionRequest, validitySeconds: number): ActionProvenance => ({
    idempotencyKey: idempotencyKey(
      risk.protocol,
      action.market,
      action.kind,
      action.kind === "setReserveRisk" ? [action.ltvBps, action.liquidationThresholdBps, action.liquidationBonusBps] : action.kind === "setReserveCaps" ? [action.supplyCap, action.borrowCap] : [],
      epoch,
    ),
    evidenceHash: evidence().hash,
    validUntil: BigInt(snapshot.block.timestamp + validitySeconds),
  });
  /** Every lending reserve, and whether it has been fully healthy for as long as a relaxation waits. */
  const lendingRecovered: { market: string; recovered: boolean; svr: number | null; policy: MarketPolicy }[] = [];

  for (const market of risk.markets) {
    const policy = marketPolicy(config, market.id);
    const svr = metrics.markets[market.id]?.svr ?? null;
    const bs = breakingShock(marketSlice(risk, market.id));
    const shock = minShock(bs);
    const fc = forecastFor(input.history[market.id] ?? [], risk.timestamp, svr, policy);
    // A forecast fitted to a handful of observations is noise (three points of an ordinary hour "forecast" a breach).
    const forecastBreach = fc !== undefined && fc.observations >= policy.judgment.minForecastObservations && fc.breachProbability >= policy.forecast.maxBreachProbability;
    const tail = stored?.report.markets.find((m) => m.market === market.id);
    const varBreach = valueAtRiskBreach(policy.valueAtRisk, stored?.report, market.id, risk.insuranceFund);
    const observation = { svr, breakingShock: shock, forecastBreach, valueAtRiskBreach: varBreach };
    const step = stepLevel(input.state.markets[market.id] ?? INITIAL_LEVEL_STATE, observation, policy);
    state.markets[market.id] = step.state;
    reports.push({
      market: market.id,
      level: step.state.level,
      transition: step.transition,
      svr,
      breakingShock: { down: bs.down, up: bs.up },
      forecast: fc,
      valueAtRisk: tail && { loss: tail.loss, shortfall: tail.shortfall, breach: varBreach },
    });

    const onchain = snapshot.markets.find((m) => m.id === market.id);
    const bounds = snapshot.steward.bounds[market.id] ?? {};
    const prevJudgment = input.state.judgment?.[market.id];
    const dangerInput = {
      now: snapshot.block.timestamp,
      mark: market.mark,
      recent: prevJudgment?.marks ?? [],
      breakingShock: { down: bs.down, up: bs.up },
      svrAtAct: atLeast(levelOf({ svr, breakingShock: null, forecastBreach: false }, policy), "act"),
      forecastBreach,
    };
    const danger = assessDanger(dangerInput, policy.judgment);
    // Calm, with hysteresis: svr clear of act by the margin, and the mark further from breaking than the live bound by as much.
    const calm = !assessDanger(
      { ...dangerInput, svrAtAct: atLeast(levelOf({ svr, breakingShock: null, forecastBreach: false }, policy, policy.hysteresis), "act") },
      { ...policy.judgment, liveSecondsToBreak: policy.judgment.liveSecondsToBreak * (1 + policy.hysteresis) },
    ).live;
    const params = onchain?.params;
    const judgment: MarketJudgmentState = {
      marks: rememberMark(prevJudgment?.marks ?? [], snapshot.block.timestamp, market.mark, policy.judgment.lookbackSeconds),
      calm: calm ? (prevJudgment?.calm ?? 0) + 1 : 0,
      raised: prevJudgment?.raised ?? false,
      baseline: policy.baselineMargins ?? prevJudgment?.baseline ?? (params?.IMR !== undefined && params.MMR !== undefined ? { imrBps: Number(params.IMR), mmrBps: Number(params.MMR) } : undefined),
      warnedAt: shock !== null && shock >= policy.breakingShock.target ? undefined : prevJudgment?.warnedAt,
      capsBaseline: policy.baselineCaps
        ? { longCap: usdToWadFloor(policy.baselineCaps.longUsd).toString(), shortCap: usdToWadFloor(policy.baselineCaps.shortUsd).toString() }
        : (prevJudgment?.capsBaseline ??
          (params?.LONG_CAP !== undefined && params.SHORT_CAP !== undefined ? { longCap: params.LONG_CAP.toString(), shortCap: params.SHORT_CAP.toString() } : undefined)),
      cut: prevJudgment?.cut && { ...prevJudgment.cut },
      reserveBaseline: policy.baselineReserve
        ? { ...policy.baselineReserve, borrowCap: String(policy.baselineReserve.borrowCap) }
        : (prevJudgment?.reserveBaseline ??
          (params?.LTV !== undefined && params.LIQ_THRESHOLD !== undefined
            ? { ltvBps: Number(params.LTV), liquidationThresholdBps: Number(params.LIQ_THRESHOLD), borrowCap: (params.BORROW_CAP ?? 0n).toString() }
            : undefined)),
    };
    if (params?.LTV !== undefined) lendingRecovered.push({ market: market.id, recovered: step.state.healthy >= policy.recoveryObservations, svr, policy });
    (state.judgment ??= {})[market.id] = judgment;
    reports[reports.length - 1].danger = danger;
    if (!onchain) continue;
    const level = step.state.level;
    const varLimit =
      varBreach && policy.valueAtRisk
        ? { observed: limitedFigure(policy.valueAtRisk, stored?.report, market.id) ?? null, threshold: policy.valueAtRisk.maxInsuranceMultiple * risk.insuranceFund }
        : undefined;
    const reason = reasonFor(observation, policy, level, varLimit);
    const urgency: Urgency = level === "critical" ? "critical" : "act";
    // Valid for a few blocks when urgent: landing later, it would act on stale evidence.
    const provenance = (kind: string, target: unknown, u: Urgency = urgency): ActionProvenance => ({
      idempotencyKey: idempotencyKey(risk.protocol, market.id, kind, target, epoch),
      evidenceHash: evidence().hash,
      validUntil: BigInt(snapshot.block.timestamp + (u === "routine" ? policy.routineValiditySeconds : policy.urgentValiditySeconds)),
    });
    // Nothing at all while frozen (a relaxation too): every call would fail, and the key it holds would delay the first action after unfreeze.
    if (snapshot.steward.frozen) {
      deferred.push({ market: market.id, reason: "the steward is frozen by governance" });
      continue;
    }
    const hasMargins = onchain.params.IMR !== undefined && onchain.params.MMR !== undefined;
    const ctx: MarginContext | undefined = hasMargins ? { snapshot: risk, market, imrBps: onchain.params.IMR, mmrBps: onchain.params.MMR, bounds, policy, now: snapshot.block.timestamp } : undefined;

    if (atLeast(level, "act")) {
      if (!ctx) {
        if (snapshot.lendingBook && onchain.params.LTV !== undefined) lendingBreached.push({ market: market.id, level, targetShock: policy.breakingShock.target, reason });
        else deferred.push({ market: market.id, reason: `at ${level}, but this adapter exposes no margin parameters the policy can move` });
        continue;
      }
      const fragile = shock !== null && shock < policy.breakingShock.target;
      // Levers in order of harm. IMR (and caps, below) bind only new risk: the IMR keeps a new position
      // from breaking sooner than the book already does (see imrForNewRisk), the caps stop growth.
      const imr = planImrRaise(ctx, shock);
      if (imr && "defer" in imr) deferred.push({ market: market.id, reason: imr.defer });
      // MMR forces existing positions out: only against live danger, and only through the cost–benefit gate.
      let mmr: MmrDecision = { status: "none" };
      if (fragile && danger.live) {
        mmr = planMmrRaise(ctx, danger.direction ?? weakerSide(bs), projectedMove(danger, policy.judgment));
        if (mmr.status === "gated" || mmr.status === "defer") deferred.push({ market: market.id, reason: mmr.reason });
      }
      const margins = composeMargins(ctx, imr && "imrBps" in imr ? imr.imrBps : undefined, mmr.status === "change" ? mmr.mmrBps : undefined);
      if (margins) {
        const raisedMmr = margins.mmrBps > ctx.mmrBps && mmr.status === "change" ? mmr : undefined;
        actions.push({
          action: { kind: "setMarginRatios", market: market.id, imrBps: margins.imrBps, mmrBps: margins.mmrBps, expected: { imrBps: ctx.imrBps, mmrBps: ctx.mmrBps } },
          urgency,
          reason,
          expected: raisedMmr ? { metric: "breakingShock", before: raisedMmr.breakingShockBefore, after: raisedMmr.breakingShockAfter } : { metric: "breakingShock", before: shock, after: shock },
          note: raisedMmr
            ? `${danger.reason}; ${raisedMmr.note}`
            : `IMR ${margins.imrBps} bps: an opening at the highest leverage it allows breaks no sooner than the book already does; existing positions untouched`,
          provenance: provenance("setMarginRatios", [margins.imrBps, margins.mmrBps]),
        });
        judgment.raised = true;
      }
      if (fragile && mmr.status !== "change") {
        const due = judgment.warnedAt === undefined || snapshot.block.timestamp - judgment.warnedAt >= WARNING_REPEAT_SECONDS;
        if (due) {
          const why = danger.live ? (mmr.status === "gated" || mmr.status === "defer" ? mmr.reason : "no MMR raise planned") : `the market is calm (${danger.reason})`;
          const limit = bounds.MMR?.max ?? BigInt(policy.maxMmrBps);
          warnings.push(fragileBookWarning({ snapshot: risk, market, breakingShock: bs, targetShock: policy.breakingShock.target, fix: mmrFix(ctx, limit), why }));
          judgment.warnedAt = snapshot.block.timestamp;
        }
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
            action: {
              kind: "setOpenInterestCaps",
              market: market.id,
              longCap: caps.longCap,
              shortCap: caps.shortCap,
              expected: { longCap: onchain.params.LONG_CAP, shortCap: onchain.params.SHORT_CAP },
            },
            urgency,
            reason,
            expected: { metric: "svr", before: svr, after: svr },
            note: caps.note,
            provenance: provenance("setOpenInterestCaps", [caps.longCap, caps.shortCap]),
          });
          (judgment.cut ??= {}).caps = true;
        } else if (caps.status === "defer") deferred.push({ market: market.id, reason: caps.reason });
      }
    }
    // ADL takes profit from winners: the last resort, against live danger only.
    // ADL sizes positions onto the svr target, so it answers svr itself being critical, not a breaking shock.
    const svrCritical = levelOf({ svr, breakingShock: null, forecastBreach: false }, policy) === "critical";
    if (level === "critical" && svrCritical && danger.live && svr !== null && svr < policy.svr.target) {
      const limits = snapshot.steward.deleverage[market.id];
      if (!limits || limits.maxPerCall === 0n || limits.available === 0n)
        deferred.push({ market: market.id, reason: limits?.maxPerCall ? "the market's rolling deleverage budget is spent" : "the steward allows no deleveraging" });
      else {
        const adl = planAdl(
          market,
          risk.positions.filter((p) => p.market === market.id),
          policy.svr.target,
          policy.adlUpperSvr,
          snapshot.positionSizes,
        );
        if (adl.status === "defer") deferred.push({ market: market.id, reason: adl.reason });
        if (adl.status === "change") {
          chunkByNotional(adl.picks, limits.maxPerCall, market.mark, snapshot.positionSizes, limits.available).forEach((reductions, chunk) => {
            actions.push({
              action: { kind: "deleverage", market: market.id, reductions },
              urgency: "critical",
              reason,
              expected: { metric: "svr", before: adl.svrBefore, after: adl.svrAfter },
              note: `${adl.note} (call ${chunk + 1})`,
              provenance: provenance("deleverage", [chunk, reductions.map((r) => [r.positionId, r.sizeDelta])], "critical"),
            });
          });
        }
      }
    }
    // Recovery is judged on what a raise responded to (live danger), not on the static fragility,
    // which margins cannot cure and which governance has been warned about.
    const plannedMargins = actions.some((a) => a.action.market === market.id && a.action.kind === "setMarginRatios");
    if (ctx && judgment.raised && !plannedMargins && judgment.calm >= policy.recoveryObservations) {
      const baseline = { imrBps: BigInt(judgment.baseline!.imrBps), mmrBps: BigInt(judgment.baseline!.mmrBps) };
      // While at act the IMR keeps what new risk needs (else the next observation would raise it again).
      const newRisk = atLeast(level, "act") ? imrForNewRisk(ctx, shock) : 0n;
      const d = planMarginRelax(ctx, baseline, newRisk);
      if (d.status === "none" && ctx.mmrBps <= baseline.mmrBps && ctx.imrBps <= maxBig(baseline.imrBps, newRisk)) judgment.raised = false;
      if (d.status === "change") {
        actions.push({
          action: { kind: "setMarginRatios", market: market.id, imrBps: d.imrBps, mmrBps: d.mmrBps, expected: { imrBps: ctx.imrBps, mmrBps: ctx.mmrBps } },
          urgency: "routine",
          reason: { metric: "recovery", level, observed: svr, threshold: policy.svr.act },
          expected: { metric: "breakingShock", before: d.breakingShockBefore, after: d.breakingShockAfter },
          note: d.note,
          provenance: provenance("setMarginRatios", [d.imrBps, d.mmrBps], "routine"),
        });
      }
    }
    // Caps answered the book's fragility (the act level), so they come back once the market has been
    // fully healthy for as long as a margin relaxation waits: not before, or the next observation cuts again.
    const caps = { longCap: onchain.params.LONG_CAP, shortCap: onchain.params.SHORT_CAP };
    const capsBaseline = judgment.capsBaseline && { longCap: BigInt(judgment.capsBaseline.longCap), shortCap: BigInt(judgment.capsBaseline.shortCap) };
    const cutCapsNow = actions.some((a) => a.action.market === market.id && a.action.kind === "setOpenInterestCaps");
    // Given back in full (or never landed): caps at the baseline are no longer the keeper's to relax.
    if (judgment.cut?.caps && !cutCapsNow && capsBaseline && caps.longCap !== undefined && caps.shortCap !== undefined) {
      if (caps.longCap >= capsBaseline.longCap && caps.shortCap >= capsBaseline.shortCap) judgment.cut.caps = false;
    }
    if (judgment.cut?.caps && capsBaseline && caps.longCap !== undefined && caps.shortCap !== undefined && step.state.healthy >= policy.recoveryObservations) {
      const d = planCapRelax({ longCap: caps.longCap, shortCap: caps.shortCap }, capsBaseline, bounds, snapshot.block.timestamp);
      if (d.status === "change")
        actions.push({
          action: { kind: "setOpenInterestCaps", market: market.id, longCap: d.longCap, shortCap: d.shortCap, expected: { longCap: caps.longCap, shortCap: caps.shortCap } },
          urgency: "routine",
          reason: { metric: "recovery", level, observed: svr, threshold: policy.svr.target },
          expected: { metric: "svr", before: svr, after: svr },
          note: d.note,
          provenance: provenance("setOpenInterestCaps", [d.longCap, d.shortCap], "routine"),
        });
    }
  }
  if (lendingBreached.length && snapshot.lendingBook) {
    // A threshold cut needs live danger on the collateral: its mark falling toward where its borrowers leave bad debt.
    const danger = (reserve: string, cushion: number) => {
      const mark = risk.markets.find((m) => m.id === reserve)?.mark;
      if (mark === undefined) return { live: false as const, reason: `no mark for ${reserve}` };
      const recent = input.state.judgment?.[reserve]?.marks ?? [];
      return assessDanger({ now: snapshot.block.timestamp, mark, recent, breakingShock: { down: cushion, up: null }, svrAtAct: false, forecastBreach: false }, marketPolicy(config, reserve).judgment);
    };
    const lending = planLending({
      book: snapshot.lendingBook,
      breached: lendingBreached,
      reserves: reserveParams(snapshot),
      bounds: snapshot.steward.bounds,
      now: snapshot.block.timestamp,
      risk,
      danger,
      minAvoidedPerForced: config.defaults.judgment.minAvoidedBadDebtPerForcedNotional,
    });
    deferred.push(...lending.deferred);
    for (const d of lending.decisions) {
      const cut = state.judgment?.[d.action.market] && (state.judgment[d.action.market].cut ??= {});
      if (cut && d.action.kind === "setReserveRisk") cut.reserveRisk = true;
      if (cut && d.action.kind === "setReserveCaps") cut.borrowCap = true;
      const why = lendingBreached.find((b) => b.market === d.forMarket)!;
      const policy = marketPolicy(config, d.forMarket);
      actions.push({
        action: d.action,
        urgency: d.level === "critical" ? "critical" : "act",
        reason: why.reason,
        expected: { metric: "breakingShock", before: d.before, after: d.after },
        note: d.note,
        provenance: reserveProvenance(d.action, policy.urgentValiditySeconds),
      });
    }
  }
  // What the keeper cut on a lending book comes back reserve by reserve, once the reserves each cut
  // answered have been fully healthy for as long as a margin relaxation waits.
  if (snapshot.lendingBook && !snapshot.steward.frozen && lendingRecovered.some((r) => state.judgment?.[r.market]?.cut)) {
    const reserves = reserveParams(snapshot);
    const levers = recoveredLevers(snapshot.lendingBook, new Map(lendingRecovered.map((r) => [r.market, r.recovered])));
    for (const { market, svr, policy } of lendingRecovered) {
      const judgment = state.judgment?.[market];
      const base = judgment?.reserveBaseline;
      const params = reserves[market];
      if (!judgment?.cut || !base || !params) continue;
      const baseline = { ltvBps: BigInt(base.ltvBps), liquidationThresholdBps: BigInt(base.liquidationThresholdBps), borrowCap: BigInt(base.borrowCap) };
      // Given back (or never landed): what is at its baseline is no longer the keeper's to relax.
      const cutNow = new Set(actions.filter((a) => a.action.market === market).map((a) => a.action.kind));
      if (judgment.cut.reserveRisk && !cutNow.has("setReserveRisk") && params.ltvBps >= baseline.ltvBps && params.liquidationThresholdBps >= baseline.liquidationThresholdBps)
        judgment.cut.reserveRisk = false;
      if (judgment.cut.borrowCap && !cutNow.has("setReserveCaps") && (params.borrowCap === 0n || params.borrowCap >= baseline.borrowCap)) judgment.cut.borrowCap = false;
      const may = levers.get(market);
      const allowed = { risk: !!(may?.risk && judgment.cut.reserveRisk), borrowCap: !!(may?.borrowCap && judgment.cut.borrowCap) };
      if (!allowed.risk && !allowed.borrowCap) continue;
      for (const { action, note } of planReserveRelax(market, params, baseline, snapshot.steward.bounds[market] ?? {}, snapshot.block.timestamp, allowed)) {
        actions.push({
          action,
          urgency: "routine",
          reason: { metric: "recovery", level: "ok", observed: svr, threshold: policy.svr.target },
          expected: { metric: "svr", before: svr, after: svr },
          note,
          provenance: reserveProvenance(action, policy.routineValiditySeconds),
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
    warnings,
    get evidence() {
      return evidence();
    },
    state,
    valueAtRisk: stored?.report,
  };
}

function forecastFor(history: SvrObservation[], t: number, svr: number | null, p: MarketPolicy): Forecast | undefined {
  if (svr === null || svr <= 0) return undefined;
  const series = [...history.filter((o) => o.t < t), { t, svr }];
  if (series.length < 3) return undefined;
  return forecast(series, { threshold: p.svr.act, horizon: p.forecast.horizonSeconds, window: p.forecast.window });
}

function reasonFor(
  o: { svr: number | null; breakingShock: number | null; forecastBreach: boolean },
  p: MarketPolicy,
  level: Level,
  valueAtRisk?: { observed: number | null; threshold: number },
): PlannedAction["reason"] {
  const svrLevel = levelOf({ svr: o.svr, breakingShock: null, forecastBreach: false }, p);
  const bsLevel = levelOf({ svr: null, breakingShock: o.breakingShock, forecastBreach: false }, p);
  const key = level === "ok" ? "act" : level === "warn" ? "warn" : level;
  // The confirmed level can trail the observed one (a worse level not yet confirmed): name the metric that is at least there.
  if (atLeast(svrLevel, level)) return { metric: "svr", level, observed: o.svr, threshold: p.svr[key] };
  if (atLeast(bsLevel, level)) return { metric: "breakingShock", level, observed: o.breakingShock, threshold: p.breakingShock[key] };
  if (valueAtRisk && p.valueAtRisk && atLeast(p.valueAtRisk.level, level)) return { metric: "valueAtRisk", level, ...valueAtRisk };
  return { metric: "forecast", level, observed: o.svr, threshold: p.svr.act };
}

/** The side the book breaks on first. */
function weakerSide(bs: { down: number | null; up: number | null }): Direction {
  return bs.up === null || (bs.down !== null && bs.down <= bs.up) ? "down" : "up";
}

function maxBig(a: bigint, b: bigint): bigint {
  return a > b ? a : b;
}

/** A lending protocol's reserves' on-chain parameters, for the lending planner. */
function reserveParams(snapshot: ProtocolSnapshot): Record<string, ReserveParams> {
  const out: Record<string, ReserveParams> = {};
  for (const m of snapshot.markets) {
    const p = m.params;
    if (p.LTV === undefined || p.LIQ_THRESHOLD === undefined || p.LIQ_BONUS === undefined) continue;
    out[m.id] = {
      ltvBps: p.LTV,
      liquidationThresholdBps: p.LIQ_THRESHOLD,
      liquidationBonusBps: p.LIQ_BONUS,
      supplyCap: p.SUPPLY_CAP ?? 0n,
      borrowCap: p.BORROW_CAP ?? 0n,
      debt: p.DEBT ?? 0n,
      decimals: Number(p.DECIMALS ?? 0n),
    };
  }
  return out;
}
