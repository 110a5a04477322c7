/**
 * Liquidation cascades.
 *
 * A scenario shocks asset prices (a vector: correlated assets move together), re-centres each
 * asset's pool at the shocked price, and then repeats rounds until nothing more is liquidated:
 *
 * 1. every position under maintenance at the current marks is liquidated (a long when
 *    mark < its liquidation price, a short when mark > it); its notional is counted at that mark;
 * 2. per asset, the round's closes are netted (longs sell base, shorts buy it) and the net is traded
 *    against the asset's liquidity; every close of the round executes at the trade's average price,
 *    which carries the slippage;
 * 3. each closed position settles at that price: equity = collateral + side·size·(exec − entry), and
 *    the liquidator is paid fee·size·exec. What equity cannot pay (fee − equity, when positive) is a
 *    deficit. Paying the fee in full is deliberately conservative: liquidators must be paid for the
 *    cascade to happen at all, so the model does not count on unpaid liquidations;
 * 4. the trade moves the price; marks follow it (mark = price × basis) and the next round starts.
 *
 * Deficits are paid by the protocol's insurance fund; what is left is the shortfall (bad debt).
 * A pool that runs out (a depth table's edge, or buying more than half a constant-product pool's
 * base in one round) leaves base unfilled: unfilled sales recover nothing, unfilled purchases cost
 * the final (already pushed-up) price. Both err toward safety; neither forecasts a real fill.
 *
 * Cost: positions are sorted once by liquidation price (compileBook); each round advances a pointer
 * per market and side, so a scenario touches each position at most once: O(N), and the post-cascade
 * open interest comes from per-market running sums, not a rescan. Where the book allows it (one MMR
 * and fee per market and side), runScenario runs these same rules in O(rounds · log N) over prefix
 * sums (prefix-cascade.ts); this walk stays as the reference and the fallback.
 */
import { defaultAccountRounds, runAccountScenario } from "./accounts/cascade";
import { compileBook, type CompiledBook, type CompileOptions } from "./book";
import { RiskInputError } from "./errors";
import { openVenue, type Venue } from "./liquidity";
import { scenarioOutcome } from "./outcome";
import { prefixEngine } from "./prefix-cascade";
import type { Snapshot } from "./snapshot";

/** Asset id → fractional move (−0.3 is −30 %). Assets not named do not move. */
export type ShockVector = Record<string, number>;

export interface ProtocolOutcome {
  protocol: string;
  /** Collateral value ÷ remaining open interest after the cascade; null when nothing is left open. */
  svr: number | null;
  liquidatedNotional: number;
  liquidatedPositions: number;
  /** Losses the liquidated positions could not cover, before the insurance fund. */
  deficit: number;
  insuranceUsed: number;
  /** Bad debt left after the insurance fund. */
  shortfall: number;
}

export interface ScenarioResult extends Omit<ProtocolOutcome, "protocol"> {
  shocks: ShockVector;
  /** Rounds in which at least one position was liquidated. */
  rounds: number;
  /** The cascade hit `maxRounds` with liquidations still due: its figures are a lower bound. */
  truncated: boolean;
  finalPrices: Record<string, number>;
  /** Per protocol (one entry unless several protocols were compiled together). */
  protocols: ProtocolOutcome[];
  /** Which cascade ran: the prefix-sum one (prefix-cascade.ts), or the walk and why. */
  cascade: { path: "prefix" } | { path: "walk"; reason: string } | { path: "accounts" };
}

export interface ScenarioOptions extends CompileOptions {
  /**
   * Stop after this many rounds and report `truncated`. Default: the number of positions, which an
   * isolated cascade cannot exceed (each round liquidates at least one); see defaultAccountRounds.
   */
  maxRounds?: number;
  /**
   * "walk" runs the reference: the O(N) walk even where the prefix-sum cascade applies, and for an
   * account book, every open account judged every round (what the account cascade's watch is checked against).
   */
  path?: "auto" | "walk";
}

export function checkShocks(book: CompiledBook, shocks: ShockVector): Float64Array {
  const prices = new Float64Array(book.assets.length);
  const known = new Map(book.assets.map((a, i) => [a.id, i]));
  for (const [id, s] of Object.entries(shocks)) {
    if (!known.has(id)) throw new RiskInputError(`shocks.${id}`, "unknown asset");
    if (!Number.isFinite(s) || s <= -1) throw new RiskInputError(`shocks.${id}`, `must be a finite move > −100 % (got ${s})`);
  }
  book.assets.forEach((a, i) => (prices[i] = a.price * (1 + (shocks[a.id] ?? 0))));
  return prices;
}

/** Runs one scenario on a snapshot (compiled on the fly) or on an already compiled book. */
export function runScenario(input: Snapshot | CompiledBook, shocks: ShockVector, opts: ScenarioOptions = {}): ScenarioResult {
  const book = isCompiled(input) ? input : compileBook(input, opts);
  if (isCompiled(input) && opts.mmrOverride) throw new RiskInputError("mmrOverride", "pass a snapshot, not a compiled book, to override margins");
  if (book.accounts) return runAccountScenario(book, shocks, checkShocks(book, shocks), opts.maxRounds ?? defaultAccountRounds(book.accounts), opts.path === "walk");
  // Each round liquidates at least one position, so the number of positions bounds the rounds.
  const maxRounds = opts.maxRounds ?? book.n;
  if (opts.path !== "walk" && book.prefix.kind === "ready") {
    const prices = checkShocks(book, shocks);
    const t = prefixEngine(book, book.prefix).run(prices, maxRounds);
    return { ...summarize(book, shocks, t.prices, t.rounds, t.truncated, t.openPositions, t.liquidatedSize, t.liquidatedNotional, t.liquidatedCount, t.deficit), cascade: { path: "prefix" } };
  }
  const reason = opts.path === "walk" ? "requested" : book.prefix.kind === "unavailable" ? book.prefix.reason : "";
  return { ...cascade(book, shocks, maxRounds), cascade: { path: "walk", reason } };
}

export function isCompiled(x: Snapshot | CompiledBook): x is CompiledBook {
  return (x as CompiledBook).liqPrice instanceof Float64Array;
}

function cascade(book: CompiledBook, shocks: ShockVector, maxRounds: number): Omit<ScenarioResult, "cascade"> {
  const prices = checkShocks(book, shocks);
  const A = book.assets.length;
  const M = book.markets.length;
  const P = book.protocols.length;
  const venues: Venue[] = book.assets.map((a, i) => openVenue(a.liquidity, prices[i], a.price));
  const { liqPrice, size, entry, collateral } = book;

  const lp = new Int32Array(M);
  const sp = new Int32Array(M);
  const roundStartL = new Int32Array(M);
  const roundStartS = new Int32Array(M);
  const liquidatedSize = new Float64Array(M);
  const liquidatedNotional = new Float64Array(P);
  const liquidatedCount = new Int32Array(P);
  const deficit = new Float64Array(P);
  const netSold = new Float64Array(A);
  const traded = new Uint8Array(A);
  const avg = new Float64Array(A);
  const roundStartPrice = new Float64Array(A);
  const unfilledShare = new Float64Array(A);

  let rounds = 0;
  let truncated = false;
  for (;;) {
    netSold.fill(0);
    traded.fill(0);
    let any = false;
    for (let m = 0; m < M; m++) {
      const mk = book.markets[m];
      const a = mk.asset;
      const mark = prices[a] * mk.basis;
      roundStartL[m] = lp[m];
      roundStartS[m] = sp[m];
      let soldBase = 0;
      let j = lp[m];
      const longs = mk.longs;
      while (j < longs.length && liqPrice[longs[j]] > mark) soldBase += size[longs[j++]];
      lp[m] = j;
      let k = sp[m];
      const shorts = mk.shorts;
      while (k < shorts.length && liqPrice[shorts[k]] < mark) soldBase -= size[shorts[k++]];
      sp[m] = k;
      const count = j - roundStartL[m] + (k - roundStartS[m]);
      if (count > 0) {
        any = true;
        traded[a] = 1;
        netSold[a] += soldBase; // sizes are units of the market's asset
        liquidatedCount[mk.protocol] += count;
      }
    }
    if (!any) break;
    if (rounds === maxRounds) {
      // Put back what this round found: it was not liquidated, and it stays open.
      for (let m = 0; m < M; m++) liquidatedCount[book.markets[m].protocol] -= lp[m] - roundStartL[m] + (sp[m] - roundStartS[m]);
      lp.set(roundStartL);
      sp.set(roundStartS);
      truncated = true;
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
      const mk = book.markets[m];
      if (lp[m] === roundStartL[m] && sp[m] === roundStartS[m]) continue;
      const a = mk.asset;
      const fee = mk.liquidationFee;
      const u = unfilledShare[a];
      const exec = avg[a] * mk.basis;
      const longExec = netSold[a] > 0 ? exec * (1 - u) : exec;
      const shortExec = netSold[a] < 0 ? exec * (1 - u) + prices[a] * mk.basis * u : exec;
      let def = 0;
      let liqSize = 0;
      for (let j = roundStartL[m]; j < lp[m]; j++) {
        const i = mk.longs[j];
        const q = size[i];
        const equity = collateral[i] + q * (longExec - entry[i]);
        const d = fee * q * longExec - equity;
        if (d > 0) def += d;
        liqSize += q;
      }
      for (let j = roundStartS[m]; j < sp[m]; j++) {
        const i = mk.shorts[j];
        const q = size[i];
        const equity = collateral[i] + q * (entry[i] - shortExec);
        const d = fee * q * shortExec - equity;
        if (d > 0) def += d;
        liqSize += q;
      }
      liquidatedSize[m] += liqSize;
      // Notional at the mark that triggered the round (the price before this round's trade).
      liquidatedNotional[mk.protocol] += liqSize * roundStartPrice[a] * mk.basis;
      deficit[mk.protocol] += def;
    }
  }
  const openPositions = new Int32Array(P);
  book.markets.forEach((mk, m) => (openPositions[mk.protocol] += mk.longs.length - lp[m] + (mk.shorts.length - sp[m])));
  return summarize(book, shocks, prices, rounds, truncated, openPositions, liquidatedSize, liquidatedNotional, liquidatedCount, deficit);
}

function summarize(
  book: CompiledBook,
  shocks: ShockVector,
  prices: Float64Array,
  rounds: number,
  truncated: boolean,
  openPositions: Int32Array,
  liquidatedSize: Float64Array,
  liquidatedNotional: Float64Array,
  liquidatedCount: Int32Array,
  deficit: Float64Array,
): Omit<ScenarioResult, "cascade"> {
  const P = book.protocols.length;
  const C = new Float64Array(P);
  const V = new Float64Array(P);
  book.assets.forEach((a, i) => {
    for (let p = 0; p < P; p++) C[p] += a.amountByProtocol[p] * prices[i];
  });
  book.markets.forEach((mk, m) => {
    V[mk.protocol] += (mk.longSize + mk.shortSize - liquidatedSize[m]) * prices[mk.asset] * mk.basis;
  });
  // Open interest left is counted by the positions still open: total minus liquidated, in floats,
  // leaves a crumb that made svr huge when everything was liquidated.
  for (let p = 0; p < P; p++) V[p] = openPositions[p] > 0 ? Math.max(0, V[p]) : 0;
  return scenarioOutcome({ book, shocks, prices, collateral: C, exposure: V, rounds, truncated, liquidatedNotional, liquidatedCount, deficit });
}
