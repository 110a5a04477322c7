import type { ParamBounds } from "../domain/protocol-state";
import type { ActionRequest } from "./actions";
import type { Level } from "./levels";
import { MIN_CAP_CUT } from "./caps";
import { cooldownLeft, tightenLimit } from "./units";

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
 * a lower liquidation threshold forces existing borrowers out, so it is reached for only at
 * `critical`, and only when the bad debt it avoids outweighs the bonus it costs the borrowers it
 * liquidates. Each size is the smallest that restores the target, within the steward's step.
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

  // 2. Only at critical, the threshold, gated by the liquidations it forces.
  // Judged on the book liquidators leave: accounts already under 1 go whatever the threshold.
  const shockAt = (v: bigint) => reserveBreakingShock(liquidateUnder(ctx.book, reserve, Number(v) / 10_000, { alsoAlreadyLiquidatable: true }), reserve);
  const before = shockAt(lt);
  let after = before;
  if (level === "critical" && before !== null && before < targetShock) {
    const ltB = bounds.LIQ_THRESHOLD;
    if (!ltB) reasons.push("the steward has no bounds for the liquidation threshold");
    else if (cooldownLeft(ltB, true, ctx.now) > 0) reasons.push(`the steward's tightening delay for the threshold has ${cooldownLeft(ltB, true, ctx.now)}s left`);
    else {
      const floor = tightenLimit(lt, ltB, false);
      const restores = (v: bigint) => {
        const s = shockAt(v);
        return s === null || s >= targetShock;
      };
      const full = largestPassing(floor, lt, restores);
      let target = full ?? floor;
      let note =
        full === null
          ? `threshold to ${floor} bps, the most one steward step allows (the target is not reached in one step)`
          : `threshold to ${target} bps, the smallest cut that makes the book survive a ${targetShock} move`;
      if (!passesLendingGate(ctx.book, reserve, Number(target) / 10_000, targetShock)) {
        target = smallestPassing(target, lt, (v) => v === lt || passesLendingGate(ctx.book, reserve, Number(v) / 10_000, targetShock));
        note = target === lt ? "" : `threshold ramped to ${target} bps: a deeper cut would force out more than the bad debt it avoids is worth`;
        if (target === lt) reasons.push("any threshold cut would cost the borrowers it liquidates more (their bonus) than the bad debt it avoids");
      }
      const improved = target < lt ? shockAt(target) : before;
      // A cut that forces nobody out changes nothing at the target move: it only takes headroom away.
      if (target < lt && (improved === null || improved > before)) {
        notes.push(note);
        lt = target;
        if (ltv > lt) ltv = lt; // Aave requires LTV ≤ threshold
        after = improved;
      } else if (target < lt) reasons.push("no threshold cut the gate allows would make the book survive a larger move");
    }
  }
  if (ltv === p.ltvBps && lt === p.liquidationThresholdBps) return reasons.length ? { status: "defer", reason: reasons.join("; ") } : { status: "none" };
  return {
    status: "change",
    decision: {
      action: {
        kind: "setReserveRisk",
        market: reserve,
        ltvBps: ltv,
        liquidationThresholdBps: lt,
        liquidationBonusBps: p.liquidationBonusBps,
        // Compare-and-set: the steward refuses the update if any of these has moved since the observation.
        expected: { ltvBps: p.ltvBps, liquidationThresholdBps: p.liquidationThresholdBps, liquidationBonusBps: p.liquidationBonusBps },
      },
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

/** Bad debt left if `reserve` falls by `shock` (gap liquidation, other prices hold). */
export function badDebtAt(book: LendingBook, reserve: string, shock: number): number {
  let total = 0;
  for (const a of book.accounts) {
    let capacity = 0;
    for (const c of a.collateral) capacity += (c.usd * (c.reserve === reserve ? 1 - shock : 1)) / c.liquidationBonus;
    const debt = a.debt.reduce((s, d) => s + d.usd * (d.reserve === reserve ? 1 - shock : 1), 0);
    total += Math.max(0, debt - capacity);
  }
  return total;
}

/**
 * The self-liquidation gate for a threshold cut: the borrowers it liquidates at once pay the
 * liquidation bonus on what is repaid; the cut passes only if the bad debt it avoids at the target
 * move is at least that cost, and none of those liquidations leaves bad debt of its own.
 */
export function passesLendingGate(book: LendingBook, reserve: string, lt: number, targetShock: number): boolean {
  const after = liquidateUnder(book, reserve, lt);
  let cost = 0;
  book.accounts.forEach((a, i) => {
    const b = after.accounts[i];
    if (a === b) return;
    const repaid = a.debt.reduce((s, d) => s + d.usd, 0) - b.debt.reduce((s, d) => s + d.usd, 0);
    const seized = a.collateral.reduce((s, c) => s + c.usd, 0) - b.collateral.reduce((s, c) => s + c.usd, 0);
    cost += seized - repaid;
  });
  if (cost === 0) return true;
  const leftBad = badDebtAt(after, reserve, 0);
  if (leftBad > badDebtAt(book, reserve, 0) + 1e-9) return false;
  return badDebtAt(book, reserve, targetShock) - badDebtAt(after, reserve, targetShock) >= cost;
}

/** Largest value in [lo, hi] for which `ok` holds, assuming it holds from some point down; null if none. */
function largestPassing(lo: bigint, hi: bigint, ok: (v: bigint) => boolean): bigint | null {
  if (ok(hi)) return hi;
  if (!ok(lo)) return null;
  let a = lo;
  let b = hi;
  while (b - a > 1n) {
    const mid = (a + b) / 2n;
    if (ok(mid)) a = mid;
    else b = mid;
  }
  return a;
}

/** Smallest value in [lo, hi] for which `ok` holds, assuming it holds at hi and fails from some point down. */
function smallestPassing(lo: bigint, hi: bigint, ok: (v: bigint) => boolean): bigint {
  if (ok(lo)) return lo;
  let a = lo;
  let b = hi;
  while (b - a > 1n) {
    const mid = (a + b) / 2n;
    if (ok(mid)) b = mid;
    else a = mid;
  }
  return b;
}
