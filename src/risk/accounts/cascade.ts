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
 * Cost: accounts are laid out once (at compile) by their distance to the edge at the snapshot's
 * prices, ρ = margin ÷ price sensitivity: the most relative price move they can take
 * (|Δ margin| ≤ sensitivity × the largest relative price move). A round looks only at the prefix of
 * that layout with ρ ≤ ε, ε being the largest relative move of any price from the snapshot so far:
 * no account outside it can be liquidatable. Inside it, an account judged in an earlier round is
 * judged again only if the prices have since moved by more than its distance then; an account a
 * liquidation changed is always judged again. The liquidations found are exactly those of a full
 * re-scan. Open exposure is kept as running sums and a count of open legs, so the summary does not
 * re-scan either.
 */
import type { CompiledBook } from "../book";
import type { ScenarioResult, ShockVector } from "../cascade";
import { scenarioOutcome } from "../outcome";
import { openVenue, type Venue } from "../liquidity";
import { liquidateInto } from "./aave";
import { FAMILY_AAVE, LEG_DEBT, LEG_PERP, type CompiledAccounts } from "./compile";
import { distanceToEdge, HEALTH, judgeAccount, pickAaveLegs } from "./judge";

/**
 * A round always liquidates something, but an Aave account can be liquidated again and again
 * (each call repays at most the close factor): the default bound is generous, and hitting it is
 * reported as `truncated`, never silent.
 */
export function defaultAccountRounds(acc: CompiledAccounts): number {
  return acc.n + 16 * acc.legs + 1;
}

export function runAccountScenario(book: CompiledBook, shocks: ShockVector, prices: Float64Array, maxRounds: number): ScenarioResult {
  const acc = book.accounts!;
  const A = book.assets.length;
  const P = book.protocols.length;
  const n = acc.n;
  const { legStart, kind, asset, side, entry, weightBps, bonus, protocolFee, basis, family, protocol, distance } = acc;
  // Per-account buffers are the book's, reused by every scenario (a scenario runs to its end synchronously).
  acc.scratch ??= { amount: new Float64Array(acc.legs), open: new Uint8Array(n), health: new Float64Array(n), judgedAt: new Int32Array(n), distanceThen: new Float64Array(n) };
  const { open, health, judgedAt, distanceThen } = acc.scratch;
  const amt = acc.scratch.amount;
  amt.set(acc.amount);
  open.fill(1);
  judgedAt.fill(-1); // the round an account was last judged in; −1: must be judged
  const venues: Venue[] = book.assets.map((a, i) => openVenue(a.liquidity, prices[i], a.price));
  const basePrices = Float64Array.from(book.assets, (a) => a.price);

  const slot = new Float64Array(3);
  const picked = new Int32Array(2);
  const liq = new Float64Array(4);
  const priceHistory: Float64Array[] = [];
  const movedSince: number[] = [];
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
  const hits: number[] = [];
  const closing: number[] = [];

  /** Takes leg k's remaining exposure out of the open sums. */
  const reduceExposure = (p: number, k: number, units: number) => {
    exposureUnits[p * A + asset[k]] -= units * basis[k];
    if (amt[k] === 0) exposureLegs[p]--;
  };

  let reach = 0; // accounts 0 … reach − 1 are judged each round
  let epsilon = 0;
  let rounds = 0;
  let truncated = false;
  for (;;) {
    for (let a = 0; a < A; a++) {
      const r = Math.abs(prices[a] / basePrices[a] - 1);
      if (r > epsilon) epsilon = r;
    }
    while (reach < n && distance[reach] <= epsilon) reach++;
    const now = priceHistory.length;
    for (let r = 0; r < now; r++) {
      let moved = 0;
      const then = priceHistory[r];
      for (let a = 0; a < A; a++) {
        const x = Math.abs(prices[a] / then[a] - 1);
        if (x > moved) moved = x;
      }
      movedSince[r] = moved;
    }
    priceHistory.push(prices.slice());
    hits.length = 0;
    for (let i = 0; i < reach; i++) {
      if (!open[i]) continue;
      const at = judgedAt[i];
      if (at >= 0 && distanceThen[i] > movedSince[at]) continue;
      const liquidatable = judgeAccount(acc, amt, prices, i, slot);
      judgedAt[i] = now;
      distanceThen[i] = distanceToEdge(slot);
      if (liquidatable) {
        health[i] = slot[HEALTH];
        hits.push(i);
      }
    }
    if (hits.length === 0) break;
    if (rounds === maxRounds) {
      truncated = true;
      break;
    }
    rounds++;

    net.fill(0);
    traded.fill(0);
    closing.length = 0;
    for (const i of hits) {
      const p = protocol[i];
      const s = legStart[i];
      const e = legStart[i + 1];
      if (family[i] !== FAMILY_AAVE) {
        for (let k = s; k < e; k++) {
          const a = asset[k];
          if (kind[k] === LEG_PERP) {
            net[a] += side[k] * amt[k];
            traded[a] = 1;
            liquidatedNotional[p] += amt[k] * prices[a] * basis[k];
            liquidatedCount[p]++;
          } else if (a >= 0 && amt[k] > 0) {
            net[a] += amt[k];
            traded[a] = 1;
            removed[p * A + a] += amt[k];
          }
        }
        closing.push(i);
        open[i] = 0;
        continue;
      }
      pickAaveLegs(acc, amt, prices, i, picked);
      const coll = picked[0];
      const debt = picked[1];
      judgedAt[i] = -1;
      if (coll >= 0) {
        const ca = asset[coll];
        const da = asset[debt];
        liquidateInto(liq, health[i], amt[debt], prices[da], amt[coll], prices[ca], bonus[coll], protocolFee[coll]);
        const debtCovered = liq[0];
        const collateralTaken = liq[1];
        const toLiquidator = liq[2];
        amt[coll] = collateralTaken >= amt[coll] ? 0 : amt[coll] - collateralTaken;
        const covered = Math.min(debtCovered, amt[debt]);
        amt[debt] = debtCovered >= amt[debt] ? 0 : amt[debt] - debtCovered;
        reduceExposure(p, debt, covered);
        net[ca] += toLiquidator;
        net[da] -= debtCovered;
        traded[ca] = 1;
        traded[da] = 1;
        removed[p * A + ca] += toLiquidator;
        liquidatedNotional[p] += debtCovered * prices[da];
        liquidatedCount[p]++;
      }
      let debtLeft = false;
      let collateralLeft = false;
      for (let k = s; k < e; k++) {
        if (kind[k] === LEG_DEBT) debtLeft ||= amt[k] > 0;
        else if (weightBps[k] > 0) collateralLeft ||= amt[k] > 0;
      }
      if (debtLeft && !collateralLeft) {
        // Nothing left to seize: the rest of the debt is bad debt.
        for (let k = s; k < e; k++) {
          if (kind[k] !== LEG_DEBT || amt[k] === 0) continue;
          const units = amt[k];
          deficit[p] += units * prices[asset[k]];
          amt[k] = 0;
          reduceExposure(p, k, units);
        }
        debtLeft = false;
      }
      if (!debtLeft) open[i] = 0;
    }

    for (let a = 0; a < A; a++) {
      if (!traded[a]) continue;
      const fill = venues[a].trade(net[a]);
      const u = net[a] !== 0 ? fill.unfilled / Math.abs(net[a]) : 0;
      // Unfilled sales recover nothing; unfilled purchases cost the pushed-up final price.
      sellExec[a] = net[a] > 0 ? fill.avgPrice * (1 - u) : fill.avgPrice;
      buyExec[a] = net[a] < 0 ? fill.avgPrice * (1 - u) + fill.newPrice * u : fill.avgPrice;
      prices[a] = fill.newPrice;
    }

    for (const i of closing) {
      let equity = 0;
      let fees = 0;
      const p = protocol[i];
      for (let k = legStart[i]; k < legStart[i + 1]; k++) {
        const a = asset[k];
        const q = amt[k];
        if (kind[k] === LEG_PERP) {
          const exec = (side[k] === 1 ? sellExec[a] : buyExec[a]) * basis[k];
          equity += side[k] * q * (exec - entry[k]);
          fees += bonus[k] * q * exec;
          amt[k] = 0;
          if (q > 0) reduceExposure(p, k, q);
        } else {
          equity += a < 0 ? q : q * sellExec[a];
          amt[k] = 0;
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
