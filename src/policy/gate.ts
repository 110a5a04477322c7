import { marketSlice, runScenario, type MarketState, type Snapshot } from "../risk";
import type { Direction } from "./danger";

/**
 * What an MMR raise buys and what it costs, at one candidate value. A raise forces out, now, every
 * position whose equity no longer meets the new maintenance margin; what that buys is the bad debt
 * those positions would leave if the target shock came. Figures in USD, after the insurance fund.
 */
export interface RaiseCostBenefit {
  mmrBps: bigint;
  /**
   * What the raise costs: notional (at today's mark) of the positions it liquidates at once — those
   * under the new MMR and any their closes set off — that the projected move would not liquidate
   * anyway. A position already doomed is only liquidated sooner, at a better price, before the pool
   * drains: that costs its trader nothing he would not lose. With no projected move: every one.
   */
  forcedNotional: number;
  forcedPositions: number;
  /** Of those, the ones the projected move liquidates anyway under today's MMR (not counted in forcedNotional). */
  doomedNotional: number;
  doomedPositions: number;
  /** The move the figures are taken at: the target shock, or the projected move when it is larger (a fraction, in `direction`). */
  benefitShock: number;
  /** Shortfall of the cascade at `benefitShock` with today's MMR and book. */
  shortfallBefore: number;
  /** The same cascade once the forced positions are gone and the new MMR applies. */
  shortfallAfter: number;
  /** What liquidating the forced positions now, against the pool, would itself leave unpaid (beyond what today's book would). */
  shortfallNow: number;
  /**
   * Where the forced closes leave bad debt now: what closing them now saves against the projected
   * move itself (its cascade with today's book, less the survivors' after the closes, less the bad
   * debt realised now), as a fraction of that realised bad debt. Undefined when nothing is realised
   * now or nothing is projected.
   */
  realisedNowCut?: number;
  /** shortfallBefore − shortfallAfter − shortfallNow. */
  avoidedBadDebt: number;
}

export interface GateInput {
  snapshot: Snapshot;
  market: MarketState;
  mmrBps: bigint;
  /** The shock the book should survive (policy.breakingShock.target), as a fraction. */
  targetShock: number;
  /** Which way the target shock is applied: the way the danger moves, else the way the book breaks first. */
  direction: Direction;
  /**
   * The move the market is making, projected over the judgment's horizon (speed × projectionSeconds,
   * at most maxProjectedMove), as a fraction in `direction`; 0 or absent in a calm market or when svr
   * itself is the danger. Positions it liquidates anyway are not a cost of the raise, and when it is
   * larger than the target shock the benefit is taken at it.
   */
  projectedMove?: number;
}

const fraction = (bps: bigint) => Number(bps) / 10_000;

/** The market's slice of the book with a new MMR; IMR rises with it, keeping the spread (a book with MMR ≥ IMR is refused, as on-chain). */
export function withMmr(snapshot: Snapshot, marketId: string, mmr: number): Snapshot {
  const s = marketSlice(snapshot, marketId);
  return { ...s, markets: s.markets.map((m) => (m.id === marketId ? { ...m, mmr, imr: Math.min(1, Math.max(m.imr, mmr + (m.imr - m.mmr))) } : m)) };
}

const equity = (p: Snapshot["positions"][number], mark: number) => p.collateral + p.side * p.size * (mark - p.entryPrice);

/** The cost–benefit of raising the market's MMR from `input.mmrBps` to `mmrBps`. */
export function raiseCostBenefit(input: GateInput, mmrBps: bigint): RaiseCostBenefit {
  const { market } = input;
  const mark = market.mark;
  const sign = input.direction === "down" ? -1 : 1;
  const projected = Math.max(0, input.projectedMove ?? 0);
  const benefitShock = Math.max(input.targetShock, projected);
  const shock = { [market.asset]: sign * benefitShock };
  const today = withMmr(input.snapshot, market.id, fraction(input.mmrBps));
  const raised = withMmr(input.snapshot, market.id, fraction(mmrBps));
  const mmr = fraction(mmrBps);
  // Forcing positions out now is itself a cascade against the pool: what it leaves unpaid beyond
  // today's (normally nothing), and every position it takes — the forced ones and any they set off —
  // count. The survivors are those still meeting the new MMR at the cascade's final price; the
  // benefit's shock then comes on top of the price the forced closes left (no recovery of the pool is
  // assumed: where the oracle follows a drained pool, that impact is where the next move starts from).
  const nowToday = runScenario(today, {});
  const nowRaised = runScenario(raised, {});
  const shortfallNow = Math.max(0, nowRaised.shortfall - nowToday.shortfall);
  const px = nowRaised.finalPrices[market.asset] ?? mark;
  // The doomed: positions the projected move's cascade liquidates under today's MMR anyway.
  const atProjected = projected > 0 ? runScenario(today, { [market.asset]: sign * projected }) : undefined;
  const doomedAt = atProjected ? (atProjected.finalPrices[market.asset] ?? mark) : undefined;
  const mmrToday = fraction(input.mmrBps);
  const doomed = (p: Snapshot["positions"][number]) => doomedAt !== undefined && equity(p, doomedAt) < mmrToday * p.size * doomedAt;
  let forcedNotional = 0;
  let forcedPositions = 0;
  let doomedNotional = 0;
  let doomedPositions = 0;
  const kept = raised.positions.filter((p) => {
    const keep = equity(p, px) >= mmr * p.size * px && equity(p, mark) >= mmr * p.size * mark;
    if (!keep && doomed(p)) {
      doomedNotional += p.size * mark;
      doomedPositions++;
    } else if (!keep) {
      forcedNotional += p.size * mark;
      forcedPositions++;
    }
    return keep;
  });
  const shortfallBefore = runScenario(today, shock).shortfall;
  const shortfallAfter = runScenario({ ...raised, positions: kept }, { [market.asset]: shockFromImpact(mark, px, shock[market.asset]) }).shortfall;
  // Bad debt realised now is weighed against the move the market is making, not the target shock.
  let realisedNowCut: number | undefined;
  if (shortfallNow > 1 && atProjected) {
    const afterProjected = runScenario({ ...raised, positions: kept }, { [market.asset]: shockFromImpact(mark, px, sign * projected) }).shortfall;
    realisedNowCut = (atProjected.shortfall - afterProjected - shortfallNow) / shortfallNow;
  }
  return {
    mmrBps,
    forcedNotional,
    forcedPositions,
    doomedNotional,
    doomedPositions,
    benefitShock,
    shortfallBefore,
    shortfallAfter,
    shortfallNow,
    realisedNowCut,
    avoidedBadDebt: shortfallBefore - shortfallAfter - shortfallNow,
  };
}

/**
 * The shock, as a fraction of today's `mark`, that takes the price from `mark` to where `shock`
 * lands when it starts from `impacted` (the price the forced closes left): the two compound.
 */
export function shockFromImpact(mark: number, impacted: number, shock: number): number {
  return (impacted / mark) * (1 + shock) - 1;
}

/**
 * A raise that liquidates no one now avoids nothing at the target shock (a gap liquidates at the
 * gapped price whatever the margin) but makes every later move liquidate sooner: it buys nothing.
 * Nor does one whose forced closes leave bad debt now, or whose avoided bad debt is float noise
 * (under a dollar, or a millionth of the shortfall).
 */
export function buysSomething(c: RaiseCostBenefit): boolean {
  return c.forcedPositions + c.doomedPositions > 0 && !deepensNow(c) && c.avoidedBadDebt > Math.max(1, 1e-6 * c.shortfallBefore);
}

/**
 * How much smaller than the move's own the bad debt a raise realises now must be (a fraction of it)
 * for a raise that closes only doomed positions to take it. The cascades are a model of a pool the
 * liquidators sell into step by step: realised bad debt is certain, the saving a forecast. At 0.1
 * closing the doomed now must save a tenth of what it realises against the cascade the projected
 * move sets off with today's book — a margin the model's error must not eat. (March 2020: on a book at the edge, a −1 % projection "doomed"
 * every BTC long; closing them a step early saved ~1 % in the model and added bad debt in the
 * rehearsal. The thin-liquidity crash: a −13 % projection, closing ETH's doomed longs before the
 * pool drained cut its bad debt by a third.)
 */
export const MIN_REALISED_NOW_CUT = 0.1;

/**
 * The forced closes would themselves leave bad debt (more than a dollar): the raise is a cascade
 * the pool cannot absorb, refused whatever the target shock's figures say — it makes now the loss
 * it was meant to avoid later. Unless everything it liquidates now is doomed by the projected move
 * and closing it now realises clearly less than the move itself would (MIN_REALISED_NOW_CUT).
 */
export function deepensNow(c: RaiseCostBenefit, minCut = MIN_REALISED_NOW_CUT): boolean {
  if (!(c.shortfallNow > 1)) return false;
  return c.forcedPositions > 0 || c.realisedNowCut === undefined || c.realisedNowCut < minCut;
}

/** Does the raise avoid at least `multiple` × the notional it force-liquidates? (Nothing forced beyond the doomed: it costs no one.) */
export function passesCostBenefit(c: RaiseCostBenefit, multiple: number): boolean {
  if (c.forcedNotional === 0) return c.avoidedBadDebt >= 0;
  return c.avoidedBadDebt >= multiple * c.forcedNotional;
}

/** At most this many candidate values are costed per decision (two cascades each). */
export const MAX_CANDIDATES = 24;

/**
 * The candidate MMRs in (from, to]: each value at which one more position becomes liquidatable
 * (its equity ÷ notional at today's mark, in whole bps, plus one), thinned to MAX_CANDIDATES
 * evenly by rank, and `to` itself.
 */
export function candidateMmrs(snapshot: Snapshot, market: MarketState, from: bigint, to: bigint): bigint[] {
  const values = new Set<bigint>();
  for (const p of snapshot.positions) {
    if (p.market !== market.id || !(p.size > 0)) continue;
    const ratio = equity(p, market.mark) / (p.size * market.mark);
    const at = BigInt(Math.floor(ratio * 10_000)) + 1n;
    if (at > from && at <= to) values.add(at);
  }
  const sorted = [...values].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
  const picked = sorted.length <= MAX_CANDIDATES ? sorted : Array.from({ length: MAX_CANDIDATES }, (_, i) => sorted[Math.floor(((i + 1) * sorted.length) / MAX_CANDIDATES) - 1]);
  if (!picked.includes(to)) picked.push(to);
  return picked;
}

/**
 * The raise the gate allows: among the candidates, the one with the largest net benefit
 * (avoided bad debt − multiple × forced notional) that passes the gate. Positions leave in order
 * of how thin their margin is, so the first ones forced out are those that would leave the most
 * bad debt per dollar; the net benefit stops growing where forcing one more out avoids less than
 * `multiple` of its notional. Returns the best passing figure, or the figures of the cheapest
 * candidate that failed (for the warning), never both.
 */
export function bestGatedRaise(input: GateInput, to: bigint, multiple: number): { pass: RaiseCostBenefit } | { fail: RaiseCostBenefit } {
  let best: RaiseCostBenefit | undefined;
  let firstFail: RaiseCostBenefit | undefined;
  for (const m of candidateMmrs(input.snapshot, input.market, input.mmrBps, to)) {
    const c = raiseCostBenefit(input, m);
    if (!buysSomething(c) || !passesCostBenefit(c, multiple)) {
      firstFail ??= c;
      continue;
    }
    const net = (x: RaiseCostBenefit) => x.avoidedBadDebt - multiple * x.forcedNotional;
    if (!best || net(c) > net(best)) best = c;
  }
  if (best && buysSomething(best)) return { pass: best };
  return { fail: firstFail ?? best ?? raiseCostBenefit(input, to) };
}

export function describeCostBenefit(c: RaiseCostBenefit, multiple: number): string {
  const usd = (x: number) => `$${Math.round(x).toLocaleString("en-US")}`;
  const ratio = c.forcedNotional > 0 ? (c.avoidedBadDebt / c.forcedNotional).toFixed(3) : "∞";
  const doomed = c.doomedPositions > 0 ? ` (and closes sooner ${c.doomedPositions} the projected move liquidates anyway, ${usd(c.doomedNotional)})` : "";
  const cut = c.realisedNowCut !== undefined ? `, ${(100 * c.realisedNowCut).toFixed(0)} % less than the projected move would leave` : "";
  return `MMR ${c.mmrBps} bps forces out ${c.forcedPositions} position(s), ${usd(c.forcedNotional)} of notional${doomed}, to avoid ${usd(c.avoidedBadDebt)} of bad debt at a ${(100 * c.benefitShock).toFixed(1)} % move (${usd(c.shortfallBefore)} → ${usd(c.shortfallAfter)}, ${usd(c.shortfallNow)} left by the forced closes${cut}): ${ratio} per dollar forced, bar ${multiple}`;
}
