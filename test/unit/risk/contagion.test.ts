import { expect } from "chai";
import { runContagion, runScenario } from "../../../src/risk";
import { book, close, long } from "./books";

describe("contagion across protocols sharing one pool", () => {
  // One ETH pool, k = 1e9. Protocol X: long 200 @ 1,000 with $15,000 → liquidation (200,000 − 15,000)/190 = 973.7.
  // Protocol Y: long 50 @ 1,000 with $10,000 → liquidation 40,000/47.5 = 842.1.
  const pool = { kind: "constantProduct" as const, baseReserve: 1000, quoteReserve: 1_000_000 };
  const x = book({ protocol: "x", marketId: "X-ETH", positions: [long(200, 15_000, 1000, "X-ETH")], ethLiquidity: pool });
  const y = book({ protocol: "y", marketId: "Y-ETH", positions: [long(50, 10_000, 1000, "Y-ETH")], ethLiquidity: pool, insuranceFund: 1_000_000 });

  it("lets the cascade in one protocol liquidate positions in the other", () => {
    // Alone, Y survives −10 %: 900 > 842.1.
    expect(runScenario(y, { ETH: -0.1 }).liquidatedPositions).to.equal(0);
    // Together: round 1 at 900 liquidates X's long, which sells 200 into the shared pool:
    const k = 1e9;
    const x0 = Math.sqrt(k / 900);
    const x1 = x0 + 200;
    const p1 = k / x1 / x1; // ≈ 635.8 < 842.1: Y's long goes in round 2
    const x2 = x1 + 50;
    const p2 = k / x2 / x2;
    const r = runContagion([x, y], { ETH: -0.1 });
    expect(r.rounds).to.equal(2);
    expect(close(r.finalPrices.ETH, p2)).to.equal(true);
    const [rx, ry] = r.protocols;
    expect(rx.protocol).to.equal("x");
    expect(rx.liquidatedPositions).to.equal(1);
    expect(close(rx.liquidatedNotional, 200 * 900)).to.equal(true);
    expect(ry.liquidatedPositions).to.equal(1);
    expect(close(ry.liquidatedNotional, 50 * p1)).to.equal(true);
    // Each protocol's bad debt is paid by its own fund: Y's large fund covers Y, X has none.
    expect(ry.shortfall).to.equal(0);
    expect(rx.shortfall).to.be.greaterThan(0);
    expect(close(r.shortfall, rx.shortfall)).to.equal(true);
  });
});
