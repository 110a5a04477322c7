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
import { openVenue, type ReusableVenue } from "./liquidity";

/**
 * One market and side in liquidation-price order, with compensated prefix sums. A round reads a
 * position's fields and the prefix sums at a few scattered indices of a large book, so they are
 * packed one record of 8 (64 bytes, a cache line) an index: `rec[j·8 + F]` with F one of the
 * offsets below; the liquidation prices, which the searches scan, stay a dense array of their own.
 */
export interface PrefixRun {
  /** Positions in the run. */
  n: number;
  /** Liquidation prices, in the order a moving price reaches them (longs descending, shorts ascending). */
  liq: Float64Array;
  /** Every BLOCK-th liquidation price (liq[b·BLOCK]): small enough to stay in cache, so a search probes the large array in one block only. */
  coarse: Float64Array;
  /**
   * (n + 1) records: position j's size, entry and collateral (zeros at j = n), and the double-double
   * (hi, lo) sums of size and of K over positions [0, j) (K = q·e − c for longs, c + q·e for shorts).
   */
  rec: Float64Array;
}

// Offsets in a PrefixRun record.
const SIZE = 0;
const ENTRY = 1;
const COLLATERAL = 2;
const SIZE_HI = 4;
const SIZE_LO = 5;
const K_HI = 6;
const K_LO = 7;
const STRIDE = 8;
const BLOCK = 16;

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
  const liq = new Float64Array(n);
  const rec = new Float64Array((n + 1) * STRIDE);
  const t = new Float64Array(2);
  const u = new Float64Array(2);
  let lastRatio = side === 1 ? Infinity : -Infinity;
  for (let j = 0; j < n; j++) {
    const i = order[j];
    const q = book.size[i];
    const e = book.entry[i];
    const c = book.collateral[i];
    const at = j * STRIDE;
    const next = at + STRIDE;
    liq[j] = book.liqPrice[i];
    rec[at + SIZE] = q;
    rec[at + ENTRY] = e;
    rec[at + COLLATERAL] = c;
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
    ddAdd(rec[at + SIZE_HI], rec[at + SIZE_LO], q, 0, t);
    rec[next + SIZE_HI] = t[0];
    rec[next + SIZE_LO] = t[1];
    ddAdd(rec[at + K_HI], rec[at + K_LO], kh, kl, t);
    rec[next + K_HI] = t[0];
    rec[next + K_LO] = t[1];
  }
  const coarse = new Float64Array(Math.ceil(n / BLOCK));
  for (let b = 0; b < coarse.length; b++) coarse[b] = liq[b * BLOCK];
  return { n, liq, coarse, rec };
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
 * One engine per compiled book, its buffers reused scenario after scenario (a grid or a
 * breaking-shock search runs hundreds, Value at Risk thousands): a new one allocated ~25 typed
 * arrays each time, and on a millisecond grid the garbage collector's pauses were most of the
 * spread between runs. Safe because a run resets every buffer it reads, and every caller copies
 * what it keeps from a run before the next.
 */
const engines = new WeakMap<PrefixIndex, PrefixCascade>();
export function prefixEngine(book: CompiledBook, index: Extract<PrefixIndex, { kind: "ready" }>): PrefixCascade {
  let engine = engines.get(index);
  if (!engine) engines.set(index, (engine = new PrefixCascade(book, index)));
  return engine;
}

/**
 * A cascade engine over one book's prefix index. Its scratch arrays and venues are allocated once
 * and reused, so many scenarios (a grid, Value at Risk's samples) allocate nothing per scenario.
 * `run` returns this engine's tally, valid until the next run.
 */
export class PrefixCascade {
  private readonly M: number;
  private readonly A: number;
  private readonly P: number;
  // The markets' fields the hot loop reads, flattened.
  private readonly marketAsset: Int32Array;
  private readonly marketProtocol: Int32Array;
  private readonly basis: Float64Array;
  private readonly fee: Float64Array;
  private readonly lp: Int32Array;
  private readonly sp: Int32Array;
  private readonly roundStartL: Int32Array;
  private readonly roundStartS: Int32Array;
  /** This round's liquidated size per market and side (each range summed once a round). */
  private readonly roundSizeL: Float64Array;
  private readonly roundSizeS: Float64Array;
  private readonly netSold: Float64Array;
  private readonly traded: Uint8Array;
  private readonly avg: Float64Array;
  private readonly roundStartPrice: Float64Array;
  private readonly unfilledShare: Float64Array;
  private readonly venues: ReusableVenue[];
  private readonly fill = new Float64Array(3);
  private readonly dd = new Float64Array(2);
  private readonly dd2 = new Float64Array(2);
  private readonly tally: CascadeTally;

  constructor(
    book: CompiledBook,
    private readonly index: Extract<PrefixIndex, { kind: "ready" }>,
  ) {
    const M = (this.M = book.markets.length);
    const A = (this.A = book.assets.length);
    const P = (this.P = book.protocols.length);
    this.marketAsset = Int32Array.from(book.markets, (mk) => mk.asset);
    this.marketProtocol = Int32Array.from(book.markets, (mk) => mk.protocol);
    this.basis = Float64Array.from(book.markets, (mk) => mk.basis);
    this.fee = Float64Array.from(book.markets, (mk) => mk.liquidationFee);
    this.lp = new Int32Array(M);
    this.sp = new Int32Array(M);
    this.roundStartL = new Int32Array(M);
    this.roundStartS = new Int32Array(M);
    this.roundSizeL = new Float64Array(M);
    this.roundSizeS = new Float64Array(M);
    this.netSold = new Float64Array(A);
    this.traded = new Uint8Array(A);
    this.avg = new Float64Array(A);
    this.roundStartPrice = new Float64Array(A);
    this.unfilledShare = new Float64Array(A);
    this.venues = book.assets.map((a) => openVenue(a.liquidity, a.price, a.price));
    this.tally = {
      prices: new Float64Array(A),
      rounds: 0,
      truncated: false,
      openPositions: new Int32Array(P),
      liquidatedSize: new Float64Array(M),
      liquidatedNotional: new Float64Array(P),
      liquidatedCount: new Int32Array(P),
      deficit: new Float64Array(P),
      marketDeficit: new Float64Array(M),
    };
  }

  /** Cascades from shocked asset prices (indexed like book.assets) to the fixed point. */
  run(shockedPrices: Float64Array, maxRounds: number): CascadeTally {
    const {
      index,
      M,
      A,
      P,
      marketAsset,
      marketProtocol,
      basis,
      fee,
      lp,
      sp,
      roundStartL,
      roundStartS,
      roundSizeL,
      roundSizeS,
      netSold,
      traded,
      avg,
      roundStartPrice,
      unfilledShare,
      venues,
      fill,
      tally,
    } = this;
    const { longs, shorts } = index;
    const prices = tally.prices;
    const { liquidatedSize, liquidatedNotional, liquidatedCount, deficit, marketDeficit, openPositions } = tally;
    // Plain loops, not fill/set: these arrays have a handful of entries, and a builtin call costs more than the loop.
    for (let a = 0; a < A; a++) venues[a].reopen((prices[a] = shockedPrices[a]));
    for (let m = 0; m < M; m++) lp[m] = sp[m] = liquidatedSize[m] = marketDeficit[m] = 0;
    for (let p = 0; p < P; p++) liquidatedNotional[p] = liquidatedCount[p] = deficit[p] = openPositions[p] = 0;

    let rounds = 0;
    tally.truncated = false;
    for (;;) {
      for (let a = 0; a < A; a++) netSold[a] = traded[a] = 0;
      let any = false;
      for (let m = 0; m < M; m++) {
        const a = marketAsset[m];
        const mark = prices[a] * basis[m];
        const L = longs[m];
        const S = shorts[m];
        const l0 = (roundStartL[m] = lp[m]);
        const s0 = (roundStartS[m] = sp[m]);
        const j = endOfRun(L, l0, mark, 1);
        const k = endOfRun(S, s0, mark, -1);
        lp[m] = j;
        sp[m] = k;
        if (j === l0 && k === s0) continue;
        any = true;
        traded[a] = 1;
        const sizeL = (roundSizeL[m] = this.rangeSize(L, l0, j));
        const sizeS = (roundSizeS[m] = this.rangeSize(S, s0, k));
        netSold[a] += sizeL - sizeS;
        liquidatedCount[marketProtocol[m]] += j - l0 + (k - s0);
      }
      if (!any) break;
      if (rounds === maxRounds) {
        // Put back what this round found, as the walk does: it was not liquidated and stays open.
        for (let m = 0; m < M; m++) liquidatedCount[marketProtocol[m]] -= lp[m] - roundStartL[m] + (sp[m] - roundStartS[m]);
        for (let m = 0; m < M; m++) {
          lp[m] = roundStartL[m];
          sp[m] = roundStartS[m];
        }
        tally.truncated = true;
        break;
      }
      rounds++;

      for (let a = 0; a < A; a++) roundStartPrice[a] = prices[a];
      for (let a = 0; a < A; a++) {
        if (!traded[a]) continue;
        const sold = netSold[a];
        venues[a].tradeInto(sold, fill);
        avg[a] = fill[0];
        prices[a] = fill[1];
        unfilledShare[a] = sold !== 0 ? fill[2] / Math.abs(sold) : 0;
      }

      for (let m = 0; m < M; m++) {
        const l0 = roundStartL[m];
        const s0 = roundStartS[m];
        if (lp[m] === l0 && sp[m] === s0) continue;
        const a = marketAsset[m];
        const b = basis[m];
        const u = unfilledShare[a];
        const exec = avg[a] * b;
        const sold = netSold[a];
        // The walk's execution prices: an unfilled share of a sale recovers nothing, of a purchase costs the final price.
        const longExec = sold > 0 ? exec * (1 - u) : exec;
        const shortExec = sold < 0 ? exec * (1 - u) + prices[a] * b * u : exec;
        const def = this.longDeficit(longs[m], l0, lp[m], longExec, fee[m]) + this.shortDeficit(shorts[m], s0, sp[m], shortExec, fee[m]);
        const liqSize = roundSizeL[m] + roundSizeS[m];
        const p = marketProtocol[m];
        liquidatedSize[m] += liqSize;
        // Notional at the mark that triggered the round (the price before this round's trade).
        liquidatedNotional[p] += liqSize * roundStartPrice[a] * b;
        deficit[p] += def;
        marketDeficit[m] += def;
      }
    }
    tally.rounds = rounds;
    for (let m = 0; m < M; m++) openPositions[marketProtocol[m]] += longs[m].n - lp[m] + (shorts[m].n - sp[m]);
    return tally;
  }

  private rangeSize(r: PrefixRun, from: number, to: number): number {
    if (to === from) return 0;
    const rec = r.rec;
    const t = to * STRIDE;
    const f = from * STRIDE;
    ddAdd(rec[t + SIZE_HI], rec[t + SIZE_LO], -rec[f + SIZE_HI], -rec[f + SIZE_LO], this.dd);
    return this.dd[0] + this.dd[1];
  }

  /** Σ max(0, fee·q·X − (c + q·(X − e))) over longs [from, to) = ΣK − (1 − fee)·X·Σq over the prefix in deficit. */
  private longDeficit(r: PrefixRun, from: number, to: number, x: number, fee: number): number {
    const lo = deficitEnd(r, from, to, x, fee, 1);
    if (lo === from) return 0;
    const { dd, dd2 } = this;
    const rec = r.rec;
    const l = lo * STRIDE;
    const f = from * STRIDE;
    ddAdd(rec[l + SIZE_HI], rec[l + SIZE_LO], -rec[f + SIZE_HI], -rec[f + SIZE_LO], dd);
    ddMulNumber(dd[0], dd[1], x, dd2); // X·Σq
    const xqH = dd2[0];
    const xqL = dd2[1];
    ddMulNumber(xqH, xqL, -fee, dd); // −fee·X·Σq
    ddAdd(xqH, xqL, dd[0], dd[1], dd2); // (1 − fee)·X·Σq
    const fxqH = dd2[0];
    const fxqL = dd2[1];
    ddAdd(rec[l + K_HI], rec[l + K_LO], -rec[f + K_HI], -rec[f + K_LO], dd); // ΣK
    ddAdd(dd[0], dd[1], -fxqH, -fxqL, dd2);
    return Math.max(0, dd2[0] + dd2[1]);
  }

  /** Σ max(0, fee·q·X − (c + q·(e − X))) over shorts [from, to) = (1 + fee)·X·Σq − ΣK over the prefix in deficit. */
  private shortDeficit(r: PrefixRun, from: number, to: number, x: number, fee: number): number {
    const lo = deficitEnd(r, from, to, x, fee, -1);
    if (lo === from) return 0;
    const { dd, dd2 } = this;
    const rec = r.rec;
    const l = lo * STRIDE;
    const f = from * STRIDE;
    ddAdd(rec[l + SIZE_HI], rec[l + SIZE_LO], -rec[f + SIZE_HI], -rec[f + SIZE_LO], dd);
    ddMulNumber(dd[0], dd[1], x, dd2); // X·Σq
    const xqH = dd2[0];
    const xqL = dd2[1];
    ddMulNumber(xqH, xqL, fee, dd); // fee·X·Σq
    ddAdd(xqH, xqL, dd[0], dd[1], dd2); // (1 + fee)·X·Σq
    const fxqH = dd2[0];
    const fxqL = dd2[1];
    ddAdd(rec[l + K_HI], rec[l + K_LO], -rec[f + K_HI], -rec[f + K_LO], dd); // ΣK
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
  const rec = r.rec;
  const at = j * STRIDE;
  const q = rec[at + SIZE];
  return side === 1 ? fee * q * x - (rec[at + COLLATERAL] + q * (x - rec[at + ENTRY])) > 0 : fee * q * x - (rec[at + COLLATERAL] + q * (rec[at + ENTRY] - x)) > 0;
}

/**
 * The end of this round's run from `start`: the first index whose liquidation price the mark has not
 * crossed (longs: liq ≤ mark; shorts: liq ≥ mark). A round that liquidates nothing in this market
 * and side costs one comparison; otherwise a galloping search over the coarse prices finds the block
 * the run ends in (O(log run), in cache), then a binary search inside that block. For shorts the
 * comparison is mirrored by negating both sides, which is exact.
 */
function endOfRun(r: PrefixRun, start: number, mark: number, side: 1 | -1): number {
  const { liq, coarse } = r;
  const n = liq.length;
  const m = side * mark;
  if (start >= n || !(side * liq[start] > m)) return start;
  // Blocks b ≤ start/BLOCK begin at or before start, whose price is crossed; gallop over the later ones
  // for the first block whose first price is not crossed (or the end).
  const first = ((start / BLOCK) | 0) + 1;
  const B = coarse.length;
  let lo = first - 1; // coarse[lo] crossed (or before start, which is crossed)
  let hi = first;
  let step = 1;
  while (hi < B && side * coarse[hi] > m) {
    lo = hi;
    step *= 2;
    hi = first - 1 + step;
  }
  if (hi > B) hi = B;
  while (hi - lo > 1) {
    const mid = (lo + hi) >>> 1;
    if (side * coarse[mid] > m) lo = mid;
    else hi = mid;
  }
  // liq[j] is crossed for j < lo·BLOCK + 1 at least up to start; the end is in (max(start, lo·BLOCK), min(n, hi·BLOCK)].
  let a = Math.max(start, lo * BLOCK) + 1;
  let z = Math.min(n, hi * BLOCK);
  while (a < z) {
    const mid = (a + z) >>> 1;
    if (side * liq[mid] > m) a = mid + 1;
    else z = mid;
  }
  return a;
}
