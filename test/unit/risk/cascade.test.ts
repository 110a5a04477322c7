import { expect } from "chai";
import { breakingShock, correlatedShocks, runScenario, stressGrid, type Snapshot } from "../../../src/risk";
import { book, close, long } from "./books";

describe("liquidation cascades (worked by hand)", () => {
  it("lets the insurance fund absorb part of a loss", () => {
    // long 2 @ 1,000 with $400 (5x): liquidation price (2000 − 400)/(2·0.95) = 842.1.
    // −30 %: mark 700 → liquidated, no price impact (no pool model): executes at 700.
    // equity = 400 + 2·(700 − 1000) = −200; fee = 1 % · 2 · 700 = 14; deficit = 14 + 200 = 214.
    // Insurance $100 pays 100; shortfall 114.
    const r = runScenario(book({ positions: [long(2, 400)], insuranceFund: 100 }), { ETH: -0.3 });
    expect(r.rounds).to.equal(1);
    expect(close(r.liquidatedNotional, 1400)).to.equal(true);
    expect(close(r.deficit, 214)).to.equal(true);
    expect(r.insuranceUsed).to.equal(100);
    expect(close(r.shortfall, 114)).to.equal(true);
    expect(r.svr).to.equal(null); // nothing left open
  });

  describe("a −10 % shock that cascades because liquidations move the price", () => {
    // ETH pool: x·y = k with k = 1,000 ETH × $1,000,000 = 1e9. MMR 5 %, fee 1 %.
    // Liquidation prices (q·e − c)/(q·0.95) for 100 ETH longs at $1,000:
    //   a: c = 8,000  → 968.42    b: c = 15,000 → 894.74
    //   c: c = 20,000 → 842.11    d: c = 40,000 → 631.58
    const k = 1e9;
    const snapshot = book({
      positions: [long(100, 8000), long(100, 15_000), long(100, 20_000), long(100, 40_000)],
      ethLiquidity: { kind: "constantProduct", baseReserve: 1000, quoteReserve: 1_000_000 },
    });
    // The shocked pool is re-centred at $900: x0 = √(k/900), y0 = √(k·900).
    const x0 = Math.sqrt(k / 900);
    const y0 = Math.sqrt(k * 900);
    // Round 1 at mark 900: only a (968.42) is under water. It sells 100 ETH.
    const x1 = x0 + 100;
    const y1 = k / x1;
    const avg1 = (y0 - y1) / 100;
    const p1 = y1 / x1; // ≈ 750.8
    // Round 2 at p1: b (894.74) and c (842.11) go; d (631.58) does not. They sell 200.
    const x2 = x1 + 200;
    const y2 = k / x2;
    const avg2 = (y1 - y2) / 200;
    const p2 = y2 / x2; // ≈ 545.4
    // Round 3 at p2: d goes. It sells 100.
    const x3 = x2 + 100;
    const y3 = k / x3;
    const avg3 = (y2 - y3) / 100;
    const p3 = y3 / x3;
    // Deficit of a close: fee·q·exec − (c + q(exec − 1000)), when positive.
    const deficit = (c: number, exec: number) => Math.max(0, 0.01 * 100 * exec - (c + 100 * (exec - 1000)));

    it("runs three rounds to a fixed point", () => {
      expect(p1).to.be.lessThan(842.11).and.greaterThan(631.58); // b and c go, d stays
      expect(p2).to.be.lessThan(631.58);
      const r = runScenario(snapshot, { ETH: -0.1 });
      expect(r.rounds).to.equal(3);
      expect(r.liquidatedPositions).to.equal(4);
      expect(close(r.finalPrices.ETH, p3)).to.equal(true);
      expect(close(r.liquidatedNotional, 100 * 900 + 200 * p1 + 100 * p2)).to.equal(true);
      const expected = deficit(8000, avg1) + deficit(15_000, avg2) + deficit(20_000, avg2) + deficit(40_000, avg3);
      expect(close(r.deficit, expected)).to.equal(true);
      expect(close(r.shortfall, expected)).to.equal(true);
    });

    it("finds the breaking shock down to the stated tolerance", () => {
      // With a's equity at −1 % it already owes its fee: any fall that liquidates a leaves bad debt.
      // a is liquidated once the mark is below 968.42, i.e. a fall of 3.158 %; smaller falls liquidate nothing.
      const bs = breakingShock(snapshot);
      const threshold = 1 - (100_000 - 8000) / (100 * 0.95) / 1000;
      expect(bs.down).to.not.equal(null);
      expect(bs.down! - threshold).to.be.within(0, bs.tolerance);
      expect(bs.up).to.equal(null); // longs only: rises never hurt
      // The shortfall on each side of the answer agrees with the search.
      expect(runScenario(snapshot, { ETH: -(bs.down! - bs.tolerance) }).shortfall).to.equal(0);
      expect(runScenario(snapshot, { ETH: -bs.down! }).shortfall).to.be.greaterThan(0);
    });
  });

  it("moves correlated assets together with a shock vector", () => {
    // Two markets, no pool model. ETH long 10 @ 1,000 with $1,500 → liquidation 894.7;
    // BTC long 1 @ 20,000 with $2,500 → liquidation 18,421.
    // Driver −20 %, betas ETH 1, BTC 0.5: ETH 800 (liquidated: equity −500, fee 80, deficit 580),
    // BTC 18,000 (liquidated: equity 500 covers fee 180, no deficit). Notional 8,000 + 18,000.
    const snapshot: Snapshot = {
      ...book({ positions: [] }),
      assets: [
        { id: "USDC", price: 1, amount: 10_000, haircut: 0, liquidity: { kind: "none" } },
        { id: "ETH", price: 1000, amount: 0, haircut: 0, liquidity: { kind: "none" } },
        { id: "BTC", price: 20_000, amount: 0, haircut: 0, liquidity: { kind: "none" } },
      ],
      markets: [
        { id: "ETH-PERP", asset: "ETH", mark: 1000, imr: 0.1, mmr: 0.05, liquidationFee: 0.01, oiCapLong: 1e9, oiCapShort: 1e9 },
        { id: "BTC-PERP", asset: "BTC", mark: 20_000, imr: 0.1, mmr: 0.05, liquidationFee: 0.01, oiCapLong: 1e9, oiCapShort: 1e9 },
      ],
      positions: [long(10, 1500, 1000, "ETH-PERP"), long(1, 2500, 20_000, "BTC-PERP")],
    };
    const shocks = correlatedShocks(-0.2, { USDC: 0, ETH: 1, BTC: 0.5 });
    expect(shocks).to.deep.equal({ ETH: -0.2, BTC: -0.1 });
    const r = runScenario(snapshot, shocks);
    expect(r.rounds).to.equal(1);
    expect(r.liquidatedPositions).to.equal(2);
    expect(close(r.liquidatedNotional, 26_000)).to.equal(true);
    expect(close(r.shortfall, 580)).to.equal(true);
    // Uncorrelated, BTC does not move and only ETH is liquidated.
    const alone = runScenario(snapshot, correlatedShocks(-0.2, { ETH: 1, BTC: 0 }));
    expect(alone.liquidatedPositions).to.equal(1);
    expect(close(alone.liquidatedNotional, 8000)).to.equal(true);
  });

  it("grids 101 scenarios from −50 % to +50 % by 1 %", () => {
    const grid = stressGrid(book({ positions: [long(2, 400)] }));
    expect(grid.map((g) => g.delta)).to.have.length(101);
    expect(grid[0].delta).to.equal(-0.5);
    expect(grid[50].delta).to.equal(0);
    expect(grid[100].delta).to.equal(0.5);
    // Liquidated below 842.1, i.e. from −16 % down.
    expect(grid.filter((g) => g.liquidatedPositions > 0).map((g) => g.delta)).to.deep.equal(Array.from({ length: 35 }, (_, i) => Math.round((-0.5 + i * 0.01) * 100) / 100));
  });
});
