/**
 * Which accounts a round of the account cascade (./cascade.ts) must judge.
 *
 * An account's margin (./judge.ts: threshold-valued collateral − debt, or equity − maintenance,
 * less Aave's rounding cushion) is linear in the prices. Judged at prices p, with margin M and the
 * directional sensitivities FALL and RISE over the assets that can move, it cannot be liquidatable
 * at prices whose falls from p are at most F and whose rises are at most R unless
 * FALL × F + RISE × R ≥ M. Tighter: when every moving asset's relative move lies in [lo, hi], the
 * margin is at least M + FALL × lo − RISE × hi (each leg at its worst end of the range), which is
 * the bound above when the range holds 0 and much higher when the assets move together, as in a
 * crash: with the centre c = (lo + hi) ÷ 2 and half-width D, it is M + c × (FALL − RISE) −
 * D × (FALL + RISE). Two uses:
 *
 * - An account not yet judged in a scenario is as compiled, and is judged once at the book's
 *   prices per set of moving assets (kept on the book). If only one moving asset a touches its margin,
 *   the margin is M + (FALL − RISE) × r, r being a's relative move from the book's price: it comes to
 *   the line exactly when a falls by M ÷ (FALL − RISE) (or rises by M ÷ (RISE − FALL)). Such accounts
 *   are sorted per asset by that distance. Any other account is sorted, per spread width W (SPREADS),
 *   by the common move that can bring it to the line while the moves stay within W of their centre:
 *   a fall of (M − W × (FALL + RISE)) ÷ (FALL − RISE) when FALL > RISE, likewise a rise when RISE >
 *   FALL, and at once when FALL = RISE and M ≤ W × (FALL + RISE). A round looks at the prefixes of the
 *   narrowest width that holds the moves. Past the widest, two distances: M ÷ FALL, the fall that can
 *   bring it to the line, and M ÷ RISE; when the prices are off the book's by falls ≤ F and rises ≤ R,
 *   FALL × F + RISE × R ≥ M implies fall distance ≤ F + R or rise distance ≤ F + R (F alone when
 *   nothing rose, R alone when nothing fell). Either way the accounts to look at are prefixes of
 *   sorted lists, and they only grow during a scenario.
 * - An account judged in an earlier round, and unchanged since, is judged again only if the prices'
 *   moves since then, in [lo, hi], can bring it to the line: M + FALL × lo − RISE × hi ≤ 0, one
 *   multiply-add instead of its legs.
 */
import type { CompiledBook } from "../book";
import { FAMILY_AAVE, LEG_COLLATERAL, type CompiledAccounts } from "./compile";
import { FALL, JUDGE_SLOTS, judgeAccount, MARGIN, RISE, SENSITIVITY } from "./judge";

/** Accounts and their distances to the line, nearest first (infinite distances left out). */
export interface WatchList {
  ids: Int32Array;
  distance: Float64Array;
  /**
   * Per account, the move past which it is liquidatable for certain (per-asset and spread lists), a
   * margin account's margin being below the line by more than the judge's float error; Infinity for
   * other accounts, whose liquidation needs the judge's figures, and in the other lists. Every list
   * has one, so that the cascade reads lists of one shape.
   */
  certain: Float64Array;
}

/** The other accounts by the common fall, and the common rise, that can bring them to the line while the moves stay within `width` of their centre. */
export interface SpreadWatch {
  width: number;
  fall: WatchList;
  rise: WatchList;
}

/** Per set of moving assets: the accounts one asset's move decides, per asset and direction; every other account per spread width, and by fall and by rise distance past the widest. */
export interface WatchOrder {
  /** Per asset: its single-asset accounts by the fall of that asset that brings them to the line. */
  assetFall: WatchList[];
  /** Per asset: by the rise. */
  assetRise: WatchList[];
  /** Narrowest first. */
  spread: SpreadWatch[];
  fall: WatchList;
  rise: WatchList;
}

/**
 * Spread widths the other accounts are sorted for. A correlated shock moves every asset alike
 * (the first, only float noise); each round's trades then spread the moves by up to a few percent.
 */
const SPREADS = [1e-9, 0.003, 0.01, 0.03, 0.1];

/** Sets of moving assets a book keeps orders for; past that the cache starts again. */
const MAX_CACHED_ORDERS = 8;

/**
 * The assets whose price can differ from the book's in a scenario that starts at `prices`: those
 * it shocks, and those with a pool the cascade's trades move. Every other asset keeps the book's price.
 */
export function movingAssets(book: CompiledBook, prices: Float64Array): Uint8Array {
  return Uint8Array.from(book.assets, (a, i) => (prices[i] !== a.price || a.liquidity.kind !== "none" ? 1 : 0));
}

/**
 * The margin the cascade compares with FALL × F + RISE × R: the judge's, less a tolerance far above
 * the rounding of its sums, so that no float error can hide an account at the line.
 */
export function watchMargin(slot: Float64Array): number {
  return slot[MARGIN] - 1e-9 * slot[SENSITIVITY];
}

/** The accounts' order for `moving` (made on first use and kept on the compiled accounts). */
export function watchOrder(acc: CompiledAccounts, basePrices: Float64Array, moving: Uint8Array): WatchOrder {
  const key = moving.join("");
  acc.watch ??= new Map();
  let order = acc.watch.get(key);
  if (!order) {
    if (acc.watch.size >= MAX_CACHED_ORDERS) acc.watch.clear();
    order = buildWatchOrder(acc, basePrices, moving);
    acc.watch.set(key, order);
  }
  return order;
}

function buildWatchOrder(acc: CompiledAccounts, basePrices: Float64Array, moving: Uint8Array): WatchOrder {
  const A = basePrices.length;
  const slot = new Float64Array(JUDGE_SLOTS);
  const fall = new Float64Array(acc.n).fill(Infinity);
  const rise = new Float64Array(acc.n).fill(Infinity);
  const single = new Int32Array(acc.n); // the one moving asset touching the margin, or −1
  const certain = new Float64Array(acc.n).fill(Infinity);
  // A margin account's margin plus the judge's float error: above its true margin (Infinity for Aave).
  const marginAbove = new Float64Array(acc.n).fill(Infinity);
  const margin = new Float64Array(acc.n);
  const falls = new Float64Array(acc.n);
  const rises = new Float64Array(acc.n);
  for (let i = 0; i < acc.n; i++) {
    judgeAccount(acc, acc.amount, basePrices, i, slot, moving);
    const m = (margin[i] = watchMargin(slot));
    falls[i] = slot[FALL];
    rises[i] = slot[RISE];
    if (acc.family[i] !== FAMILY_AAVE) marginAbove[i] = slot[MARGIN] + 1e-9 * slot[SENSITIVITY];
    const a = (single[i] = soleMovingAsset(acc, i, moving));
    if (a >= 0 && m > 0) {
      const k = slot[FALL] - slot[RISE];
      if (k > 0) fall[i] = m / k;
      else if (k < 0) rise[i] = m / -k;
      if (k !== 0) certain[i] = marginAbove[i] / Math.abs(k);
    } else {
      fall[i] = distance(m, slot[FALL]);
      rise[i] = distance(m, slot[RISE]);
    }
  }
  const none = new Float64Array(acc.n).fill(Infinity);
  const pick = (d: Float64Array, a: number, certainty = none) => sortFinite(d, (i) => single[i] === a, certainty);
  const spread = SPREADS.map((width): SpreadWatch => {
    const commonFall = new Float64Array(acc.n).fill(Infinity);
    const commonRise = new Float64Array(acc.n).fill(Infinity);
    const commonCertain = new Float64Array(acc.n).fill(Infinity);
    for (let i = 0; i < acc.n; i++) {
      if (single[i] >= 0) continue;
      const m = margin[i] - width * (falls[i] + rises[i]);
      const k = falls[i] - rises[i];
      if (k > 0) commonFall[i] = m / k;
      else if (k < 0) commonRise[i] = m / -k;
      else if (m <= 0) commonFall[i] = -Infinity;
      // Moves within the width of their centre c change the margin by at most c × (FALL − RISE) + width × (FALL + RISE).
      if (k !== 0) commonCertain[i] = (marginAbove[i] + width * (falls[i] + rises[i])) / Math.abs(k);
    }
    return { width, fall: pick(commonFall, -1, commonCertain), rise: pick(commonRise, -1, commonCertain) };
  });
  return {
    assetFall: Array.from({ length: A }, (_, a) => pick(fall, a, certain)),
    assetRise: Array.from({ length: A }, (_, a) => pick(rise, a, certain)),
    spread,
    fall: pick(fall, -1),
    rise: pick(rise, -1),
  };
}

/** The only moving asset among account i's non-zero legs that count in its margin; −1 if none or several. */
function soleMovingAsset(acc: CompiledAccounts, i: number, moving: Uint8Array): number {
  let sole = -1;
  for (let k = acc.legStart[i]; k < acc.legStart[i + 1]; k++) {
    const a = acc.asset[k];
    if (a < 0 || moving[a] !== 1 || acc.amount[k] === 0 || (acc.kind[k] === LEG_COLLATERAL && acc.weight[k] === 0)) continue;
    if (sole >= 0 && sole !== a) return -1;
    sole = a;
  }
  return sole;
}

/** The relative move that can bring margin m to the line at sensitivity s; −1 when it is there already. */
function distance(m: number, s: number): number {
  if (!(m > 0)) return -1;
  return s > 0 ? m / s : Infinity;
}

function sortFinite(d: Float64Array, keep: (i: number) => boolean, certain: Float64Array): WatchList {
  const idx: number[] = [];
  for (let i = 0; i < d.length; i++) if (d[i] !== Infinity && keep(i)) idx.push(i);
  idx.sort((a, b) => d[a] - d[b] || a - b);
  return { ids: Int32Array.from(idx), distance: Float64Array.from(idx, (i) => d[i]), certain: Float64Array.from(idx, (i) => certain[i]) };
}
