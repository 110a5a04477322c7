import { expect } from "chai";
import { acrossNoiseSeeds } from "../../../src/evaluate/seeds";
import { parseScenario, priceMultipliers, ScenarioError } from "../../../src/rehearse/scenario";

const noisy = parseScenario({ name: "drop", description: "d", seed: 5, noise: 0.01, factor: [{ steps: 4, to: -0.2 }] }, "drop.json");
const still = parseScenario(
  {
    name: "path",
    description: "d",
    factor: [{ steps: 4, to: 0 }],
    pricePath: {
      WBTC: [
        { t: 0, price: 100 },
        { t: 48, price: 90 },
      ],
    },
  },
  "path.json",
);

describe("evaluate --seeds: a scenario's noise-seed variants", () => {
  it("keeps the file's own seed and name first, then seed + 101·k as <name>-seed<n>; a scenario without noise plays once", () => {
    const plays = acrossNoiseSeeds([noisy, still], 3);
    expect(plays.map((s) => [s.name, s.seed, s.variantOf])).to.deep.equal([
      ["drop", 5, "drop"],
      ["drop-seed106", 106, "drop"],
      ["drop-seed207", 207, "drop"],
      ["path", still.seed, "path"],
    ]);
    // The variants play other prices (their noise), the same factor path.
    const eth = (s: (typeof plays)[number]) => priceMultipliers(s, ["WETH"]).WETH;
    expect(eth(plays[1])).to.not.deep.equal(eth(plays[0]));
    expect(eth(plays[1])[4]).to.be.closeTo(eth(plays[0])[4], 0.1);
  });

  it("one seed is the suite as written", () => {
    expect(acrossNoiseSeeds([noisy, still], 1)).to.deep.equal([noisy, still]);
  });

  it("refuses a seed count that is not a whole number ≥ 1, and a variant name the suite already uses", () => {
    for (const n of [0, 1.5, Number.NaN, "x", "2e0", ""]) expect(() => acrossNoiseSeeds([noisy], n)).to.throw(ScenarioError, /must be a whole number ≥ 1/);
    expect(() => acrossNoiseSeeds([noisy], "x")).to.throw("--seeds x: must be a whole number ≥ 1");
    expect(acrossNoiseSeeds([noisy], "2")).to.have.length(2);
    const clash = { ...still, name: "drop-seed106" };
    expect(() => acrossNoiseSeeds([noisy, clash], 2)).to.throw(ScenarioError, /two plays would be named drop-seed106/);
  });
});
