import { expect } from "chai";
import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { factorPath, marketMultipliers, parseScenario, pathAt, priceMultipliers, ScenarioError, totalSteps } from "../../../src/rehearse/scenario";

const base = {
  name: "t",
  description: "test",
  factor: [
    { steps: 4, to: -0.2 },
    { steps: 2, to: -0.2 },
  ],
};

describe("rehearsal scenarios (pure)", () => {
  it("walks the common factor linearly through its segments, step 0 being the start", () => {
    const s = parseScenario(base, "inline");
    expect(totalSteps(s)).to.equal(6);
    const f = factorPath(s);
    expect(f.length).to.equal(7);
    [0, -0.05, -0.1, -0.15, -0.2, -0.2, -0.2].forEach((v, i) => expect(f[i]).to.be.closeTo(v, 1e-12));
  });

  it("scales each asset by its beta (stablecoins at 0 stay put) and replays the same noise for the same seed", () => {
    const s = parseScenario({ ...base, betas: { WBTC: 0.5, USDC: 0 }, noise: 0.01, seed: 4 }, "inline");
    const a = priceMultipliers(s, ["WETH", "WBTC", "USDC"]);
    expect(a.USDC.every((m) => m === 1)).to.equal(true);
    expect(a.WETH[0]).to.equal(1);
    // Noise compounds around 1 + beta·factor: at the end WETH sits near 0.8, WBTC near 0.9.
    expect(a.WETH[6]).to.be.closeTo(0.8, 0.05);
    expect(a.WBTC[6]).to.be.closeTo(0.9, 0.05);
    expect(priceMultipliers(s, ["USDC", "WBTC", "WETH"])).to.deep.equal(a); // order of discovery does not matter
    expect(priceMultipliers({ ...s, seed: 5 }, ["WETH", "WBTC", "USDC"]).WETH).to.not.deep.equal(a.WETH);
  });

  it("names every wrong field of a scenario file", () => {
    const bad = {
      name: "Bad Name",
      description: "",
      factor: [{ steps: 0, to: -1.5 }],
      events: [{ step: 1, kind: "openPositions", market: "ETH-USD", side: "up", count: 1, notionalUsd: 1, leverage: "max" }],
    };
    expect(() => parseScenario(bad, "bad.json"))
      .to.throw(ScenarioError)
      .that.satisfies((e: Error) => ["bad.json", "name:", "description:", "factor.0.steps", "factor.0.to", "events.0.side"].every((s) => e.message.includes(s)));
    expect(() => parseScenario({ ...base, events: [{ step: 9, kind: "withdrawLiquidity", market: "ETH-USD", fraction: 0.5 }] }, "late.json")).to.throw(/step 9 is after the last step \(6\)/);
  });

  it("replays an explicit price path: timestamped prices interpolated at each step's time, as ratios to the first point", () => {
    // 60 s steps; BTC's series in USD: 100k → 87k at 2 min → 93.5k at 5 min, held after.
    const s = parseScenario(
      {
        ...base,
        secondsPerStep: 60,
        noise: 0.01,
        pricePath: {
          WBTC: [
            { t: 0, price: 100_000 },
            { t: 120, price: 87_000 },
            { t: 300, price: 93_500 },
          ],
        },
      },
      "path.json",
    );
    const m = priceMultipliers(s, ["WETH", "WBTC"]);
    [1, 0.935, 0.87, 0.8917, 0.9133, 0.935, 0.935].forEach((v, i) => expect(m.WBTC[i]).to.be.closeTo(v, 1e-4));
    expect(m.WETH[4]).to.not.equal(m.WBTC[4]); // an asset without a path still follows the factor (and its noise)
    expect(
      pathAt(
        [
          { t: 0, price: 2 },
          { t: 10, price: 4 },
        ],
        2.5,
      ),
    ).to.equal(2.5);
  });

  it("publishes each price late by the oracle lag, while the market moves on time", () => {
    const s = parseScenario({ ...base, oracleLagSteps: 2 }, "lag.json");
    const market = marketMultipliers(s, ["WETH"]).WETH;
    const oracle = priceMultipliers(s, ["WETH"]).WETH;
    expect(oracle.slice(0, 3)).to.deep.equal([1, 1, 1]);
    oracle.slice(2).forEach((v, i) => expect(v).to.equal(market[i]));
  });

  it("names the field of a wrong price path", () => {
    expect(() => parseScenario({ ...base, pricePath: { WBTC: [{ t: 0, price: 1 }] } }, "short.json")).to.throw(/short\.json[\s\S]*pricePath\.WBTC/);
    expect(() =>
      parseScenario(
        {
          ...base,
          pricePath: {
            WBTC: [
              { t: 0, price: -1 },
              { t: 5, price: 1 },
            ],
          },
        },
        "neg.json",
      ),
    ).to.throw(/pricePath\.WBTC\.0\.price/);
    expect(() =>
      parseScenario(
        {
          ...base,
          pricePath: {
            WBTC: [
              { t: 5, price: 1 },
              { t: 9, price: 1 },
            ],
          },
        },
        "late.json",
      ),
    ).to.throw(/pricePath\.WBTC\.0\.t: the first point must be at t = 0/);
    expect(() =>
      parseScenario(
        {
          ...base,
          pricePath: {
            WBTC: [
              { t: 0, price: 1 },
              { t: 9, price: 1 },
              { t: 9, price: 2 },
            ],
          },
        },
        "back.json",
      ),
    ).to.throw(/pricePath\.WBTC\.2\.t: times must increase/);
    expect(() =>
      parseScenario(
        {
          ...base,
          pricePath: {
            WBTC: [
              { t: 0, price: 1, when: 3 },
              { t: 9, price: 1 },
            ],
          },
        },
        "extra.json",
      ),
    ).to.throw(/pricePath\.WBTC\.0/);
  });

  it("ships scenarios that all parse and are named after their files: the embedded suite, and the replica's apart from it", () => {
    const dir = join(__dirname, "..", "..", "..", "scenarios");
    const files = readdirSync(dir).filter((f) => f.endsWith(".json"));
    expect(files).to.include.members(["crash-thin-liquidity.json", "crash-35.json", "slow-bleed.json", "recovery.json"]);
    expect(files.length).to.be.at.least(10); // the evaluate suite
    const replica = readdirSync(join(dir, "replica")).filter((f) => f.endsWith(".json"));
    expect(replica).to.have.members(["replica-crash.json", "replica-lst-depeg.json"]);
    expect(files.filter((f) => f.startsWith("replica"))).to.deep.equal([]);
    for (const f of [...files, ...replica.map((r) => join("replica", r))]) {
      const s = parseScenario(JSON.parse(readFileSync(join(dir, f), "utf8")), f);
      expect(`${s.name}.json`).to.equal(f.replace(/^replica\//, ""));
    }
  });
});
