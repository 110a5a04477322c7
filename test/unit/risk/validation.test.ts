import { expect } from "chai";
import { computeMetrics, runScenario, SnapshotValidationError, RiskInputError, type Snapshot } from "../../../src/risk";
import { book, long } from "./books";

function fieldOf(fn: () => unknown): string {
  try {
    fn();
  } catch (e) {
    expect(e).to.be.instanceOf(SnapshotValidationError);
    return (e as SnapshotValidationError).field;
  }
  throw new Error("expected a SnapshotValidationError");
}

describe("bad input is refused with the field named", () => {
  const good = () => book({ positions: [long(1, 100), long(2, 300)] });

  it("names a NaN price", () => {
    const s = good();
    s.assets[1].price = Number.NaN;
    expect(fieldOf(() => computeMetrics(s))).to.equal("assets[1].price");
  });

  it("names a negative size or price", () => {
    const s = good();
    s.positions[1].size = -2;
    expect(fieldOf(() => computeMetrics(s))).to.equal("positions[1].size");
    const t = good();
    t.markets[0].mark = -5;
    expect(fieldOf(() => runScenario(t, {}))).to.equal("markets[0].mark");
  });

  it("names an unknown market or asset", () => {
    const s = good();
    s.positions[0].market = "DOGE-PERP";
    expect(fieldOf(() => computeMetrics(s))).to.equal("positions[0].market");
    const t = good();
    t.markets[0].asset = "DOGE";
    expect(fieldOf(() => computeMetrics(t))).to.equal("markets[0].asset");
  });

  it("names an impossible side, haircut and liquidity model", () => {
    const s = good();
    (s.positions[0] as { side: number }).side = 0;
    expect(fieldOf(() => computeMetrics(s))).to.equal("positions[0].side");
    const t = good();
    t.assets[0].haircut = 1;
    expect(fieldOf(() => computeMetrics(t))).to.equal("assets[0].haircut");
    const u: Snapshot = good();
    u.assets[1].liquidity = {
      kind: "depthTable",
      levels: [
        { price: 2, baseLiquidity: 1 },
        { price: 1, baseLiquidity: 0 },
      ],
    };
    expect(fieldOf(() => computeMetrics(u))).to.equal("assets[1].liquidity.levels[1].price");
  });

  it("refuses shocks on unknown assets or of −100 % and beyond", () => {
    expect(() => runScenario(good(), { DOGE: -0.1 })).to.throw(RiskInputError, "shocks.DOGE");
    expect(() => runScenario(good(), { ETH: -1 })).to.throw(RiskInputError, "shocks.ETH");
    expect(() => runScenario(good(), { ETH: Number.NaN })).to.throw(RiskInputError, "shocks.ETH");
  });
});
