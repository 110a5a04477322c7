import { expect } from "chai";
import fc from "fast-check";
import { compileBook, correlatedShocks, defaultBetas, runScenario, type Snapshot } from "../../../src/risk";
import { long } from "./books";
import { naiveScenario } from "./naive";
import { syntheticSnapshot } from "./synthetic";

const rel = (a: number, b: number) => Math.abs(a - b) <= 1e-9 * Math.max(1, Math.abs(b));

describe("the O(N) cascade agrees with the naive re-scan", () => {
  for (const seed of [1, 2, 3, 4, 5, 6, 7, 8]) {
    it(`on a random book (seed ${seed}) across a grid of shocks`, () => {
      const snapshot = syntheticSnapshot(400, seed, seed % 2 ? 0.05 : 0.2);
      const book = compileBook(snapshot);
      const betas = defaultBetas(book);
      let cascades = 0;
      for (let d = -0.5; d <= 0.5001; d += 0.05) {
        const shocks = correlatedShocks(d, betas);
        const fast = runScenario(book, shocks);
        const slow = naiveScenario(snapshot, shocks);
        const where = `seed ${seed}, δ ${d.toFixed(2)}`;
        expect(fast.rounds, where).to.equal(slow.rounds);
        expect(fast.liquidatedPositions, where).to.equal(slow.liquidatedPositions);
        expect(rel(fast.liquidatedNotional, slow.liquidatedNotional), `${where}: notional`).to.equal(true);
        expect(rel(fast.deficit, slow.deficit), `${where}: deficit`).to.equal(true);
        expect(rel(fast.shortfall, slow.shortfall), `${where}: shortfall`).to.equal(true);
        for (const a of Object.keys(slow.finalPrices)) expect(rel(fast.finalPrices[a], slow.finalPrices[a]), `${where}: ${a}`).to.equal(true);
        if (fast.rounds > 1) cascades++;
      }
      expect(cascades, "the grid includes multi-round cascades").to.be.greaterThan(0);
    });
  }
});

describe("properties over random books (fast-check, seeded)", () => {
  const longOnlyBook = fc.array(fc.record({ size: fc.double({ min: 0.1, max: 50, noNaN: true }), lev: fc.double({ min: 1.1, max: 10, noNaN: true }) }), {
    minLength: 1,
    maxLength: 40,
  });

  it("shortfall never shrinks as a fall deepens (no pool model: closes execute at the mark)", () => {
    fc.assert(
      fc.property(longOnlyBook, fc.double({ min: 0, max: 0.9, noNaN: true }), fc.double({ min: 0, max: 0.09, noNaN: true }), (rows, d, extra) => {
        const snapshot = snapshotOf(rows);
        const a = runScenario(snapshot, { ETH: -d }).shortfall;
        const b = runScenario(snapshot, { ETH: -(d + extra) }).shortfall;
        return b >= a - 1e-9;
      }),
      { seed: 424242, numRuns: 200 },
    );
  });

  it("svr is null exactly when nothing is left open, and never NaN", () => {
    fc.assert(
      fc.property(longOnlyBook, fc.double({ min: -0.95, max: 2, noNaN: true }), (rows, d) => {
        const r = runScenario(snapshotOf(rows), { ETH: d });
        const open = rows.length - r.liquidatedPositions;
        return (r.svr === null) === (open === 0) && !Number.isNaN(r.svr ?? 0) && Number.isFinite(r.shortfall);
      }),
      { seed: 4242, numRuns: 200 },
    );
  });
});

function snapshotOf(rows: { size: number; lev: number }[]): Snapshot {
  return {
    protocol: "prop",
    block: 1,
    timestamp: 0,
    assets: [
      { id: "USDC", price: 1, amount: 1e6, haircut: 0, liquidity: { kind: "none" } },
      { id: "ETH", price: 1000, amount: 0, haircut: 0, liquidity: { kind: "none" } },
    ],
    markets: [{ id: "ETH-PERP", asset: "ETH", mark: 1000, imr: 0.1, mmr: 0.05, liquidationFee: 0.01, oiCapLong: 1e12, oiCapShort: 1e12 }],
    positions: rows.map((r) => long(r.size, (r.size * 1000) / r.lev)),
    insuranceFund: 0,
  };
}
