import type { MarketState, Position } from "../risk";

export interface AdlPick {
  position: Position;
  /** Base units to close, 18 decimals, rounded up (closing a hair more lifts svr a hair more). */
  sizeDelta: bigint;
  notional: number;
  score: number;
}

export type AdlDecision = { status: "change"; picks: AdlPick[]; svrBefore: number; svrAfter: number; note: string } | { status: "defer"; reason: string } | { status: "none" };

/**
 * Automated deleveraging of one market. Profitable positions are ranked by the rule exchanges
 * publish, (unrealised PnL ÷ collateral) × leverage; they are taken in that order, whole, until the
 * next one would carry the market past its target, and that last one is cut to the exact size that
 * lands svr on the target: with collateral C, open interest V, and a position of notional n and
 * collateral c reduced by a fraction f (its collateral leaves pro rata),
 * (C − f·c) / (V − f·n) = T  ⇔  f = (T·V − C) / (T·n − c).
 * Taking a whole position may overshoot; the pick stops before the upper bound.
 */
export function planAdl(market: MarketState, positions: Position[], target: number, upper: number, exactSizes: Record<string, bigint> = {}): AdlDecision {
  let C = 0;
  let V = 0;
  for (const p of positions) {
    C += p.collateral;
    V += p.size * market.mark;
  }
  if (V === 0) return { status: "none" };
  const svrBefore = C / V;
  if (svrBefore >= target) return { status: "none" };
  const ranked = positions
    .map((p) => {
      const pnl = p.side * p.size * (market.mark - p.entryPrice);
      const notional = p.size * market.mark;
      const score = p.collateral > 0 ? (pnl / p.collateral) * (notional / p.collateral) : Number.POSITIVE_INFINITY;
      return { p, pnl, notional, score };
    })
    // Only profitable ones whose removal lifts svr, and that the protocol names: a deleverage call takes a position id.
    .filter((x) => x.p.id !== undefined && x.pnl > 0 && x.p.collateral < target * x.notional)
    .sort((a, b) => b.score - a.score || (a.p.id ?? "").localeCompare(b.p.id ?? ""));
  const picks: AdlPick[] = [];
  for (const x of ranked) {
    const whole = (C - x.p.collateral) / (V - x.notional);
    if (V - x.notional > 0 && whole < target) {
      picks.push({ position: x.p, sizeDelta: exactSizes[x.p.id ?? ""] ?? toWadCeil(x.p.size, x.p.size), notional: x.notional, score: x.score });
      C -= x.p.collateral;
      V -= x.notional;
      continue;
    }
    const f = Math.min(1, (target * V - C) / (target * x.notional - x.p.collateral));
    const exact = exactSizes[x.p.id ?? ""];
    let sizeDelta = toWadCeil(f * x.p.size, x.p.size);
    if (exact !== undefined && sizeDelta > exact) sizeDelta = exact;
    const took = Number(sizeDelta) / 1e18 / x.p.size;
    const after = (C - took * x.p.collateral) / (V - took * x.notional);
    if (after > upper) return { status: "defer", reason: `reaching svr ${target} would overshoot the upper bound ${upper}` };
    picks.push({ position: x.p, sizeDelta, notional: took * x.notional, score: x.score });
    C -= took * x.p.collateral;
    V -= took * x.notional;
    return { status: "change", picks, svrBefore, svrAfter: C / V, note: `fewest positions by ADL rank, last one cut to land svr on ${target}` };
  }
  return picks.length
    ? { status: "change", picks, svrBefore, svrAfter: V > 0 ? C / V : Number.POSITIVE_INFINITY, note: "every eligible position taken; the target is not reached" }
    : { status: "defer", reason: "no profitable position whose deleveraging lifts svr" };
}

/** Base units (float) → 18-decimal bigint, rounded up; without the exact on-chain size, kept a hair under the float one. */
function toWadCeil(units: number, max: number): bigint {
  const wad = BigInt(Math.ceil(units * 1e18));
  const cap = BigInt(Math.floor(max * 1e18 * (1 - 1e-12)));
  return wad > cap ? cap : wad;
}

/** The on-chain id a deleverage call names; a position without one is refused, never sent as position 0. */
function positionIdOf(p: Position): bigint {
  if (p.id === undefined || !/^[0-9]+$/.test(p.id)) throw new Error(`position of ${p.account} in ${p.market} has no numeric id: it cannot be deleveraged`);
  return BigInt(p.id);
}

/**
 * Splits the picks into steward calls of at most `capUsd18` notional each, and all of them together
 * within `budgetUsd18` (what the market's rolling deleverage budget has left). Each reduction names
 * the position's size it expects — its exact on-chain size, less what earlier calls of this plan took.
 */
export function chunkByNotional(
  picks: AdlPick[],
  capUsd18: bigint,
  mark: number,
  exactSizes: Record<string, bigint> | undefined,
  budgetUsd18: bigint = capUsd18,
): { positionId: bigint; sizeDelta: bigint; expectedSize: bigint }[][] {
  const toBase = (usd18: bigint) => BigInt(Math.floor((Number(usd18) / 1e18 / mark) * 0.999 * 1e18)); // a margin against the steward's own rounding
  const capWad = toBase(capUsd18);
  let budgetLeft = toBase(budgetUsd18);
  type Reduction = { positionId: bigint; sizeDelta: bigint; expectedSize: bigint };
  const calls: Reduction[][] = [];
  let current: Reduction[] = [];
  let room = capWad;
  for (const p of picks) {
    let left = p.sizeDelta;
    let size = exactSizes?.[p.position.id ?? ""] ?? toWadCeil(p.position.size, p.position.size);
    while (left > 0n && budgetLeft > 0n && capWad > 0n) {
      if (room === 0n) {
        calls.push(current);
        current = [];
        room = capWad;
      }
      let take = left < room ? left : room;
      if (take > budgetLeft) take = budgetLeft;
      current.push({ positionId: positionIdOf(p.position), sizeDelta: take, expectedSize: size });
      size -= take;
      left -= take;
      room -= take;
      budgetLeft -= take;
    }
  }
  if (current.length) calls.push(current);
  return calls;
}
