/**
 * The liquidation cascade over accounts (cross-margin perps, Aave V3 lending, and isolated
 * positions as one-exposure accounts), in rounds like the isolated cascade (../cascade.ts):
 *
 * 1. every open account is judged by its family's rule at the current prices;
 * 2. a liquidatable margin account has all its positions closed and its non-USD collateral sold;
 *    a liquidatable Aave account gets one `liquidationCall` (largest collateral, largest debt,
 *    close factor and bonus as in ./aave.ts) at the round's oracle prices;
 * 3. per asset, the round's flows are netted — closes of longs and seized collateral sell the
 *    asset, closes of shorts and debt repayments buy it — and traded against the asset's pool;
 *    margin accounts settle at the trade's average price (fee paid in full, as in the isolated
 *    cascade); the trade moves the price and the next round starts.
 *
 * A margin account's deficit is what its equity cannot pay; an Aave account's is the debt left
 * when its collateral is gone. Deficits are paid by the insurance fund, the rest is shortfall.
 *
 * Cost: a round judges only the accounts that can have come to the line (./watch.ts). An account
 * is looked at once the prices are off the book's by enough to bring it there (the two prefixes of
 * its watch order); after that, while it waits, each round first checks, with one multiply-add,
 * whether the moves since it was last judged can have brought it there, and judges its legs only
 * then. An account a liquidation emptied a leg of is always judged again (one it only shrank gets its
 * watch from the change). The waiting accounts' checks run over a list of their figures, side by
 * side, before the round; the accounts to judge are kept as a bitset over the compiled layout and
 * walked in index order, so the liquidations found, and the order their flows are summed in, are
 * exactly those of the reference (`reference`: every open account judged every round). Open
 * exposure is kept as running sums and a count of open legs, so the summary does not re-scan
 * either, and a scenario restores the balances it changed instead of copying them all.
 */
import type { CompiledBook } from "../book";
import type { ScenarioResult, ShockVector } from "../cascade";
import { scenarioOutcome } from "../outcome";
import { openVenue, type Venue } from "../liquidity";
import { liquidateInto } from "./aave";
import { FAMILY_AAVE, type CompiledAccounts } from "./compile";
import { aaveWatchFigures, CLOSE_FACTOR, COLLATERAL_LEG, COLLATERAL_LEGS, DEBT_LEG, DEBT_LEGS, FALL, JUDGE_SLOTS, judgeAaveLiquidation, judgeMargin, MARGIN, RISE, SENSITIVITY } from "./judge";
import { movingAssets, watchMargin, watchOrder, type WatchList } from "./watch";

/**
 * A round always liquidates something, but an Aave account can be liquidated again and again
 * (each call repays at most the close factor): the default bound is generous, and hitting it is
 * reported as `truncated`, never silent.
 */
export function defaultAccountRounds(acc: CompiledAccounts): number {
  return acc.n + 16 * acc.legs + 1;
}

/** Per-account buffers of the cascade, the book's, reused by every scenario (a scenario runs to its end synchronously). */
export interface CascadeScratch {
  /** Balances as the scenario changes them; equal to the compiled ones between scenarios. */
  amount: Float64Array;
  /**
   * Bitsets over the accounts, small enough to stay in cache where the per-account arrays do not:
   * `reached`, reached by the watch order in this scenario; `fresh`, to be judged in the next
   * round's scan (just reached, due by its watch, or a liquidation emptied one of its legs);
   * `certain`, a margin account reached past the move that makes it liquidatable for certain
   * (./watch.ts), liquidated without its legs judged; `dirty`, an Aave account whose balances the
   * scenario changed (a closed margin account's are left as they were), restored from the compiled
   * ones afterwards in index order, rather than leg by leg per liquidationCall.
   */
  reached: Uint32Array;
  fresh: Uint32Array;
  certain: Uint32Array;
  dirty: Uint32Array;
  /**
   * The open accounts judged and not liquidatable (or only shrunk by a liquidation) since, waiting
   * for the prices to move: WAITING numbers each, side by side so that a round checks them in one
   * sweep (the account, the round it was last judged in, and at that judgment the watch margin and
   * the directional sensitivities FALL and RISE, ./watch.ts). An open account is either waiting,
   * fresh or certain, never two of them.
   */
  waiting: Float64Array;
  /** Margin accounts a round closes (see cascadeAccounts). */
  closing: Int32Array;
}

/** Numbers per waiting account (see CascadeScratch). */
const WAITING = 5;

function scratchFor(acc: CompiledAccounts): CascadeScratch {
  const n = acc.n;
  acc.scratch ??= {
    amount: acc.amount.slice(),
    reached: new Uint32Array((n + 31) >>> 5),
    fresh: new Uint32Array((n + 31) >>> 5),
    certain: new Uint32Array((n + 31) >>> 5),
    dirty: new Uint32Array((n + 31) >>> 5),
    waiting: new Float64Array(WAITING * n),
    closing: new Int32Array(n),
  };
  return acc.scratch;
}

/**
 * One scenario through the account cascade. `reference` judges every open account every round
 * (the plain rule the watch is checked against); otherwise only the accounts ./watch.ts says can
 * have come to the line are judged. Both give the same liquidations in the same order.
 */
export function runAccountScenario(book: CompiledBook, shocks: ShockVector, prices: Float64Array, maxRounds: number, reference = false): ScenarioResult {
  const acc = book.accounts!;
  const scratch = scratchFor(acc);
  try {
    return cascadeAccounts(book, acc, scratch, shocks, prices, maxRounds, reference);
  } finally {
    // Put back the balances the scenario changed, for the next scenario: per word of the bitset, the
    // legs from its first changed account to its last in one run (the accounts between are unchanged,
    // so copying them too changes nothing, and one run costs less than an account at a time).
    const { amount, dirty } = scratch;
    const { legStart } = acc;
    for (let w = 0; w < dirty.length; w++) {
      const bits = dirty[w];
      if (bits === 0) continue;
      dirty[w] = 0;
      const first = (w << 5) | (31 - Math.clz32(bits & -bits));
      const last = (w << 5) | (31 - Math.clz32(bits));
      for (let k = legStart[first]; k < legStart[last + 1]; k++) amount[k] = acc.amount[k];
    }
  }
}

function cascadeAccounts(book: CompiledBook, acc: CompiledAccounts, scratch: CascadeScratch, shocks: ShockVector, prices: Float64Array, maxRounds: number, reference: boolean): ScenarioResult {
  const A = book.assets.length;
  const P = book.protocols.length;
  const n = acc.n;
  const { legStart, exposureStart, asset, side, entry, weight, bonus, protocolFee, basis, family, protocol } = acc;
  const { reached, fresh, certain, dirty, waiting } = scratch;
  const amt = scratch.amount;
  const words = fresh.length;
  const venues: Venue[] = book.assets.map((a, i) => openVenue(a.liquidity, prices[i], a.price));
  const basePrices = Float64Array.from(book.assets, (a) => a.price);
  const moving = movingAssets(book, prices);
  const order = reference ? null : watchOrder(acc, basePrices, moving);
  reached.fill(0);
  certain.fill(0);
  if (reference) {
    fresh.fill(0xffffffff);
    if (n & 31) fresh[words - 1] = (1 << (n & 31)) - 1;
  } else fresh.fill(0);
  let waitingCount = 0;

  const slot = new Float64Array(JUDGE_SLOTS);
  const liq = new Float64Array(4);
  const priceHistory: Float64Array[] = [];
  // Per earlier round: the least and the most relative move of the moving assets' prices since then.
  const lowSince: number[] = [];
  const highSince: number[] = [];
  const exposureUnits = acc.exposureUnits.slice();
  const exposureLegs = acc.exposureLegs.slice();
  const liquidatedNotional = new Float64Array(P);
  const liquidatedCount = new Int32Array(P);
  const deficit = new Float64Array(P);
  const removed = new Float64Array(P * A); // collateral units that left each protocol
  const net = new Float64Array(A);
  const traded = new Uint8Array(A);
  const sellExec = new Float64Array(A);
  const buyExec = new Float64Array(A);
  // Margin accounts closed this round, closing[0 … closingCount): an account closes once, so n is enough.
  const closing = scratch.closing;
  let closingCount = 0;

  /** Starts looking at the accounts of a watch list's prefix up to distance `d`, from `from`; returns where it stopped. */
  const reach = (list: WatchList, from: number, d: number): number => {
    const { ids, distance, certain: certainPast } = list;
    const end = ids.length;
    let j = from;
    for (; j < end && distance[j] <= d; j++) {
      const i = ids[j];
      const bit = 1 << (i & 31);
      if (reached[i >>> 5] & bit) continue;
      reached[i >>> 5] |= bit;
      if (certainPast[j] < d) certain[i >>> 5] |= bit;
      else fresh[i >>> 5] |= bit;
    }
    return j;
  };

  // How far each watch list has been looked at: per asset falls and rises, the other accounts' falls and rises, then theirs per spread width.
  const prefixEnd = new Int32Array(2 * A + 2 + 2 * (order?.spread.length ?? 0));
  let rounds = 0;
  let truncated = false;
  for (;;) {
    if (order) {
      // The most any price fell and rose from the book's, and the range of the moving ones: the prefixes to look at.
      let f = 0;
      let r = 0;
      let low = Infinity;
      let high = -Infinity;
      for (let a = 0; a < A; a++) {
        const x = prices[a] / basePrices[a] - 1;
        prefixEnd[a] = reach(order.assetFall[a], prefixEnd[a], x < 0 ? -x : 0);
        prefixEnd[A + a] = reach(order.assetRise[a], prefixEnd[A + a], x > 0 ? x : 0);
        if (-x > f) f = -x;
        if (x > r) r = x;
        if (moving[a] === 1 && x < low) low = x;
        if (moving[a] === 1 && x > high) high = x;
      }
      if (low > high) low = high = 0;
      const centre = (low + high) / 2;
      const tier = order.spread.findIndex((s) => s.width >= (high - low) / 2);
      if (tier >= 0) {
        const at = 2 * A + 2 + 2 * tier;
        prefixEnd[at] = reach(order.spread[tier].fall, prefixEnd[at], -centre);
        prefixEnd[at + 1] = reach(order.spread[tier].rise, prefixEnd[at + 1], centre);
      } else {
        prefixEnd[2 * A] = reach(order.fall, prefixEnd[2 * A], f === 0 ? 0 : f + r);
        prefixEnd[2 * A + 1] = reach(order.rise, prefixEnd[2 * A + 1], r === 0 ? 0 : f + r);
      }
    }
    const now = priceHistory.length;
    for (let j = 0; j < now; j++) {
      let low = Infinity;
      let high = -Infinity;
      const then = priceHistory[j];
      for (let a = 0; a < A; a++) {
        if (moving[a] !== 1) continue;
        const x = prices[a] / then[a] - 1;
        if (x < low) low = x;
        if (x > high) high = x;
      }
      lowSince[j] = low > high ? 0 : low;
      highSince[j] = low > high ? 0 : high;
    }
    priceHistory.push(prices.slice());
    // The waiting accounts that the moves since their judgment can have brought to the line are judged
    // this round; the others wait on. A due entry is replaced by the list's last (the list has no order).
    for (let e = 0; e < waitingCount;) {
      const o = WAITING * e;
      const at = waiting[o + 1];
      if (!reference && waiting[o + 2] + waiting[o + 3] * lowSince[at] - waiting[o + 4] * highSince[at] > 0) {
        e++;
        continue;
      }
      const i = waiting[o];
      fresh[i >>> 5] |= 1 << (i & 31);
      const last = WAITING * --waitingCount;
      for (let f = 0; f < WAITING; f++) waiting[o + f] = waiting[last + f];
    }
    // Judge, and liquidate each liquidatable account at once: a liquidation changes only that
    // account's balances and the round's flows, and the flows are summed in index order as ever.
    const judgeOnly = rounds === maxRounds;
    let hits = 0;
    net.fill(0);
    traded.fill(0);
    closingCount = 0;
    // The liquidations, and the waiting list's entries, are written out in this loop rather than
    // called: a call per account costs as much as the liquidation.
    scan: for (let w = 0; w < words; w++) {
      let bits = fresh[w] | certain[w];
      while (bits !== 0) {
        const low = bits & -bits;
        bits ^= low;
        const i = (w << 5) | (31 - Math.clz32(low));
        const p = protocol[i];
        const aave = family[i] === FAMILY_AAVE;
        let liquidatable = true;
        if (certain[w] & low) certain[w] ^= low;
        else {
          fresh[w] ^= low;
          liquidatable = aave ? judgeAaveLiquidation(acc, amt, prices, i, slot, false) : judgeMargin(acc, amt, prices, i, slot, moving);
        }
        if (!liquidatable) {
          if (aave) aaveWatchFigures(acc, amt, prices, i, slot, moving);
          const o = WAITING * waitingCount++;
          waiting[o] = i;
          waiting[o + 1] = now;
          waiting[o + 2] = watchMargin(slot);
          waiting[o + 3] = slot[FALL];
          waiting[o + 4] = slot[RISE];
          continue;
        }
        hits++;
        if (judgeOnly) break scan;
        if (aave) {
          // One liquidationCall at this round's prices: the account closes, or its watch is set from the
          // change, or it is marked fresh.
          const coll = slot[COLLATERAL_LEG] | 0;
          const debt = slot[DEBT_LEG] | 0;
          let colls = slot[COLLATERAL_LEGS];
          let debts = slot[DEBT_LEGS];
          let rewatch = false;
          dirty[w] |= low;
          if (coll >= 0) {
            const ca = asset[coll];
            const da = asset[debt];
            liquidateInto(liq, slot[CLOSE_FACTOR], amt[debt], prices[da], amt[coll], prices[ca], bonus[coll], protocolFee[coll]);
            const debtCovered = liq[0];
            const collateralTaken = liq[1];
            const toLiquidator = liq[2];
            // Both legs only shrink: the account stays open, and its watch starts from its figures before the call.
            rewatch = collateralTaken < amt[coll] && debtCovered < amt[debt];
            if (rewatch) aaveWatchFigures(acc, amt, prices, i, slot, moving);
            if (collateralTaken >= amt[coll]) {
              amt[coll] = 0;
              colls--;
            } else amt[coll] -= collateralTaken;
            const covered = Math.min(debtCovered, amt[debt]);
            if (debtCovered >= amt[debt]) {
              amt[debt] = 0;
              debts--;
              exposureLegs[p]--;
            } else amt[debt] -= debtCovered;
            if (rewatch) {
              // At this round's prices the margin moves by what the legs lost, and the account is judged
              // again only once the prices have moved that far. The running sums' rounding is far below
              // the watch's tolerance, and below a further 1e-12 of the sensitivity before.
              const takenValue = collateralTaken * prices[ca];
              const coveredValue = debtCovered * prices[da];
              const slope = weight[coll] - 1.1e-4;
              const sensitivity = slot[SENSITIVITY] - takenValue * (weight[coll] + 1.1e-4) - coveredValue;
              const o = WAITING * waitingCount++;
              waiting[o] = i;
              waiting[o + 1] = now;
              waiting[o + 2] = slot[MARGIN] - takenValue * slope + coveredValue - 1e-9 * sensitivity - 1e-12 * slot[SENSITIVITY];
              waiting[o + 3] = Math.max(0, slot[FALL] - (slope > 0 ? takenValue * slope * moving[ca] : 0));
              waiting[o + 4] = Math.max(0, slot[RISE] - coveredValue * moving[da] + (slope < 0 ? takenValue * slope * moving[ca] : 0));
            }
            exposureUnits[p * A + da] -= covered; // a debt's basis is 1
            net[ca] += toLiquidator;
            net[da] -= debtCovered;
            traded[ca] = 1;
            traded[da] = 1;
            removed[p * A + ca] += toLiquidator;
            liquidatedNotional[p] += debtCovered * prices[da];
            liquidatedCount[p]++;
          }
          if (debts > 0 && colls === 0) {
            // Nothing left to seize: the rest of the debt is bad debt.
            for (let k = exposureStart[i]; k < legStart[i + 1]; k++) {
              if (amt[k] === 0) continue;
              const units = amt[k];
              deficit[p] += units * prices[asset[k]];
              amt[k] = 0;
              exposureUnits[p * A + asset[k]] -= units;
              exposureLegs[p]--;
            }
            debts = 0;
          }
          if (debts > 0 && !rewatch) fresh[w] |= low;
          continue;
        }
        // Closed: all its positions, and its non-USD collateral sold, settled after the round's trades.
        // Its collateral legs come first, then its positions: two loops, no branch on the leg's kind.
        const x = exposureStart[i];
        for (let k = legStart[i]; k < x; k++) {
          const a = asset[k];
          if (a >= 0 && amt[k] > 0) {
            net[a] += amt[k];
            traded[a] = 1;
            removed[p * A + a] += amt[k];
          }
        }
        for (let k = x; k < legStart[i + 1]; k++) {
          const a = asset[k];
          net[a] += side[k] * amt[k];
          traded[a] = 1;
          liquidatedNotional[p] += amt[k] * prices[a] * basis[k];
          liquidatedCount[p]++;
        }
        closing[closingCount++] = i;
      }
    }
    if (hits === 0) break;
    if (judgeOnly) {
      truncated = true;
      break;
    }
    rounds++;

    for (let a = 0; a < A; a++) {
      if (!traded[a]) continue;
      const fill = venues[a].trade(net[a]);
      const u = net[a] !== 0 ? fill.unfilled / Math.abs(net[a]) : 0;
      // Unfilled sales recover nothing; unfilled purchases cost the pushed-up final price.
      sellExec[a] = net[a] > 0 ? fill.avgPrice * (1 - u) : fill.avgPrice;
      buyExec[a] = net[a] < 0 ? fill.avgPrice * (1 - u) + fill.newPrice * u : fill.avgPrice;
      prices[a] = fill.newPrice;
    }

    // Closed margin accounts settle at the round's execution prices; their balances stay as they were (the account is closed).
    for (let c = 0; c < closingCount; c++) {
      const i = closing[c];
      let equity = 0;
      let fees = 0;
      const p = protocol[i];
      const x = exposureStart[i];
      for (let k = legStart[i]; k < x; k++) {
        const a = asset[k];
        equity += a < 0 ? amt[k] : amt[k] * sellExec[a];
      }
      for (let k = x; k < legStart[i + 1]; k++) {
        const a = asset[k];
        const q = amt[k];
        const exec = (side[k] === 1 ? sellExec[a] : buyExec[a]) * basis[k];
        equity += side[k] * q * (exec - entry[k]);
        fees += bonus[k] * q * exec;
        if (q > 0) {
          exposureUnits[p * A + a] -= q * basis[k];
          exposureLegs[p]--;
        }
      }
      if (fees > equity) deficit[p] += fees - equity;
    }
  }
  return summarizeAccounts(book, shocks, prices, exposureUnits, exposureLegs, rounds, truncated, liquidatedNotional, liquidatedCount, deficit, removed);
}

function summarizeAccounts(
  book: CompiledBook,
  shocks: ShockVector,
  prices: Float64Array,
  exposureUnits: Float64Array,
  exposureLegs: Int32Array,
  rounds: number,
  truncated: boolean,
  liquidatedNotional: Float64Array,
  liquidatedCount: Int32Array,
  deficit: Float64Array,
  removed: Float64Array,
): ScenarioResult {
  const A = book.assets.length;
  const P = book.protocols.length;
  const C = new Float64Array(P);
  const V = new Float64Array(P);
  for (let p = 0; p < P; p++) {
    for (let a = 0; a < A; a++) {
      C[p] += Math.max(0, book.assets[a].amountByProtocol[p] - removed[p * A + a]) * prices[a];
      V[p] += Math.max(0, exposureUnits[p * A + a]) * prices[a];
    }
    // Whether anything is open is a count of open legs, never a float remainder.
    if (exposureLegs[p] === 0) V[p] = 0;
  }
  return { ...scenarioOutcome({ book, shocks, prices, collateral: C, exposure: V, rounds, truncated, liquidatedNotional, liquidatedCount, deficit }), cascade: { path: "accounts" } };
}
