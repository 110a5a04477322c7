import { expect } from "chai";
import { compileBook, compileBooks, RiskInputError, runScenario } from "../../../src/risk";
import { compilePrefix } from "../../../src/risk/prefix-cascade";
import { sampleShocks, shockModelFor, tails, valueAtRisk, type ShockModel } from "../../../src/risk/value-at-risk";
import { randomSnapshot } from "./random-books";

const model = (over: Partial<ShockModel> = {}): ShockModel => ({
  assets: ["ETH", "BTC"],
  volatility: [0.06, 0.04],
  correlation: [
    [1, 0.7],
    [0.7, 1],
  ],
  degreesOfFreedom: 6,
  samples: 20_000,
  seed: 7,
  horizon: "1 day",
  ...over,
});

describe("sampled shocks: a seeded multivariate Student-t", () => {
  const m = model();
  const x = sampleShocks(m);
  const logs = (a: number) => Array.from({ length: m.samples }, (_, s) => Math.log1p(x[s * 2 + a]));
  const mean = (v: number[]) => v.reduce((s, y) => s + y, 0) / v.length;
  const eth = logs(0);
  const btc = logs(1);
  const sd = (v: number[]) => {
    const mu = mean(v);
    return Math.sqrt(mean(v.map((y) => (y - mu) ** 2)));
  };

  it("replays exactly from its seed, and another seed differs", () => {
    expect(Array.from(sampleShocks(m).subarray(0, 50))).to.deep.equal(Array.from(x.subarray(0, 50)));
    expect(sampleShocks(model({ seed: 8 }))[0]).to.not.equal(x[0]);
  });

  it("has the stated volatilities and correlation (20,000 samples, within sampling error)", () => {
    expect(sd(eth)).to.be.closeTo(0.06, 0.06 * 0.04);
    expect(sd(btc)).to.be.closeTo(0.04, 0.04 * 0.04);
    const [me, mb] = [mean(eth), mean(btc)];
    const cov = mean(eth.map((y, i) => (y - me) * (btc[i] - mb)));
    expect(cov / (sd(eth) * sd(btc))).to.be.closeTo(0.7, 0.03);
  });

  it("has fat tails: kurtosis well above the normal's 3 (ν = 6 gives 6)", () => {
    const [s, mu] = [sd(eth), mean(eth)];
    const kurtosis = mean(eth.map((y) => ((y - mu) / s) ** 4));
    expect(kurtosis).to.be.greaterThan(4.5);
  });

  it("refuses a model that makes no sense, naming the field", () => {
    const bad = (over: Partial<ShockModel>, field: string) => {
      expect(() => sampleShocks(model(over)))
        .to.throw(RiskInputError)
        .with.property("field", field);
    };
    bad({ degreesOfFreedom: 2 }, "valueAtRisk.degreesOfFreedom");
    bad({ samples: 0 }, "valueAtRisk.samples");
    bad({ volatility: [0.05, -1] }, "valueAtRisk.volatility[1]");
    bad(
      {
        correlation: [
          [1, 1.2],
          [1.2, 1],
        ],
      },
      "valueAtRisk.correlation[1][0]",
    );
    bad(
      {
        correlation: [
          [1, 0.5],
          [0.4, 1],
        ],
      },
      "valueAtRisk.correlation[1][0]",
    );
  });
});

describe("tail figures", () => {
  it("VaR is the smallest of the ⌈(1 − α)·n⌉ largest losses, expected shortfall their mean; shortfall is what the fund leaves", () => {
    const losses = Float64Array.from({ length: 100 }, (_, i) => 100 - i); // 1 … 100, unsorted
    const t = tails(losses, 90);
    expect(t.loss).to.deep.equal({ p95: 96, p99: 100, es95: 98, es99: 100 });
    expect(t.shortfall).to.deep.equal({ p95: 6, p99: 10, es95: 8, es99: 10 });
  });
});

describe("value at risk over cascades", () => {
  const snapshot = randomSnapshot(51, 1_500, { pools: "depthTable", insuranceFund: 50_000 });
  const book = compileBook(snapshot);
  const m = model({ samples: 400, volatility: [0.12, 0.1], degreesOfFreedom: 4 });

  it("is each sample's cascade (the walk, run one by one) summarised: per protocol and per market", () => {
    const shocks = sampleShocks(m);
    const report = valueAtRisk(book, m, shocks);
    expect(report.cascade.path).to.equal("prefix");
    const protocol = new Float64Array(m.samples);
    for (let s = 0; s < m.samples; s++) protocol[s] = runScenario(book, { ETH: shocks[s * 2], BTC: shocks[s * 2 + 1] }, { path: "walk" }).deficit;
    const expected = tails(protocol, 50_000);
    for (const k of ["p95", "p99", "es95", "es99"] as const) {
      expect(report.protocols[0].loss[k]).to.be.closeTo(expected.loss[k], 1e-9 * Math.max(1, expected.loss[k]));
      expect(report.protocols[0].shortfall[k]).to.be.closeTo(expected.shortfall[k], 0.01);
    }
    expect(report.protocols[0].loss.p99, "the sample reaches bad debt").to.be.greaterThan(0);
    expect(report.markets.map((x) => x.market)).to.deep.equal(book.markets.map((x) => x.id));
    // Each market's loss in a sample is at most the protocol's; their tail means bound the protocol's from below.
    for (const x of report.markets) expect(x.loss.es99).to.be.at.most(report.protocols[0].loss.es99 + 1e-6);
    expect(report.markets.reduce((s, x) => s + x.loss.es99, 0)).to.be.at.least(report.protocols[0].loss.es99 - 1e-6);
    expect(report.model).to.match(/Student-t \(ν = 4\).*400 samples, seed 7/);
  });

  it("reports every protocol of books compiled together (shared pools)", () => {
    const a = randomSnapshot(52, 800, { pools: "constantProduct", protocol: "alpha" });
    const b = randomSnapshot(53, 800, { pools: "constantProduct", protocol: "beta" });
    const r = valueAtRisk(compileBooks([a, b]), model({ samples: 200 }));
    expect(r.protocols.map((p) => p.protocol)).to.deep.equal(["alpha", "beta"]);
    expect(r.markets.map((x) => x.protocol)).to.deep.equal(["alpha", "alpha", "beta", "beta"]);
  });

  it("falls back to the walk on a book without the prefix property: per protocol only, and says why", () => {
    const b = compileBook(snapshot);
    b.prefix = { kind: "unavailable", reason: "test: per-position margins" };
    const r = valueAtRisk(b, model({ samples: 50 }));
    expect(r.cascade).to.deep.equal({ path: "walk", reason: "test: per-position margins" });
    expect(r.markets).to.deep.equal([]);
    b.prefix = compilePrefix(b);
    const fast = valueAtRisk(b, model({ samples: 50 })).protocols[0].loss;
    for (const k of ["p95", "p99", "es95", "es99"] as const) expect(fast[k]).to.be.closeTo(r.protocols[0].loss[k], 1e-12 * Math.max(1, r.protocols[0].loss[k]));
  });

  it("the default model moves every traded asset and no collateral-only asset, and names unknown assets", () => {
    const d = shockModelFor(book, { volatility: { BTC: 0.08 } });
    expect(d.assets).to.deep.equal(["ETH", "BTC"]);
    expect(d.volatility).to.deep.equal([0.05, 0.08]);
    expect(d.samples).to.equal(10_000);
    expect(() => shockModelFor(book, { volatility: { DOGE: 0.1 } }))
      .to.throw(RiskInputError)
      .with.property("field", "valueAtRisk.volatility.DOGE");
    expect(() => valueAtRisk(book, model({ assets: ["ETH", "SOL"] })))
      .to.throw(RiskInputError)
      .with.property("field", "valueAtRisk.assets[1]");
  });
});
