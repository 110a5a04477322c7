import { expect } from "chai";
import { DEFAULT_MARKET_POLICY, INITIAL_LEVEL_STATE, stepLevel, type MarketLevelState } from "../../../src/policy";

const p = { ...DEFAULT_MARKET_POLICY, confirmations: 3, hysteresis: 0.05 }; // svr act 0.20, warn 0.25

function run(svrs: number[]): { levels: string[]; transitions: number } {
  let state: MarketLevelState = INITIAL_LEVEL_STATE;
  const levels: string[] = [];
  let transitions = 0;
  for (const svr of svrs) {
    const step = stepLevel(state, { svr, breakingShock: null, forecastBreach: false }, p);
    state = step.state;
    if (step.transition) transitions++;
    levels.push(state.level);
  }
  return { levels, transitions };
}

describe("level machine: confirmation and hysteresis", () => {
  it("does not flap when svr flaps around the act threshold", () => {
    // 0.199 is act, 0.201 is warn: alternating never gives three consecutive act observations.
    const flapping = Array.from({ length: 40 }, (_, i) => (i % 2 ? 0.199 : 0.201));
    const r = run([0.24, 0.24, 0.24, ...flapping]);
    expect(r.levels.slice(3).every((l) => l === "warn")).to.equal(true);
    expect(r.transitions).to.equal(1); // ok → warn, once
  });

  it("escalates after N consecutive observations, and leaves only after clearing the level by the hysteresis margin", () => {
    const r = run([0.19, 0.19, 0.19, 0.205, 0.209, 0.205, 0.209, 0.205, 0.22, 0.22, 0.22]);
    // Three at 0.19: act on the third. 0.205–0.209 are above act (0.20) but inside the 5 % band (0.21): stays act.
    expect(r.levels.slice(0, 3)).to.deep.equal(["ok", "ok", "act"]);
    expect(r.levels.slice(3, 8).every((l) => l === "act")).to.equal(true);
    // 0.22 clears act with hysteresis (> 0.21) and is warn (< 0.25 × 1.05): after three, warn.
    expect(r.levels.slice(8)).to.deep.equal(["act", "act", "warn"]);
  });

  it("lets a single extreme observation through only after confirmation, even at critical", () => {
    const r = run([0.1, 0.3, 0.1, 0.1, 0.1]);
    expect(r.levels).to.deep.equal(["ok", "ok", "ok", "ok", "critical"]);
  });

  it("counts healthy observations for relaxation, and resets on any blemish", () => {
    let state: MarketLevelState = INITIAL_LEVEL_STATE;
    for (let i = 0; i < 5; i++) state = stepLevel(state, { svr: 0.4, breakingShock: 0.5, forecastBreach: false }, p).state;
    expect(state.healthy).to.equal(5);
    state = stepLevel(state, { svr: 0.26, breakingShock: 0.5, forecastBreach: false }, p).state; // ok but under target
    expect(state.healthy).to.equal(0);
  });
});
