import { expect } from "chai";
import { splitSuite } from "../../../src/cli/commands/evaluate-workers";

describe("evaluate --workers: the suite's split among worker processes", () => {
  const suite = [
    { name: "a", steps: 26 },
    { name: "b", steps: 52 },
    { name: "c", steps: 16 },
    { name: "d", steps: 34 },
    { name: "e", steps: 16 },
  ];

  it("puts every scenario in exactly one group, the longest first onto the least loaded worker", () => {
    const groups = splitSuite(suite, 2);
    // b 52 → first; d 34 → second; a 26 → second (60); c 16 → first (68); e 16 → second (76).
    expect(groups).to.deep.equal([
      ["b", "c"],
      ["d", "a", "e"],
    ]);
    expect(groups.flat().sort()).to.deep.equal(["a", "b", "c", "d", "e"]);
  });

  it("is the same split for the same suite in any order, and drops workers left without a scenario", () => {
    expect(splitSuite([...suite].reverse(), 2)).to.deep.equal(splitSuite(suite, 2));
    expect(splitSuite(suite.slice(0, 2), 4)).to.deep.equal([["b"], ["a"]]);
    expect(splitSuite(suite, 1)).to.deep.equal([["b", "d", "a", "c", "e"]]);
  });
});
