import { expect } from "chai";
import { breakingShock, compileBook, runScenario, SnapshotValidationError, type Position, type Snapshot } from "../../../src/risk";
import { book, long } from "./books";

/** Two longs of 18.5 ETH whose liquidation prices are 950.60 and 949.85, over a 1,000 ETH constant-product pool. */
function nonMonotonicBook(): Snapshot {
  const q = 18.5;
  // Long liquidation price L = (q·e − c) / (q(1 − mmr)), so c = q·(e − L·0.95).
  const at = (liq: number, account: string): Position => ({ account, market: "ETH-PERP", side: 1, size: q, entryPrice: 1000, collateral: q * (1000 - liq * 0.95) });
  return {
    protocol: "non-monotonic",
    block: 1,
    timestamp: 1,
    assets: [
      { id: "USDC", price: 1, amount: 0, haircut: 0, liquidity: { kind: "none" } },
      { id: "ETH", price: 1000, amount: 0, haircut: 0, liquidity: { kind: "constantProduct", baseReserve: 1000, quoteReserve: 1_000_000 } },
    ],
    markets: [{ id: "ETH-PERP", asset: "ETH", mark: 1000, imr: 0.1, mmr: 0.05, liquidationFee: 0.01, oiCapLong: 1e12, oiCapShort: 1e12 }],
    positions: [at(950.6, "a"), at(949.85, "b")],
    insuranceFund: 0,
  };
}

describe("defects of the risk engine v1, each with the book that showed it", () => {
  it("breakingShock finds the smallest breaking move although shortfall is not monotonic in the move", () => {
    const s = nonMonotonicBook();
    // B goes bankrupt (equity < the 1 % fee) below (1000 − 97.64) / 0.99 = 911.47.
    // −4.95 % (950.5): A alone in round 1, sells at ≈ 950.5 / 1.018 ≈ 933.7; its sale pushes the price
    // under B's 949.85, and B sells alone in round 2 from the lower price at ≈ 901 < 911.47: bad debt.
    expect(runScenario(s, { ETH: -0.0495 }).shortfall).to.be.greaterThan(0);
    expect(runScenario(s, { ETH: -0.0495 }).rounds).to.equal(2);
    // −5.03 % (949.7): both in round 1; they share the average price of selling 37 ETH, ≈ 949.7 / 1.036
    // ≈ 916.7 > 911.47: no bad debt. A bigger move leaves less.
    expect(runScenario(s, { ETH: -0.0503 }).shortfall).to.equal(0);
    // Plain bisection on [0, 99 %] probes −5.41 % (no shortfall) and ends at ≈ 5.50 %. The grid scan
    // finds the cell (4 %, 5 %] breaking at −5 % and bisects inside it.
    const bs = breakingShock(s);
    expect(bs.down!).to.be.at.most(0.0495);
    expect(runScenario(s, { ETH: -bs.down! }).shortfall).to.be.greaterThan(0);
    expect(runScenario(s, { ETH: -(bs.down! - bs.tolerance) }).shortfall).to.equal(0);
  });

  it("svr is null, not huge, once every position is liquidated", () => {
    // Sizes whose float sums do not cancel: open interest summed in book order minus the liquidated sizes
    // summed in liquidation-price order leaves 1.16e-10 ETH, 5.8e-8 USD at the shocked mark; v1 divided
    // a billion of collateral by it.
    const positions = [long(27.3, 1608.554), long(76.6, 7032.838), long(238_000, 22_071_322.255), long(359_000, 8_919_407.487)];
    const s = book({ positions, usdc: 1e9 });
    const r = runScenario(s, { ETH: -0.5 });
    expect(r.liquidatedPositions).to.equal(positions.length);
    expect(r.svr).to.equal(null);
    expect(r.protocols[0].svr).to.equal(null);
  });

  it("never stops a cascade silently: 10,050 rounds run to the end, and a caller's bound is reported as truncation", () => {
    // One long per round: with k = 1e9 and the price 1000·(1 − 1 %) = 990, base x0 = √(k/990); after
    // i sales of 1 ETH the price is p_i = k / (x0 + i)². Long i is liquidated at L_i = √(p_i · p_(i−1)),
    // strictly between: the price after i − 1 sales leaves it open, the i-th sale reaches it.
    const k = 1e9;
    const x0 = Math.sqrt(k / 990);
    const p = (i: number) => k / (x0 + i) ** 2;
    const n = 10_050;
    const positions = Array.from({ length: n }, (_, i) => {
      const liq = i === 0 ? 995 : Math.sqrt(p(i) * p(i - 1));
      return long(1, 1000 - liq * 0.95, 1000);
    });
    const s = book({ positions, ethLiquidity: { kind: "constantProduct", baseReserve: Math.sqrt(k / 1000), quoteReserve: Math.sqrt(k * 1000) } });
    const compiled = compileBook(s);
    const full = runScenario(compiled, { ETH: -0.01 });
    expect(full.rounds).to.equal(n);
    expect(full.liquidatedPositions).to.equal(n);
    expect(full.truncated).to.equal(false);
    const cut = runScenario(compiled, { ETH: -0.01 }, { maxRounds: 100 });
    expect(cut.truncated).to.equal(true);
    expect(cut.rounds).to.equal(100);
    expect(cut.liquidatedPositions).to.equal(100);
  });

  it("refuses a maintenance margin of zero, or not below the initial margin, naming the field", () => {
    const field = (mutate: (s: Snapshot) => void): string => {
      const s = book({ positions: [long(1, 100)] });
      mutate(s);
      try {
        compileBook(s);
      } catch (e) {
        expect(e).to.be.instanceOf(SnapshotValidationError);
        return (e as SnapshotValidationError).field;
      }
      throw new Error("accepted");
    };
    expect(field((s) => (s.markets[0].mmr = 0))).to.equal("markets[0].mmr");
    expect(field((s) => (s.markets[0].mmr = 0.1))).to.equal("markets[0].mmr"); // = IMR
    expect(field((s) => (s.markets[0].mmr = 0.2))).to.equal("markets[0].mmr"); // > IMR
    expect(field((s) => (s.markets[0].imr = 0))).to.equal("markets[0].imr");
    expect(field((s) => (s.markets[0].imr = 1.5))).to.equal("markets[0].imr");
  });
});
