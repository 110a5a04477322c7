import type { ParamBounds } from "../domain/protocol-state";
import type { ActionRequest } from "./actions";
import type { Level } from "./levels";
import { MIN_CAP_CUT } from "./caps";
import { cooldownLeft, loosenToward, tightenLimit } from "./units";
import type { Danger } from "./danger";
import { runScenario, settleAaveAccounts, type ShockVector, type Snapshot } from "../risk";

export type { LendingAccount, LendingBook, LendingCollateral } from "../domain/lending-book";
import type { LendingAccount, LendingBook, LendingCollateral } from "../domain/lending-book";

/** A reserve's current risk parameters and caps, exactly as read on-chain. */
export interface ReserveParams {
  ltvBps: bigint;
  liquidationThresholdBps: bigint;
  liquidationBonusBps: bigint;
  supplyCap: bigint;
  borrowCap: bigint;
  /** Current total debt, in the token's smallest unit, and the token's decimals (caps are whole tokens). */
  debt: bigint;
  decimals: number;
}

/** Aave V3.0: below this health factor a liquidation may repay all of the debt, above it half. */
export const CLOSE_FACTOR_HF_THRESHOLD = 0.95;
const DEFAULT_CLOSE_FACTOR = 0.5;
/** A collateral reserve backing less than this share of a breached market's debt is not moved for it. */
export const MIN_BACKING_SHARE = 0.01;

export interface LendingContext {
  book: LendingBook;
  /**
   * Markets (debt reserves) at act or worse, with their confirmed level and the move (fraction) their
   * book must survive without bad debt (the policy's breakingShock.target).
   */
  breached: { market: string; level: Level; targetShock: number }[];
  reserves: Record<string, ReserveParams>;
  bounds: Record<string, Record<string, ParamBounds>>;
  now: number;
  /** The protocol's snapshot for the account engine (accounts and lending parameters): a threshold cut is costed on it. */
  risk?: Snapshot;
  /**
   * Is the danger to a collateral reserve live, given how far (`cushion`, a fraction) its price may
   * fall before its borrowers leave bad debt? A threshold cut forces borrowers out now: only
   * against live danger, as an MMR raise (./danger.ts). Absent: never live.
   */
  danger?: (reserve: string, cushion: number) => Danger;
  /** The gate's bar (see DEFAULT_MIN_AVOIDED_PER_FORCED). */
  minAvoidedPerForced?: number;
}

export interface LendingDecision {
  action: ActionRequest;
  /** The breached market whose level called for it. */
  forMarket: string;
  level: Level;
  /** The collateral reserve's breaking shock before and after (null: nothing breaks). */
  before: number | null;
  after: number | null;
  note: string;
}

export interface LendingPlan {
  decisions: LendingDecision[];
  deferred: { market: string; reason: string }[];
}

/**
 * Lending levers in order of harm (SPEC §2): an LTV cut and a borrow-cap cut bind only new borrowing;
 * a lower liquidation threshold forces existing borrowers out, a lever like an MMR raise, so it is
 * reached for only at `critical`, only against live danger on the collateral, and only through the
 * same kind of gate: the bad debt it avoids at the projected move (the account engine's cascade,
 * before and after the cut's own liquidations) against its cost, the debt it forces out now or
 * beyond what the move would liquidate anyway, whichever is larger (see ThresholdCut). LTV and cap
 * cuts are the smallest that restore the target, within the steward's step.
 *
 * Supply caps are left alone: cutting one also stops a borrower near liquidation from adding
 * collateral to save the position, and the LTV cut already stops new borrowing against it.
 * The bonus is not raised: in this model (a crash is a gap, collateral seized at the gapped price)
 * a higher bonus seizes more from each borrower and brings bad debt sooner; it pays liquidators for
 * slippage, which the book alone cannot show is the binding problem.
 */
export function planLending(ctx: LendingContext): LendingPlan {
  const decisions: LendingDecision[] = [];
  const deferred: LendingPlan["deferred"] = [];
  const worst = new Map<string, { level: Level; forMarket: string; targetShock: number }>();

  for (const { market, level, targetShock } of ctx.breached) {
    const caps = planBorrowCapCut(market, ctx);
    if (caps.status === "change") decisions.push({ action: caps.action, forMarket: market, level, before: null, after: null, note: caps.note });
    else if (caps.status === "defer") deferred.push({ market, reason: caps.reason });
    for (const c of backingOf(ctx.book, market)) {
      const prev = worst.get(c);
      if (!prev || (level === "critical" && prev.level !== "critical") || (level === prev.level && targetShock > prev.targetShock)) worst.set(c, { level, forMarket: market, targetShock });
    }
  }

  for (const [collateral, { level, forMarket, targetShock }] of [...worst.entries()].sort(([a], [b]) => (a < b ? -1 : 1))) {
    const params = ctx.reserves[collateral];
    const bounds = ctx.bounds[collateral] ?? {};
    if (!params || params.liquidationThresholdBps === 0n) continue;
    const d = planReserveRisk(collateral, params, bounds, level, targetShock, ctx);
    if (d.status === "change") {
      decisions.push({ ...d.decision, forMarket, level });
      if (d.alsoDeferred) deferred.push({ market: collateral, reason: d.alsoDeferred });
    } else if (d.status === "defer") deferred.push({ market: collateral, reason: d.reason });
  }
  return { decisions, deferred };
}

/** Collateral reserves backing at least MIN_BACKING_SHARE of `market`'s debt, by value. */
export function backingOf(book: LendingBook, market: string): string[] {
  const value = new Map<string, number>();
  let total = 0;
  for (const a of book.accounts) {
    const owed = a.debt.find((d) => d.reserve === market)?.usd ?? 0;
    if (owed <= 0) continue;
    const collateral = a.collateral.reduce((s, c) => s + c.usd, 0);
    if (collateral <= 0) continue;
    for (const c of a.collateral) {
      const v = (c.usd / collateral) * owed;
      value.set(c.reserve, (value.get(c.reserve) ?? 0) + v);
      total += v;
    }
  }
  return [...value.entries()].filter(([, v]) => total > 0 && v / total >= MIN_BACKING_SHARE).map(([r]) => r);
}

/** The borrow cap (whole tokens) comes down to today's debt, no further than the steward's step; small cuts are not sent. */
function planBorrowCapCut(market: string, ctx: LendingContext): { status: "change"; action: ActionRequest; note: string } | { status: "defer"; reason: string } | { status: "none" } {
  const p = ctx.reserves[market];
  const b = ctx.bounds[market]?.BORROW_CAP;
  if (!p) return { status: "none" };
  if (p.borrowCap === 0n) return { status: "defer", reason: "the borrow cap is unset (0 means unlimited on Aave): only governance can set a first cap" };
  if (!b) return { status: "defer", reason: "the steward has no bounds for the borrow cap" };
  const wait = cooldownLeft(b, true, ctx.now);
  if (wait > 0) return { status: "defer", reason: `the steward's tightening delay for the borrow cap has ${wait}s left` };
  const debtTokens = p.debt / 10n ** BigInt(p.decimals); // rounded down: the cap binds at or below today's debt
  const cap = p.borrowCap;
  if (debtTokens >= cap || cap - debtTokens <= (cap * BigInt(Math.round(MIN_CAP_CUT * 10_000))) / 10_000n) return { status: "none" };
  const limit = tightenLimit(cap, b, false);
  let next = debtTokens > limit ? debtTokens : limit;
  if (next < 1n) next = 1n; // a cap of 0 would lift it on Aave
  if (next >= cap) return { status: "none" };
  return {
    status: "change",
    action: { kind: "setReserveCaps", market, supplyCap: p.supplyCap, borrowCap: next, expected: { supplyCap: p.supplyCap, borrowCap: p.borrowCap } },
    note: next === debtTokens ? "borrow cap lowered to today's debt: no new borrowing" : `borrow cap lowered toward today's debt (${debtTokens}), as far as one steward step allows`,
  };
}

/** Where a reserve's relaxation returns to: governance's values (baselineReserve), else those the keeper first observed. */
export interface ReserveBaseline {
  ltvBps: bigint;
  liquidationThresholdBps: bigint;
  /** Whole tokens; 0 (unlimited on Aave) is never relaxed toward: the keeper cannot cut an unset cap, so it has nothing to give back. */
  borrowCap: bigint;
}

/**
 * After a recovery (the caller decides which of its levers may come back, see recoveredLevers): the
 * levers the keeper pulls on a reserve — its LTV and threshold, its borrow cap — each one loosening
 * step back toward the baseline, never past it, as soon as the steward's loosening delay for that
 * parameter allows. Cut and left down, an LTV turns borrowers away and a threshold keeps their health
 * lower for good. The threshold leads: Aave needs LTV ≤ threshold, and threshold × bonus ≤ 100 %.
 */
export function planReserveRelax(
  reserve: string,
  p: ReserveParams,
  baseline: ReserveBaseline,
  bounds: Record<string, ParamBounds>,
  now: number,
  levers: { risk: boolean; borrowCap: boolean },
): { action: ActionRequest; note: string }[] {
  const back = (value: bigint, to: bigint, b: ParamBounds | undefined) => loosenToward(value, to, b, true, now);
  const out: { action: ActionRequest; note: string }[] = [];
  if (levers.risk) {
    const bonusCeiling = (10_000n * 10_000n) / (p.liquidationBonusBps > 0n ? p.liquidationBonusBps : 10_000n);
    let lt = back(p.liquidationThresholdBps, baseline.liquidationThresholdBps, bounds.LIQ_THRESHOLD);
    if (lt > bonusCeiling) lt = bonusCeiling > p.liquidationThresholdBps ? bonusCeiling : p.liquidationThresholdBps;
    let ltv = back(p.ltvBps, baseline.ltvBps, bounds.LTV);
    if (ltv > lt) ltv = lt > p.ltvBps ? lt : p.ltvBps;
    if (ltv !== p.ltvBps || lt !== p.liquidationThresholdBps)
      out.push({
        action: reserveRiskAction(reserve, p, ltv, lt),
        note: `recovered: LTV ${p.ltvBps} → ${ltv} bps, threshold ${p.liquidationThresholdBps} → ${lt} bps, one loosening step toward ${baseline.ltvBps} / ${baseline.liquidationThresholdBps}`,
      });
  }
  const borrowCap = levers.borrowCap && p.borrowCap > 0n && baseline.borrowCap > 0n ? back(p.borrowCap, baseline.borrowCap, bounds.BORROW_CAP) : p.borrowCap;
  if (borrowCap !== p.borrowCap)
    out.push({
      action: { kind: "setReserveCaps", market: reserve, supplyCap: p.supplyCap, borrowCap, expected: { supplyCap: p.supplyCap, borrowCap: p.borrowCap } },
      note: `recovered: borrow cap ${p.borrowCap} → ${borrowCap}, one loosening step toward ${baseline.borrowCap}`,
    });
  return out;
}

/**
 * Which of each reserve's levers may come back: the levers a cut pulled answered particular
 * reserves, so each waits for those to recover. A borrow cap was cut for its own reserve; a
 * collateral's LTV and threshold for the debt markets it backs (backingOf), so it waits for them and
 * for itself. One reserve that stays fragile keeps only what was cut on its account.
 */
export function recoveredLevers(book: LendingBook, recovered: ReadonlyMap<string, boolean>): Map<string, { risk: boolean; borrowCap: boolean }> {
  const risk = new Map(recovered);
  for (const [market, ok] of recovered) {
    if (ok) continue;
    for (const c of backingOf(book, market)) risk.set(c, false);
  }
  return new Map([...recovered].map(([r, ok]) => [r, { risk: risk.get(r) ?? false, borrowCap: ok }]));
}

/** A reserve's LTV and threshold set to new values, its bonus kept. */
function reserveRiskAction(reserve: string, p: ReserveParams, ltvBps: bigint, liquidationThresholdBps: bigint): ActionRequest {
  return {
    kind: "setReserveRisk",
    market: reserve,
    ltvBps,
    liquidationThresholdBps,
    liquidationBonusBps: p.liquidationBonusBps,
    // Compare-and-set: the steward refuses the update if any of these has moved since the observation.
    expected: { ltvBps: p.ltvBps, liquidationThresholdBps: p.liquidationThresholdBps, liquidationBonusBps: p.liquidationBonusBps },
  };
}

/** A change may come with a lever it could not pull (an LTV cut sent, a threshold cut refused by the gate). */
type RiskDecision = { status: "change"; decision: Omit<LendingDecision, "forMarket" | "level">; alsoDeferred?: string } | { status: "defer"; reason: string } | { status: "none" };

function planReserveRisk(reserve: string, p: ReserveParams, bounds: Record<string, ParamBounds>, level: Level, targetShock: number, ctx: LendingContext): RiskDecision {
  const bonus = Number(p.liquidationBonusBps) / 10_000;
  const reasons: string[] = [];
  let ltv = p.ltvBps;
  let lt = p.liquidationThresholdBps;
  const notes: string[] = [];

  // 1. LTV: a loan opened at the maximum LTV survives the target move without bad debt once liquidated at the gapped price.
  const ltvB = bounds.LTV;
  const wanted = BigInt(Math.floor(((1 - targetShock) / bonus) * 10_000 + 1e-9));
  if (wanted < ltv) {
    if (!ltvB) reasons.push("the steward has no bounds for LTV");
    else if (cooldownLeft(ltvB, true, ctx.now) > 0) reasons.push(`the steward's tightening delay for LTV has ${cooldownLeft(ltvB, true, ctx.now)}s left`);
    else {
      const limit = tightenLimit(ltv, ltvB, false);
      const next = wanted > limit ? wanted : limit;
      if (next < ltv) {
        notes.push(next === wanted ? `LTV to ${next} bps: a loan at the maximum survives a ${targetShock} move` : `LTV toward ${wanted} bps, ${next} as far as one steward step allows`);
        ltv = next;
      }
    }
  }

  // 2. Only at critical, against live danger, the threshold, gated by the liquidations it forces.
  // The breaking shock shown is judged on the book liquidators leave: accounts already under 1 go whatever the threshold.
  const shockAt = (v: bigint) => reserveBreakingShock(liquidateUnder(ctx.book, reserve, Number(v) / 10_000, { alsoAlreadyLiquidatable: true }), reserve);
  const before = shockAt(lt);
  let after = before;
  if (level === "critical" && before !== null && before < targetShock) {
    const ltB = bounds.LIQ_THRESHOLD;
    const danger = ctx.danger?.(reserve, before);
    if (!ltB) reasons.push("the steward has no bounds for the liquidation threshold");
    else if (cooldownLeft(ltB, true, ctx.now) > 0) reasons.push(`the steward's tightening delay for the threshold has ${cooldownLeft(ltB, true, ctx.now)}s left`);
    else if (!ctx.risk) reasons.push("no account book for the risk engine to cost a threshold cut on");
    else if (!danger?.live) reasons.push(`no threshold cut: the book is fragile but the danger is not live (${danger?.reason ?? "no market speed to judge it by"})`);
    else {
      // Aave requires LTV ≤ threshold: where the LTV cannot come down with it, the threshold stops at the LTV.
      const ltvFloor = ltvB && cooldownLeft(ltvB, true, ctx.now) === 0 ? tightenLimit(p.ltvBps, ltvB, false) : p.ltvBps;
      let floor = tightenLimit(lt, ltB, false);
      if (floor < ltvFloor) floor = ltvFloor;
      const cut = floor < lt ? bestThresholdCut(ctx.risk, ctx.book, reserve, lt, floor, targetShock, ctx.minAvoidedPerForced ?? DEFAULT_MIN_AVOIDED_PER_FORCED) : undefined;
      if (!cut) reasons.push("the steward's step leaves no room to lower the threshold");
      else if ("fail" in cut) reasons.push(`no threshold cut passes the gate: ${describeThresholdCut(cut.fail)}`);
      else {
        notes.push(`threshold to ${cut.pass.ltBps} bps: ${describeThresholdCut(cut.pass)}`);
        lt = cut.pass.ltBps;
        if (ltv > lt) ltv = lt;
        after = shockAt(lt);
      }
    }
  }
  if (ltv === p.ltvBps && lt === p.liquidationThresholdBps) return reasons.length ? { status: "defer", reason: reasons.join("; ") } : { status: "none" };
  return {
    status: "change",
    decision: {
      action: reserveRiskAction(reserve, p, ltv, lt),
      before,
      after,
      note: notes.join("; "),
    },
    alsoDeferred: reasons.length ? reasons.join("; ") : undefined,
  };
}

/**
 * The smallest fall of `reserve`'s price that leaves bad debt on some account (a crash is a gap:
 * an account is liquidated at the gapped price, and the liquidator takes collateral worth debt ×
 * bonus; what the collateral cannot cover is bad debt). Other prices hold. null: no fall breaks it.
 */
export function reserveBreakingShock(book: LendingBook, reserve: string): number | null {
  let min: number | null = null;
  for (const a of book.accounts) {
    const s = accountBreakingShock(a, reserve);
    if (s !== null && (min === null || s < min)) min = s;
  }
  return min;
}

function accountBreakingShock(a: LendingAccount, reserve: string): number | null {
  const debt = a.debt.reduce((s, d) => s + d.usd, 0);
  if (debt <= 0) return null;
  let capacity = 0; // collateral ÷ bonus: the debt a liquidator can be paid for
  let exposed = 0; // the part of it that falls with the reserve
  for (const c of a.collateral) {
    capacity += c.usd / c.liquidationBonus;
    if (c.reserve === reserve) exposed += c.usd / c.liquidationBonus;
  }
  const sameDebt = a.debt.find((d) => d.reserve === reserve)?.usd ?? 0;
  const slope = exposed - sameDebt; // how fast capacity − debt falls per unit of shock
  if (slope <= 0) return null;
  const room = capacity - debt;
  if (room <= 0) return 0;
  const s = room / slope;
  return s >= 1 ? null : s;
}

/** Health factor of an account with `reserve`'s own threshold replaced by `lt` (undefined: as it is today). */
export function healthWith(a: LendingAccount, reserve: string, lt?: number): number {
  const debt = a.debt.reduce((s, d) => s + d.usd, 0);
  if (debt <= 0) return Infinity;
  let weighted = 0;
  for (const c of a.collateral) weighted += c.usd * (lt !== undefined && c.reserve === reserve && c.reserveGoverned ? lt : c.liquidationThreshold);
  return weighted / debt;
}

/**
 * The book after every account that a threshold of `lt` on `reserve` puts under health factor 1
 * (and that was not under it already) is liquidated once at today's prices, at Aave's close factor,
 * the liquidator seizing `reserve` first at its bonus.
 */
export function liquidateUnder(book: LendingBook, reserve: string, lt: number, opts: { alsoAlreadyLiquidatable?: boolean } = {}): LendingBook {
  return {
    accounts: book.accounts.map((a) => {
      const hf = healthWith(a, reserve, lt);
      const holds = a.collateral.some((c) => c.reserve === reserve);
      if (!holds || hf >= 1) return a;
      if (!opts.alsoAlreadyLiquidatable && healthWith(a, reserve) < 1) return a; // not the cut's doing
      const debt = a.debt.reduce((s, d) => s + d.usd, 0);
      const repaid = debt * (hf < CLOSE_FACTOR_HF_THRESHOLD ? 1 : DEFAULT_CLOSE_FACTOR);
      let toSeize = repaid * (a.collateral.find((c) => c.reserve === reserve)?.liquidationBonus ?? 1);
      const order = [...a.collateral].sort((x, y) => (x.reserve === reserve ? -1 : y.reserve === reserve ? 1 : 0));
      const seizedFrom = new Map<LendingCollateral, number>();
      for (const c of order) {
        const take = Math.min(c.usd, toSeize);
        seizedFrom.set(c, take);
        toSeize -= take;
      }
      const share = 1 - repaid / debt;
      return {
        ...a,
        collateral: a.collateral.map((c) => ({ ...c, usd: c.usd - (seizedFrom.get(c) ?? 0) })),
        debt: a.debt.map((d) => ({ ...d, usd: d.usd * share })),
      };
    }),
  };
}

/**
 * What a threshold cut on one reserve buys and what it costs, by the account engine (exact Aave
 * rules, src/risk/accounts): the cut liquidates now, at today's prices, every borrower it puts
 * under health factor 1; the projected move (see projectedMove) then comes on the book those
 * liquidations leave. USD throughout.
 */
export interface ThresholdCut {
  ltBps: bigint;
  /** Debt the cut sends to liquidation now, beyond what is liquidatable today anyway. */
  forcedNowUsd: number;
  forcedAccounts: string[];
  /** Bad debt those liquidations leave now, beyond today's. */
  badDebtNowUsd: number;
  /** The move on today's book (accounts already under 1 settled first): bad debt and debt liquidated. */
  badDebtBeforeUsd: number;
  liquidatedBeforeUsd: number;
  /** The move after the cut and its liquidations. */
  badDebtAfterUsd: number;
  liquidatedAfterUsd: number;
  /** badDebtBefore − badDebtAfter − badDebtNow. */
  avoidedUsd: number;
  /** Debt liquidated now and at the move, beyond what the move alone liquidates (never below 0). */
  forcedBeyondMoveUsd: number;
  /**
   * What the gate weighs the avoided bad debt against: the larger of the debt forced out now (paid
   * for certain, whether the move comes or not) and the debt liquidated beyond the move (paid if it
   * comes: a lower threshold can also make the move liquidate deeper, 100 % close factor instead of 50 %).
   */
  costUsd: number;
}

/**
 * Default bar: the bad debt a threshold cut avoids must be at least this multiple of its cost (see
 * ThresholdCut.costUsd) — the same bar, and for the same reason, as an MMR raise
 * (JudgmentPolicy.minAvoidedBadDebtPerForcedNotional): a borrower forced out pays the bonus
 * (4.5–6.5 % of what is repaid) for certain and now, the bad debt is avoided only if the move comes.
 * Measured against the debt liquidated beyond the move alone, every cut that avoids bad debt would
 * pass (that figure is mostly the bad debt itself, repaid instead): on crash-thin-liquidity such
 * cuts forced a borrower out for a move that never came.
 */
export const DEFAULT_MIN_AVOIDED_PER_FORCED = 0.1;

/** At most this many candidate thresholds are costed per decision (two settlements and a cascade each). */
export const MAX_THRESHOLD_CANDIDATES = 24;

/** `risk` with the reserve's own liquidation threshold replaced (eMode holders keep their category's). */
export function withReserveThreshold(risk: Snapshot, reserve: string, lt: number): Snapshot {
  if (!risk.lending) return risk;
  return { ...risk, lending: { ...risk.lending, reserves: risk.lending.reserves.map((r) => (r.asset === reserve ? { ...r, liquidationThreshold: lt } : r)) } };
}

/**
 * The move a collateral reserve's book must survive: the reserve down by the target shock, every
 * other asset with it by its beta (a stablecoin's is 0), so a stablecoin's depeg is its own move.
 */
export function projectedMove(risk: Snapshot, reserve: string, targetShock: number): ShockVector {
  return Object.fromEntries(risk.assets.map((a) => [a.id, a.id === reserve ? -targetShock : -targetShock * (a.beta ?? 1)]));
}

/** Today's book settled (accounts already under 1 are not a cut's doing) and the move on it: the same for every candidate. */
function moveOnToday(risk: Snapshot, reserve: string, targetShock: number) {
  const move = projectedMove(risk, reserve, targetShock);
  const today = settleAaveAccounts(risk);
  return { move, today, before: runScenario(today.snapshot, move) };
}

/** The cost and benefit of setting `reserve`'s threshold to `ltBps` (see ThresholdCut). */
export function thresholdCut(risk: Snapshot, reserve: string, ltBps: bigint, targetShock: number, base = moveOnToday(risk, reserve, targetShock)): ThresholdCut {
  const { move, today, before } = base;
  const cut = settleAaveAccounts(withReserveThreshold(risk, reserve, Number(ltBps) / 10_000));
  const after = runScenario(cut.snapshot, move);
  const already = new Set(today.liquidated);
  const forcedNowUsd = Math.max(0, cut.liquidatedUsd - today.liquidatedUsd);
  const beyond = Math.max(0, forcedNowUsd + after.liquidatedNotional - before.liquidatedNotional);
  const badDebtNowUsd = Math.max(0, cut.badDebtUsd - today.badDebtUsd);
  return {
    ltBps,
    forcedNowUsd,
    forcedAccounts: cut.liquidated.filter((a) => !already.has(a)),
    badDebtNowUsd,
    badDebtBeforeUsd: before.shortfall,
    liquidatedBeforeUsd: before.liquidatedNotional,
    badDebtAfterUsd: after.shortfall,
    liquidatedAfterUsd: after.liquidatedNotional,
    avoidedUsd: before.shortfall - after.shortfall - badDebtNowUsd,
    forcedBeyondMoveUsd: beyond,
    costUsd: Math.max(forcedNowUsd, beyond),
  };
}

/**
 * A cut buys something when it forces someone out, leaves no bad debt now (more than a dollar:
 * it would make now the loss it was meant to avoid), and avoids more than float noise; it passes
 * when what it avoids is at least `multiple` × its cost.
 */
export function thresholdCutPasses(c: ThresholdCut, multiple: number): boolean {
  if (c.forcedAccounts.length === 0 || c.badDebtNowUsd > 1) return false;
  if (!(c.avoidedUsd > Math.max(1, 1e-6 * c.badDebtBeforeUsd))) return false;
  return c.avoidedUsd >= multiple * c.costUsd;
}

/**
 * The candidate thresholds in [floor, lt): each value at which one more borrower holding the reserve
 * goes under health factor 1 (one bps below where its health is exactly 1), thinned evenly by rank
 * to MAX_THRESHOLD_CANDIDATES, and the floor.
 */
export function candidateThresholds(book: LendingBook, reserve: string, lt: bigint, floor: bigint): bigint[] {
  const values = new Set<bigint>();
  for (const a of book.accounts) {
    const debt = a.debt.reduce((s, d) => s + d.usd, 0);
    const held = a.collateral.filter((c) => c.reserve === reserve && c.reserveGoverned).reduce((s, c) => s + c.usd, 0);
    if (!(debt > 0) || !(held > 0)) continue;
    const other = a.collateral.filter((c) => !(c.reserve === reserve && c.reserveGoverned)).reduce((s, c) => s + c.usd * c.liquidationThreshold, 0);
    const at = BigInt(Math.ceil(((debt - other) / held) * 10_000 - 1e-9)) - 1n;
    if (at >= floor && at < lt) values.add(at);
  }
  const sorted = [...values].sort((x, y) => (x > y ? -1 : x < y ? 1 : 0)); // smallest cut first
  const picked =
    sorted.length <= MAX_THRESHOLD_CANDIDATES ? sorted : Array.from({ length: MAX_THRESHOLD_CANDIDATES }, (_, i) => sorted[Math.floor(((i + 1) * sorted.length) / MAX_THRESHOLD_CANDIDATES) - 1]);
  if (!picked.includes(floor)) picked.push(floor);
  return picked;
}

/**
 * The cut the gate allows: among the candidates, the one with the largest net benefit (avoided −
 * multiple × cost) that passes, the smallest cut on a tie. Returns the best
 * passing figures, or those of the smallest candidate that failed (for the deferral), never both.
 */
export function bestThresholdCut(
  risk: Snapshot,
  book: LendingBook,
  reserve: string,
  lt: bigint,
  floor: bigint,
  targetShock: number,
  multiple: number,
): { pass: ThresholdCut } | { fail: ThresholdCut } {
  let best: ThresholdCut | undefined;
  let firstFail: ThresholdCut | undefined;
  const net = (x: ThresholdCut) => x.avoidedUsd - multiple * x.costUsd;
  const base = moveOnToday(risk, reserve, targetShock);
  for (const v of candidateThresholds(book, reserve, lt, floor)) {
    const c = thresholdCut(risk, reserve, v, targetShock, base);
    if (!thresholdCutPasses(c, multiple)) firstFail ??= c;
    else if (!best || net(c) > net(best)) best = c;
  }
  return best ? { pass: best } : { fail: firstFail! };
}

export function describeThresholdCut(c: ThresholdCut): string {
  const usd = (x: number) => `$${Math.round(x).toLocaleString("en-US")}`;
  return (
    `${c.ltBps} bps forces ${c.forcedAccounts.length} borrower(s) out now (${usd(c.forcedNowUsd)} of debt repaid, ${usd(c.badDebtNowUsd)} of bad debt left now), ` +
    `${usd(c.forcedBeyondMoveUsd)} liquidated beyond what the move would liquidate anyway, to avoid ${usd(c.avoidedUsd)} of bad debt at the move (${usd(c.badDebtBeforeUsd)} → ${usd(c.badDebtAfterUsd)}): ${c.costUsd > 0 ? (c.avoidedUsd / c.costUsd).toFixed(3) : "∞"} per dollar of cost`
  );
}
