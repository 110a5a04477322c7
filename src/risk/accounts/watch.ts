/**
 * Which accounts a round of the account cascade (./cascade.ts) must judge.
 *
 * An account's margin (./judge.ts: threshold-valued collateral − debt, or equity − maintenance,
 * less Aave's rounding cushion) is linear in the prices. Judged at prices p, with margin M and the
 * directional sensitivities FALL and RISE over the assets that can move, it cannot be liquidatable
 * at prices whose falls from p are at most F and whose rises are at most R unless
 * FALL × F + RISE × R ≥ M. Two uses:
 *
 * - An account not yet judged in a scenario is as compiled. Judged once at the book's prices, it
 *   has two distances: M ÷ FALL, the uniform fall that can bring it to the line, and M ÷ RISE.
 *   Accounts are sorted by each once per set of moving assets (and the sort kept on the book). When
 *   a scenario's prices are off the book's by falls ≤ F and rises ≤ R, FALL × F + RISE × R ≥ M
 *   implies fall distance ≤ F + R or rise distance ≤ F + R (F alone when nothing rose, R alone when
 *   nothing fell): the accounts to look at are two prefixes, and they only grow.
 * - An account judged in an earlier round, and unchanged since, is judged again only if the prices'
 *   falls and rises since then reach FALL × F + RISE × R ≥ M: one multiply-add instead of its legs.
 */
import type { CompiledBook } from "../book";
import type { CompiledAccounts } from "./compile";
import { FALL, JUDGE_SLOTS, judgeAccount, MARGIN, RISE, SENSITIVITY } from "./judge";

/** Per set of moving assets: accounts by fall distance and by rise distance, nearest first (infinite distances left out). */
export interface WatchOrder {
  fallOrder: Int32Array;
  fallDistance: Float64Array;
  riseOrder: Int32Array;
  riseDistance: Float64Array;
}

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
  const slot = new Float64Array(JUDGE_SLOTS);
  const fall = new Float64Array(acc.n);
  const rise = new Float64Array(acc.n);
  for (let i = 0; i < acc.n; i++) {
    judgeAccount(acc, acc.amount, basePrices, i, slot, moving);
    const m = watchMargin(slot);
    fall[i] = distance(m, slot[FALL]);
    rise[i] = distance(m, slot[RISE]);
  }
  const [fallOrder, fallDistance] = sortFinite(fall);
  const [riseOrder, riseDistance] = sortFinite(rise);
  return { fallOrder, fallDistance, riseOrder, riseDistance };
}

/** The relative move that can bring margin m to the line at sensitivity s; −1 when it is there already. */
function distance(m: number, s: number): number {
  if (!(m > 0)) return -1;
  return s > 0 ? m / s : Infinity;
}

function sortFinite(d: Float64Array): [Int32Array, Float64Array] {
  const idx: number[] = [];
  for (let i = 0; i < d.length; i++) if (d[i] !== Infinity) idx.push(i);
  idx.sort((a, b) => d[a] - d[b] || a - b);
  return [Int32Array.from(idx), Float64Array.from(idx, (i) => d[i])];
}
