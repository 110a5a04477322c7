/**
 * The isolated-position cascade in O(rounds · log N), with the same rules as the walk in cascade.ts.
 *
 * Within one market and side the positions a round liquidates are a contiguous run of the book in
 * liquidation-price order (compileBook sorts it once): the walk advances a pointer over the run,
 * here a galloping binary search finds its end. What the walk then sums position by position comes
 * from prefix sums over that order:
 *
 * - net base traded and liquidated size: Σq over the run;
 * - deficit. Every position of a market shares its MMR and its fee. A long closed at X pays
 *   d = fee·q·X − (c + q·(X − e)) = K − (1 − fee)·X·q with K = q·e − c, in deficit exactly when
 *   K/q > (1 − fee)·X; its liquidation price is K/(q·(1 − mmr)), so the positions in deficit are
 *   those with the highest liquidation prices: a prefix of the round's run. Over that prefix the
 *   deficit is ΣK − (1 − fee)·X·Σq. A short pays d = (1 + fee)·X·q − K with K = c + q·e, in
 *   deficit when K/q < (1 + fee)·X: again a prefix (the lowest liquidation prices), with deficit
 *   (1 + fee)·X·Σq − ΣK.
 *
 * The end of the deficit prefix is found by binary search on the walk's own expression for d, so the
 * two paths disagree at most on a position whose deficit is within rounding of zero. Sums are
 * double-double: a range sum is a difference of two prefixes, which in plain float64 would lose
 * the digits the prefixes share (a 100k book's ΣK is ~10⁹ where a round's range may be ~10³).
 *
 * The prefix property needs K/q to follow the liquidation-price order, which holds when every
 * position of a market and side is liquidated at the market's one MMR. compilePrefix checks the
 * order itself and, where it does not hold (a position with its own margin), says why; the callers
 * then run the walk.
 */
import type { CompiledBook } from "./book";
import { ddAdd, ddMulNumber, twoProduct, twoSum } from "./double-double";
import { openVenue, type Venue } from "./liquidity";

/** One market and side in liquidation-price order, with compensated prefix sums. */
export interface PrefixRun {
  /** Liquidation prices, in the order a moving price reaches them (longs descending, shorts ascending). */
  liq: Float64Array;
  size: Float64Array;
  entry: Float64Array;
  collateral: Float64Array;
  /** Σ size over positions [0, j), double-double (hi, lo); length = positions + 1. */
  sizeHi: Float64Array;
  sizeLo: Float64Array;
  /** Σ K over positions [0, j): K = q·e − c for longs, c + q·e for shorts. */
  kHi: Float64Array;
  kLo: Float64Array;
}

export type PrefixIndex = { kind: "ready"; longs: PrefixRun[]; shorts: PrefixRun[] } | { kind: "unavailable"; reason: string };

/** K/q may step against the order by this much (relative) and still count as in order: rounding in K/q. */
const ORDER_TOLERANCE = 1e-12;

/** Builds the prefix index of a compiled book, or says why the book does not allow it. */
export function compilePrefix(book: CompiledBook): PrefixIndex {
  const longs: PrefixRun[] = [];
  const shorts: PrefixRun[] = [];
  for (const mk of book.markets) {
    const l = buildRun(book, mk.longs, 1);
    if (typeof l === "string") return { kind: "unavailable", reason: `${mk.id} longs: ${l}` };
    const s = buildRun(book, mk.shorts, -1);
    if (typeof s === "string") return { kind: "unavailable", reason: `${mk.id} shorts: ${s}` };
    longs.push(l);
    shorts.push(s);
  }
  return { kind: "ready", longs, shorts };
}

function buildRun(book: CompiledBook, order: Int32Array, side: 1 | -1): PrefixRun | string {
  const n = order.length;
  const run: PrefixRun = {
    liq: new Float64Array(n),
    size: new Float64Array(n),
    entry: new Float64Array(n),
    collateral: new Float64Array(n),
    sizeHi: new Float64Array(n + 1),
    sizeLo: new Float64Array(n + 1),
    kHi: new Float64Array(n + 1),
    kLo: new Float64Array(n + 1),
  };
  const t = new Float64Array(2);
  const u = new Float64Array(2);
  let lastRatio = side === 1 ? Infinity : -Infinity;
  for (let j = 0; j < n; j++) {
    const i = order[j];
    const q = book.size[i];
    const e = book.entry[i];
    const c = book.collateral[i];
    run.liq[j] = book.liqPrice[i];
    run.size[j] = q;
    run.entry[j] = e;
    run.collateral[j] = c;
    // K exactly, as a double-double: q·e by TwoProduct, then ∓ c.
    twoProduct(q, e, t);
    twoSum(t[0], side === 1 ? -c : c, u);
    const kh = u[0];
    const kl = u[1] + t[1];
    const ratio = (kh + kl) / q;
    if (side === 1 ? ratio > lastRatio + ORDER_TOLERANCE * Math.abs(lastRatio) : ratio < lastRatio - ORDER_TOLERANCE * Math.abs(lastRatio)) {
      return `position ${i} is out of deficit order (its K/size ${ratio} vs ${lastRatio} before it in liquidation-price order): its maintenance margin is not the market's`;
    }
    lastRatio = ratio;
    ddAdd(run.sizeHi[j], run.sizeLo[j], q, 0, t);
    run.sizeHi[j + 1] = t[0];
    run.sizeLo[j + 1] = t[1];
    ddAdd(run.kHi[j], run.kLo[j], kh, kl, t);
    run.kHi[j + 1] = t[0];
    run.kLo[j + 1] = t[1];
  }
  return run;
}

/**
 * What a cascade leaves, in the walk's terms (per market, per protocol); `marketDeficit` adds the
 * deficit per market, which Value at Risk reports.
 */
export interface CascadeTally {
  prices: Float64Array;
  rounds: number;
  /** The cascade hit maxRounds with positions still to liquidate (never silently under-reported). */
  truncated: boolean;
  /** Positions still open, per protocol. */
  openPositions: Int32Array;
  liquidatedSize: Float64Array;
  liquidatedNotional: Float64Array;
  liquidatedCount: Int32Array;
  deficit: Float64Array;
  marketDeficit: Float64Array;
}

/**
 * A cascade engine over one book's prefix index. Its scratch arrays are allocated once, so many
 * scenarios (a grid, Value at Risk's samples) allocate only their venues. `run` returns this
 * engine's tally, valid until the next run.
 */
export class PrefixCascade {
  private readonly M: number;
  private readonly A: number;
  private readonly lp: Int32Array;
  private readonly sp: Int32Array;
  private readonly roundStartL: Int32Array;
  private readonly roundStartS: Int32Array;
  private readonly netSold: Float64Array;
  private readonly traded: Uint8Array;
  private readonly avg: Float64Array;
  private readonly roundStartPrice: Float64Array;
  private readonly unfilledShare: Float64Array;
  private readonly venues: Venue[];
  private readonly dd = new Float64Array(2);
  private readonly dd2 = new Float64Array(2);
  private readonly tally: CascadeTally;

  constructor(
    private readonly book: CompiledBook,
    private readonly index: Extract<PrefixIndex, { kind: "ready" }>,
  ) {
    this.M = book.markets.length;
    this.A = book.assets.length;
    const P = book.protocols.length;
    this.lp = new Int32Array(this.M);
    this.sp = new Int32Array(this.M);
    this.roundStartL = new Int32Array(this.M);
    this.roundStartS = new Int32Array(this.M);
    this.netSold = new Float64Array(this.A);
    this.traded = new Uint8Array(this.A);
    this.avg = new Float64Array(this.A);
    this.roundStartPrice = new Float64Array(this.A);
    this.unfilledShare = new Float64Array(this.A);
    this.venues = new Array<Venue>(this.A);
    this.tally = {
      prices: new Float64Array(this.A),
      rounds: 0,
      truncated: false,
      openPositions: new Int32Array(P),
      liquidatedSize: new Float64Array(this.M),
      liquidatedNotional: new Float64Array(P),
      liquidatedCount: new Int32Array(P),
      deficit: new Float64Array(P),
      marketDeficit: new Float64Array(this.M),
    };
  }

  /** Cascades from shocked asset prices (indexed like book.assets) to the fixed point. */
  run(shockedPrices: Float64Array, maxRounds: number): CascadeTally {
    const { book, index, M, A, lp, sp, roundStartL, roundStartS, netSold, traded, avg, roundStartPrice, unfilledShare, venues, tally } = this;
    const prices = tally.prices;
    prices.set(shockedPrices);
    for (let a = 0; a < A; a++) venues[a] = openVenue(book.assets[a].liquidity, prices[a], book.assets[a].price);
    lp.fill(0);
    sp.fill(0);
    tally.liquidatedSize.fill(0);
    tally.liquidatedNotional.fill(0);
    tally.liquidatedCount.fill(0);
    tally.deficit.fill(0);
    tally.marketDeficit.fill(0);

    let rounds = 0;
    tally.truncated = false;
    for (;;) {
      netSold.fill(0);
      traded.fill(0);
      let any = false;
      for (let m = 0; m < M; m++) {
        const mk = book.markets[m];
        const a = mk.asset;
        const mark = prices[a] * mk.basis;
        const L = index.longs[m];
        const S = index.shorts[m];
        roundStartL[m] = lp[m];
        roundStartS[m] = sp[m];
        const j = endOfRun(L.liq, lp[m], mark, 1);
        const k = endOfRun(S.liq, sp[m], mark, -1);
        lp[m] = j;
        sp[m] = k;
        const count = j - roundStartL[m] + (k - roundStartS[m]);
        if (count > 0) {
          any = true;
          traded[a] = 1;
          netSold[a] += this.rangeSize(L, roundStartL[m], j) - this.rangeSize(S, roundStartS[m], k);
          tally.liquidatedCount[mk.protocol] += count;
        }
      }
      if (!any) break;
      if (rounds === maxRounds) {
        // Put back what this round found, as the walk does: it was not liquidated and stays open.
        for (let m = 0; m < M; m++) tally.liquidatedCount[book.markets[m].protocol] -= lp[m] - roundStartL[m] + (sp[m] - roundStartS[m]);
        lp.set(roundStartL);
        sp.set(roundStartS);
        tally.truncated = true;
        break;
      }
      rounds++;

      roundStartPrice.set(prices);
      for (let a = 0; a < A; a++) {
        if (!traded[a]) continue;
        const fill = venues[a].trade(netSold[a]);
        avg[a] = fill.avgPrice;
        unfilledShare[a] = netSold[a] !== 0 ? fill.unfilled / Math.abs(netSold[a]) : 0;
        prices[a] = fill.newPrice;
      }

      for (let m = 0; m < M; m++) {
        if (lp[m] === roundStartL[m] && sp[m] === roundStartS[m]) continue;
        const mk = book.markets[m];
        const a = mk.asset;
        const fee = mk.liquidationFee;
        const u = unfilledShare[a];
        const exec = avg[a] * mk.basis;
        // The walk's execution prices: an unfilled share of a sale recovers nothing, of a purchase costs the final price.
        const longExec = netSold[a] > 0 ? exec * (1 - u) : exec;
        const shortExec = netSold[a] < 0 ? exec * (1 - u) + prices[a] * mk.basis * u : exec;
        const L = index.longs[m];
        const S = index.shorts[m];
        const def = this.longDeficit(L, roundStartL[m], lp[m], longExec, fee) + this.shortDeficit(S, roundStartS[m], sp[m], shortExec, fee);
        const liqSize = this.rangeSize(L, roundStartL[m], lp[m]) + this.rangeSize(S, roundStartS[m], sp[m]);
        tally.liquidatedSize[m] += liqSize;
        // Notional at the mark that triggered the round (the price before this round's trade).
        tally.liquidatedNotional[mk.protocol] += liqSize * roundStartPrice[a] * mk.basis;
        tally.deficit[mk.protocol] += def;
        tally.marketDeficit[m] += def;
      }
    }
    tally.rounds = rounds;
    tally.openPositions.fill(0);
    book.markets.forEach((mk, m) => (tally.openPositions[mk.protocol] += index.longs[m].size.length - lp[m] + (index.shorts[m].size.length - sp[m])));
    return tally;
  }

  private rangeSize(r: PrefixRun, from: number, to: number): number {
    if (to === from) return 0;
    ddAdd(r.sizeHi[to], r.sizeLo[to], -r.sizeHi[from], -r.sizeLo[from], this.dd);
    return this.dd[0] + this.dd[1];
  }

  /** Σ max(0, fee·q·X − (c + q·(X − e))) over longs [from, to) = ΣK − (1 − fee)·X·Σq over the prefix in deficit. */
  private longDeficit(r: PrefixRun, from: number, to: number, x: number, fee: number): number {
    const lo = deficitEnd(r, from, to, x, fee, 1);
    if (lo === from) return 0;
    const { dd, dd2 } = this;
    ddAdd(r.sizeHi[lo], r.sizeLo[lo], -r.sizeHi[from], -r.sizeLo[from], dd);
    ddMulNumber(dd[0], dd[1], x, dd2); // X·Σq
    const xqH = dd2[0];
    const xqL = dd2[1];
    ddMulNumber(xqH, xqL, -fee, dd); // −fee·X·Σq
    ddAdd(xqH, xqL, dd[0], dd[1], dd2); // (1 − fee)·X·Σq
    const fxqH = dd2[0];
    const fxqL = dd2[1];
    ddAdd(r.kHi[lo], r.kLo[lo], -r.kHi[from], -r.kLo[from], dd); // ΣK
    ddAdd(dd[0], dd[1], -fxqH, -fxqL, dd2);
    return Math.max(0, dd2[0] + dd2[1]);
  }

  /** Σ max(0, fee·q·X − (c + q·(e − X))) over shorts [from, to) = (1 + fee)·X·Σq − ΣK over the prefix in deficit. */
  private shortDeficit(r: PrefixRun, from: number, to: number, x: number, fee: number): number {
    const lo = deficitEnd(r, from, to, x, fee, -1);
    if (lo === from) return 0;
    const { dd, dd2 } = this;
    ddAdd(r.sizeHi[lo], r.sizeLo[lo], -r.sizeHi[from], -r.sizeLo[from], dd);
    ddMulNumber(dd[0], dd[1], x, dd2); // X·Σq
    const xqH = dd2[0];
    const xqL = dd2[1];
    ddMulNumber(xqH, xqL, fee, dd); // fee·X·Σq
    ddAdd(xqH, xqL, dd[0], dd[1], dd2); // (1 + fee)·X·Σq
    const fxqH = dd2[0];
    const fxqL = dd2[1];
    ddAdd(r.kHi[lo], r.kLo[lo], -r.kHi[from], -r.kLo[from], dd); // ΣK
    ddAdd(fxqH, fxqL, -dd[0], -dd[1], dd2);
    return Math.max(0, dd2[0] + dd2[1]);
  }
}

/**
 * The end of the prefix of [from, to) in deficit when closed at x, by the walk's own expression:
 * d = fee·q·x − (c + side·q·(x − e)). A round's run is most often wholly bankrupt or wholly
 * solvent, so both ends are probed first, one probe each.
 */
function deficitEnd(r: PrefixRun, from: number, to: number, x: number, fee: number, side: 1 | -1): number {
  if (to === from || !inDeficit(r, from, x, fee, side)) return from;
  if (inDeficit(r, to - 1, x, fee, side)) return to;
  let lo = from + 1;
  let hi = to - 1;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (inDeficit(r, mid, x, fee, side)) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

function inDeficit(r: PrefixRun, j: number, x: number, fee: number, side: 1 | -1): boolean {
  const q = r.size[j];
  return side === 1 ? fee * q * x - (r.collateral[j] + q * (x - r.entry[j])) > 0 : fee * q * x - (r.collateral[j] + q * (r.entry[j] - x)) > 0;
}

/**
 * The end of this round's run from `start`: the first index whose liquidation price the mark has not
 * crossed (longs: liq ≤ mark; shorts: liq ≥ mark). Galloping, so a round costs O(log run), and a
 * round that liquidates nothing in this market and side costs one comparison. For shorts the
 * comparison is mirrored by negating both sides, which is exact.
 */
function endOfRun(liq: Float64Array, start: number, mark: number, side: 1 | -1): number {
  const n = liq.length;
  const m = side * mark;
  if (start >= n || !(side * liq[start] > m)) return start;
  let lo = start; // crossed
  let step = 1;
  let hi = start + 1;
  while (hi < n && side * liq[hi] > m) {
    lo = hi;
    step *= 2;
    hi = start + step;
  }
  if (hi > n) hi = n;
  // liq[lo] is crossed, liq[hi] (if any) is not: the end is in (lo, hi].
  lo += 1;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (side * liq[mid] > m) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}
