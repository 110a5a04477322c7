import { expect } from "chai";
import { openVenue, runScenario } from "../../../src/risk";
import { book, close, long } from "./books";

describe("liquidity models", () => {
  // Depth table: 100 ETH spread over $800–900 (1 ETH per $), 50 ETH over $900–1,000 (0.5 ETH per $).
  const levels = [
    { price: 800, baseLiquidity: 100 },
    { price: 900, baseLiquidity: 50 },
    { price: 1000, baseLiquidity: 0 },
  ];

  it("walks a depth table down when selling and up when buying, with slippage", () => {
    const venue = openVenue({ kind: "depthTable", levels }, 1000, 1000);
    // Sell 60: 50 ETH across $1,000 → 900 at an average of 950 (47,500), then 10 ETH from 900 → 890 (8,950).
    const sell = venue.trade(60);
    expect(close(sell.avgPrice, (47_500 + 8_950) / 60)).to.equal(true);
    expect(close(sell.newPrice, 890)).to.equal(true);
    expect(sell.unfilled).to.equal(0);
    // Buy 30: 10 ETH from 890 → 900 (8,950), then 20 ETH at 0.5 per $ from 900 → 940 (18,400).
    const buy = venue.trade(-30);
    expect(close(buy.avgPrice, (8_950 + 18_400) / 30)).to.equal(true);
    expect(close(buy.newPrice, 940)).to.equal(true);
  });

  it("leaves what a table cannot absorb unfilled", () => {
    const venue = openVenue({ kind: "depthTable", levels }, 1000, 1000);
    const fill = venue.trade(1000);
    expect(close(fill.unfilled, 850)).to.equal(true);
    expect(fill.newPrice).to.equal(800);
    // 150 ETH filled for 47,500 + 100 × 850 = 132,500.
    expect(close(fill.avgPrice, 132_500 / 150)).to.equal(true);
  });

  it("prices a constant-product trade at the average along the curve", () => {
    // k = 1e6 × 1e9... x = 1000, y = 1,000,000 at $1,000. Selling 100: y' = 1e9/1100.
    const venue = openVenue({ kind: "constantProduct", baseReserve: 1000, quoteReserve: 1_000_000 }, 1000, 1000);
    const fill = venue.trade(100);
    expect(close(fill.avgPrice, (1_000_000 - 1e9 / 1100) / 100)).to.equal(true);
    expect(close(fill.newPrice, 1e9 / 1100 / 1100)).to.equal(true);
  });

  it("makes slippage and fees reduce what a liquidation recovers", () => {
    // −5 %: the table re-centres at 950 (levels × 0.95: 760, 855, 950). Long 100 @ 1,000 with $8,000
    // (liquidation 968.42) sells 100: 50 ETH over 950 → 855 (45,125), then 50 ETH at 100/95 ETH per $
    // from 855 → 807.5 (41,562.5). Average 866.875; equity 8,000 + 100·(866.875 − 1,000) = −5,312.5;
    // fee 1 % · 100 · 866.875 = 866.875; deficit 6,179.375.
    const snapshot = book({ positions: [long(100, 8000)], ethLiquidity: { kind: "depthTable", levels } });
    const r = runScenario(snapshot, { ETH: -0.05 });
    expect(r.rounds).to.equal(1);
    expect(close(r.finalPrices.ETH, 807.5)).to.equal(true);
    expect(close(r.deficit, 6179.375)).to.equal(true);
    // Without the pool model the same close executes at 950: deficit 950 − (8,000 − 5,000) < 0 → none.
    expect(runScenario(book({ positions: [long(100, 8000)] }), { ETH: -0.05 }).deficit).to.equal(0);
  });
});
