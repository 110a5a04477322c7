import { expect } from "chai";
import { compileBook, compileBooks, correlatedShocks, defaultBetas, runScenario, stressGrid, type CompiledBook, type ScenarioResult, type ShockVector, type Snapshot } from "../../../src/risk";
import { compilePrefix, PrefixCascade } from "../../../src/risk/prefix-cascade";
import { liquidationPrice } from "../../../src/risk/book";
import { randomSnapshot } from "./random-books";
import { syntheticSnapshot } from "./synthetic";

/** The bar: 1e-12 relative for svr, liquidated notional, final prices and bad debt; shortfall (which can cancel) to a cent. */
const REL = 1e-12;
const relClose = (a: number | null, b: number | null) => a === b || (a !== null && b !== null && Math.abs(a - b) <= REL * Math.max(Math.abs(a), Math.abs(b)));

function expectSame(fast: ScenarioResult, walk: ScenarioResult, where: string): void {
  expect(fast.cascade.path, where).to.equal("prefix");
  expect(walk.cascade.path, where).to.equal("walk");
  expect(fast.rounds, `${where}: rounds`).to.equal(walk.rounds);
  expect(fast.truncated, `${where}: truncated`).to.equal(walk.truncated);
  expect(fast.liquidatedPositions, `${where}: positions`).to.equal(walk.liquidatedPositions);
  const outcomes = [{ f: fast, w: walk, who: "total" }, ...fast.protocols.map((p, i) => ({ f: p, w: walk.protocols[i], who: p.protocol }))];
  for (const { f, w, who } of outcomes) {
    expect(relClose(f.svr, w.svr), `${where} ${who}: svr ${f.svr} vs ${w.svr}`).to.equal(true);
    expect(relClose(f.liquidatedNotional, w.liquidatedNotional), `${where} ${who}: notional ${f.liquidatedNotional} vs ${w.liquidatedNotional}`).to.equal(true);
    expect(relClose(f.deficit, w.deficit), `${where} ${who}: bad debt ${f.deficit} vs ${w.deficit}`).to.equal(true);
    expect(Math.abs(f.shortfall - w.shortfall), `${where} ${who}: shortfall ${f.shortfall} vs ${w.shortfall}`).to.be.at.most(0.01);
  }
  for (const a of Object.keys(walk.finalPrices)) expect(relClose(fast.finalPrices[a], walk.finalPrices[a]), `${where}: price of ${a}`).to.equal(true);
}

function compareOn(book: CompiledBook, shocks: ShockVector[], where: string): { cascades: number; badDebt: number } {
  let cascades = 0;
  let badDebt = 0;
  for (const s of shocks) {
    const at = `${where} ${JSON.stringify(s)}`;
    const fast = runScenario(book, s);
    expectSame(fast, runScenario(book, s, { path: "walk" }), at);
    if (fast.rounds > 1) cascades++;
    if (fast.deficit > 0) badDebt++;
  }
  return { cascades, badDebt };
}

const grid = (book: CompiledBook, step = 0.05) => {
  const betas = defaultBetas(book);
  const out: ShockVector[] = [];
  for (let i = -Math.round(0.6 / step); i <= Math.round(0.6 / step); i++) out.push(correlatedShocks(i * step, betas));
  return out;
};

describe("the prefix-sum cascade reproduces the walk", () => {
  it("on the benchmark book (100,000 positions), across the 101-point grid", () => {
    const book = compileBook(syntheticSnapshot(100_000, 20261124, 0.5));
    const fast = stressGrid(book);
    const walk = stressGrid(book, { path: "walk" });
    fast.forEach((f, i) => expectSame(f, walk[i], `δ ${f.delta}`));
    expect(Math.max(...fast.map((g) => g.rounds))).to.be.greaterThan(5);
    expect(fast.filter((g) => g.shortfall > 0).length).to.be.greaterThan(10);
  });

  for (const pools of ["depthTable", "constantProduct", "none"] as const) {
    it(`on seeded random books with ${pools} pools, uneven shocks included`, () => {
      let cascades = 0;
      let badDebt = 0;
      for (const seed of [11, 12, 13, 14]) {
        const book = compileBook(randomSnapshot(seed, 2_000, { pools }));
        const uneven = [
          { ETH: -0.3, BTC: 0.1 },
          { ETH: 0.45, BTC: -0.2 },
          { ETH: -0.55, BTC: -0.55 },
        ];
        const r = compareOn(book, [...grid(book), ...uneven], `${pools} seed ${seed}`);
        cascades += r.cascades;
        badDebt += r.badDebt;
      }
      if (pools !== "none") expect(cascades, "multi-round cascades were compared").to.be.greaterThan(4);
      expect(badDebt, "scenarios with bad debt were compared").to.be.greaterThan(4);
    });
  }

  it("when two protocols share pools (contagion), per protocol", () => {
    for (const pools of ["depthTable", "constantProduct"] as const) {
      const a = randomSnapshot(21, 2_000, { pools, protocol: "alpha" });
      const b = randomSnapshot(22, 2_000, { pools, protocol: "beta", insuranceFund: 5e6 });
      const book = compileBooks([a, b]);
      expect(book.assets.length, "assets are shared").to.equal(3);
      const r = compareOn(book, grid(book, 0.04), `contagion ${pools}`);
      expect(r.cascades).to.be.greaterThan(2);
    }
  });

  it("with a liquidation fee larger than the maintenance margin", () => {
    for (const pools of ["depthTable", "constantProduct", "none"] as const) {
      const book = compileBook(randomSnapshot(31, 2_000, { pools, mmr: 0.02, fee: 0.06 }));
      const r = compareOn(book, grid(book), `fee > mmr, ${pools}`);
      expect(r.badDebt).to.be.greaterThan(3);
    }
  });

  it("when one engine runs scenario after scenario (as Value at Risk does): each is the fresh engine's and the walk's", () => {
    for (const pools of ["depthTable", "constantProduct", "none"] as const) {
      const book = compileBook(randomSnapshot(21, 2_000, { pools }));
      if (book.prefix.kind !== "ready") throw new Error(book.prefix.reason);
      const reused = new PrefixCascade(book, book.prefix);
      const scenarios = [...grid(book, 0.1), { ETH: -0.3, BTC: 0.1 }, { ETH: 0.45, BTC: -0.2 }];
      // Every scenario after a different one, so state left by the previous run would show.
      let cascades = 0;
      for (const s of [...scenarios, ...scenarios.reverse()]) {
        const prices = Float64Array.from(book.assets, (a) => a.price * (1 + (s[a.id] ?? 0)));
        const a = reused.run(prices, book.n);
        const b = new PrefixCascade(book, book.prefix).run(prices, book.n);
        const at = `${pools} ${JSON.stringify(s)}`;
        expect(a.rounds, at).to.equal(b.rounds);
        for (const k of ["prices", "openPositions", "liquidatedSize", "liquidatedNotional", "liquidatedCount", "deficit", "marketDeficit"] as const) {
          expect(Array.from(a[k]), `${at}: ${k}`).to.deep.equal(Array.from(b[k]));
        }
        const walk = runScenario(book, s, { path: "walk" });
        expect(a.rounds, at).to.equal(walk.rounds);
        expect(relClose(a.deficit[0], walk.deficit), `${at}: bad debt ${a.deficit[0]} vs ${walk.deficit}`).to.equal(true);
        if (a.rounds > 1) cascades++;
      }
      if (pools !== "none") expect(cascades, `${pools}: multi-round cascades were compared`).to.be.greaterThan(4);
    }
  });

  it("on a ladder liquidating one long per round for 3,000 rounds (fee > MMR, bad debt in every round)", () => {
    const r = ladder(1, 3_000);
    expect(r.fast.rounds).to.equal(3_000);
    expect(r.fast.deficit).to.be.greaterThan(0);
    expectSame(r.fast, r.walk, "long ladder");
  });

  it("under a round bound: both stop at it, put the due round back and say so", () => {
    const r = ladder(1, 3_000, 1_000);
    expect(r.fast.rounds).to.equal(1_000);
    expect(r.fast.truncated).to.equal(true);
    expect(r.fast.liquidatedPositions).to.equal(1_000);
    expectSame(r.fast, r.walk, "long ladder, 1,000 rounds");
  });

  it("on a ladder liquidating one short per round for 3,000 rounds", () => {
    const r = ladder(-1, 3_000);
    expect(r.fast.rounds).to.equal(3_000);
    expectSame(r.fast, r.walk, "short ladder");
  });
});

describe("where the prefix property does not hold, the walk runs and says why", () => {
  it("a position liquidated at its own maintenance margin breaks the order: the result names the walk and why", () => {
    const book = compileBook(randomSnapshot(41, 500, { pools: "constantProduct" }));
    const m = book.markets[0];
    // Give the fourth long of the first market its own (much higher) MMR, as a per-account margin would.
    const i = m.longs[3];
    book.liqPrice[i] = liquidationPrice(1, book.size[i], book.entry[i], book.collateral[i], 0.5);
    m.longs.sort((a, b) => book.liqPrice[b] - book.liqPrice[a] || a - b);
    book.prefix = compilePrefix(book);
    expect(book.prefix.kind).to.equal("unavailable");
    const r = runScenario(book, { ETH: -0.2 });
    expect(r.cascade.path).to.equal("walk");
    expect(r.cascade.path === "walk" && r.cascade.reason).to.match(new RegExp(`^${m.id} longs: position \\d+ is out of deficit order`));
  });

  it("the walk can be asked for by name", () => {
    const r = runScenario(randomSnapshot(42, 50, { pools: "none" }), {}, { path: "walk" });
    expect(r.cascade).to.deep.equal({ path: "walk", reason: "requested" });
  });
});

/**
 * One-per-round ladder: a uniform depth table (density d) and positions whose liquidation prices
 * are Δ apart with size d·Δ, so each close moves the price exactly one rung. The mark starts half a
 * rung past the first position.
 */
function ladder(side: 1 | -1, n: number, maxRounds?: number): { fast: ScenarioResult; walk: ScenarioResult } {
  const delta = 0.1;
  const size = 2;
  const density = size / delta;
  const mmr = 0.05;
  const levels = [];
  for (let p = 100; p <= 2000; p += 100) levels.push({ price: p, baseLiquidity: p === 2000 ? 0 : density * 100 });
  const positions = [];
  for (let i = 0; i < n; i++) {
    const liq = 1000 + side * (delta / 2 - i * delta);
    const entry = 1000;
    // Long: c = q·e − L·q·(1 − mmr); short: c = L·q·(1 + mmr) − q·e.
    const collateral = side === 1 ? size * entry - liq * size * (1 - mmr) : liq * size * (1 + mmr) - size * entry;
    positions.push({ account: `0x${i.toString(16)}`, market: "ETH-PERP", side, size, entryPrice: entry, collateral: Math.max(collateral, 0) });
  }
  const snapshot: Snapshot = {
    protocol: "ladder",
    block: 1,
    timestamp: 0,
    assets: [
      { id: "USDC", price: 1, amount: 5e6, haircut: 0, liquidity: { kind: "none" } },
      { id: "ETH", price: 1000, amount: 0, haircut: 0, liquidity: { kind: "depthTable", levels } },
    ],
    markets: [{ id: "ETH-PERP", asset: "ETH", mark: 1000, imr: 0.1, mmr, liquidationFee: side === 1 ? 0.08 : 0.01, oiCapLong: 1e12, oiCapShort: 1e12 }],
    positions: [...positions, { account: "0xopen", market: "ETH-PERP", side: 1, size: 1, entryPrice: 1000, collateral: 1000 }],
    insuranceFund: 1000,
  };
  const book = compileBook(snapshot);
  return { fast: runScenario(book, {}, { maxRounds }), walk: runScenario(book, {}, { path: "walk", maxRounds }) };
}
