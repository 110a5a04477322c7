import { expect } from "chai";
import { computeMetrics, runScenario, stressGrid, breakingShock } from "../../../src/risk";
import { book, close, long, short } from "./books";

describe("risk metrics (worked by hand)", () => {
  // USDC 100,000 at $1, haircut 2 %; ETH mark $1,000; MMR 5 %.
  // long 10 @ 1,000 with $5,000; short 5 @ 1,000 with $2,000; insurance $1,000.
  const snapshot = book({ positions: [long(10, 5000), short(5, 2000)], insuranceFund: 1000 });

  it("computes C, C*, V, svr, equity, maintenance and the buffer", () => {
    const { protocol, markets } = computeMetrics(snapshot);
    expect(protocol.collateralValue).to.equal(100_000); // 100,000 × $1
    expect(protocol.adjustedCollateral).to.equal(98_000); // × (1 − 0.02)
    expect(protocol.notionalOpenInterest).to.equal(15_000); // 10 × 1,000 + 5 × 1,000
    expect(close(protocol.svr, 100_000 / 15_000)).to.equal(true);
    expect(close(protocol.adjustedSvr, 98_000 / 15_000)).to.equal(true);
    expect(protocol.equity).to.equal(8000); // 1,000 + 5,000 + 2,000 (no PnL at entry)
    expect(protocol.maintenanceRequirement).to.equal(750); // 5 % × 15,000
    expect(protocol.systemicBuffer).to.equal(7250);
    expect(close(protocol.bufferRatio, 7250 / 15_000)).to.equal(true);
    // The market's own collateral is what its positions posted: 7,000.
    const eth = markets["ETH-PERP"];
    expect(eth.collateralValue).to.equal(7000);
    expect(close(eth.svr, 7000 / 15_000)).to.equal(true);
    expect(eth.systemicBuffer).to.equal(6250); // 7,000 − 750
  });

  it("survives −30 % with no bad debt", () => {
    // Long liquidation price (10·1000 − 5000)/(10·0.95) = 526.3 < 700; short (2000 + 5000)/(5·1.05) = 1333.3.
    const r = runScenario(snapshot, { ETH: -0.3 });
    expect(r.rounds).to.equal(0);
    expect(r.liquidatedNotional).to.equal(0);
    expect(r.shortfall).to.equal(0);
    expect(r.finalPrices.ETH).to.equal(700);
    expect(close(r.svr, 100_000 / (15 * 700))).to.equal(true);
  });

  it("reports a null svr and no NaN anywhere when nothing is open", () => {
    const empty = book({ positions: [] });
    const m = computeMetrics(empty);
    expect(m.protocol.svr).to.equal(null);
    expect(m.protocol.adjustedSvr).to.equal(null);
    expect(m.protocol.bufferRatio).to.equal(null);
    expect(m.markets["ETH-PERP"].svr).to.equal(null);
    const r = runScenario(empty, { ETH: -0.5 });
    expect(r.svr).to.equal(null);
    expect(r.shortfall).to.equal(0);
    const grid = stressGrid(empty);
    expect(grid).to.have.length(101);
    expect(JSON.stringify(grid)).not.to.include("NaN");
    expect(breakingShock(empty)).to.deep.include({ down: null, up: null });
  });
});
