import { expect } from "chai";
import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { factorPath, parseScenario, priceMultipliers, ScenarioError, totalSteps } from "../../../src/rehearse/scenario";

const base = { name: "t", description: "test", factor: [{ steps: 4, to: -0.2 }, { steps: 2, to: -0.2 }] };

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
    const bad = { name: "Bad Name", description: "", factor: [{ steps: 0, to: -1.5 }], events: [{ step: 1, kind: "openPositions", market: "ETH-USD", side: "up", count: 1, notionalUsd: 1, leverage: "max" }] };
    expect(() => parseScenario(bad, "bad.json"))
      .to.throw(ScenarioError)
      .that.satisfies((e: Error) => ["bad.json", "name:", "description:", "factor.0.steps", "factor.0.to", "events.0.side"].every((s) => e.message.includes(s)));
    expect(() => parseScenario({ ...base, events: [{ step: 9, kind: "withdrawLiquidity", market: "ETH-USD", fraction: 0.5 }] }, "late.json")).to.throw(/step 9 is after the last step \(6\)/);
  });

  it("ships scenarios that all parse and are named after their files", () => {
    const dir = join(__dirname, "..", "..", "..", "scenarios");
    const files = readdirSync(dir).filter((f) => f.endsWith(".json"));
    expect(files).to.include.members(["crash-thin-liquidity.json", "crash-35.json", "slow-bleed.json", "recovery.json"]);
    for (const f of files) {
      const s = parseScenario(JSON.parse(readFileSync(join(dir, f), "utf8")), f);
      expect(`${s.name}.json`).to.equal(f);
    }
  });
});
