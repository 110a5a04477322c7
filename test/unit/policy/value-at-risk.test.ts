import { expect } from "chai";
import { DEFAULT_POLICY, planActions, validatePolicy, type PolicyConfig, type PolicyState, type SetMarginRatios, type ValueAtRiskLimit } from "../../../src/policy";
import { describeReason } from "../../../src/policy/describe";
import { long, onchain, perpsBook, policy, short } from "./fixtures";

const empty: PolicyState = { markets: {} };
const P99_WITHIN_FUND: ValueAtRiskLimit = { measure: "p99", maxInsuranceMultiple: 1, level: "act" };

/**
 * 3x longs and shorts (liquidation ~35 % away, so the 25 % breaking-shock target holds and svr is
 * high) under a violent model (σ 30 % over the horizon, ν = 3): the tails go far past 35 %, where
 * the cascade leaves bad debt above a $1,000 insurance fund.
 */
const calmBookWildModel = (insurance = 1000) => {
  const positions = [];
  for (let i = 0; i < 20; i++) positions.push(long(100, 34_000 + i * 100), short(100, 34_000 + i * 100));
  return perpsBook(positions, { insurance, poolEth: 20_000 });
};
const config = (limit: ValueAtRiskLimit | undefined, over: Partial<PolicyConfig["valueAtRisk"]> = {}): PolicyConfig => {
  const p = policy(limit ? { valueAtRisk: limit } : {});
  return { ...p, valueAtRisk: { ...DEFAULT_POLICY.valueAtRisk, samples: 2000, defaultVolatility: 0.3, degreesOfFreedom: 3, ...over } };
};

describe("Value at Risk as a policy signal", () => {
  it("a market configured with 'p99 loss ≤ insurance fund' acts on a breach with the levers that bind only new risk (IMR, caps), never MMR", () => {
    const risk = calmBookWildModel();
    const plan = planActions({ snapshot: onchain(risk), history: {}, state: empty, config: config(P99_WITHIN_FUND) });
    const m = plan.markets[0];
    expect(m.breakingShock.down, "the breaking shock clears the 25 % target").to.be.greaterThan(0.25);
    expect(m.valueAtRisk!.loss.p99).to.be.greaterThan(1000);
    expect(m.valueAtRisk!.breach).to.equal(true);
    expect(m.level).to.equal("act");
    expect(plan.actions.map((a) => a.action.kind)).to.deep.equal(["setMarginRatios", "setOpenInterestCaps"]);
    const margins = plan.actions[0].action as SetMarginRatios;
    expect(margins.mmrBps, "existing positions are not forced out").to.equal(500n);
    expect(margins.imrBps).to.be.greaterThan(1000n);
    for (const a of plan.actions) expect(a.reason).to.deep.equal(plan.actions[0].reason);
    const reason = plan.actions[0].reason;
    expect(reason).to.deep.include({ metric: "valueAtRisk", level: "act", threshold: 1000 });
    expect(reason.observed).to.equal(m.valueAtRisk!.loss.p99);
    expect(describeReason(reason)).to.match(/^tail loss \$\d+ > limit \$1000 \(act\)$/);
    expect(plan.valueAtRisk!.model).to.match(/Student-t \(ν = 3\).*2000 samples/);
  });

  it("without a limit the same figures are reported and nothing is done", () => {
    const plan = planActions({ snapshot: onchain(calmBookWildModel()), history: {}, state: empty, config: config(undefined) });
    expect(plan.markets[0].level).to.equal("ok");
    expect(plan.markets[0].valueAtRisk!.breach).to.equal(false);
    expect(plan.markets[0].valueAtRisk!.loss.p99).to.be.greaterThan(1000);
    expect(plan.actions).to.deep.equal([]);
  });

  it("an insurance fund larger than the p99 loss clears the limit", () => {
    const small = planActions({ snapshot: onchain(calmBookWildModel()), history: {}, state: empty, config: config(P99_WITHIN_FUND) });
    const fund = small.markets[0].valueAtRisk!.loss.p99 * 1.01;
    const plan = planActions({ snapshot: onchain(calmBookWildModel(fund)), history: {}, state: empty, config: config(P99_WITHIN_FUND) });
    expect(plan.markets[0].valueAtRisk!.breach).to.equal(false);
    expect(plan.markets[0].valueAtRisk!.shortfall.p99).to.equal(0);
    expect(plan.markets[0].level).to.equal("ok");
  });

  it("runs at its configured cadence: the stored report is reused within everySeconds of block time", () => {
    const cfg = config(P99_WITHIN_FUND, { everySeconds: 60 });
    const at = (dt: number) => onchain(perpsBook(calmBookWildModel().positions, { insurance: 1000, poolEth: 20_000, timestamp: 1_800_000_000 + dt }));
    const first = planActions({ snapshot: at(0), history: {}, state: empty, config: cfg });
    const second = planActions({ snapshot: at(30), history: {}, state: first.state, config: cfg });
    expect(second.state.valueAtRisk).to.equal(first.state.valueAtRisk);
    const third = planActions({ snapshot: at(60), history: {}, state: second.state, config: cfg });
    expect(third.state.valueAtRisk!.at).to.equal(1_800_000_060);
    expect(third.valueAtRisk!.markets[0].loss).to.deep.equal(first.valueAtRisk!.markets[0].loss); // same book, same seed
  });

  it("disabled: no report, no signal", () => {
    const plan = planActions({ snapshot: onchain(calmBookWildModel()), history: {}, state: empty, config: config(P99_WITHIN_FUND, { enabled: false }) });
    expect(plan.valueAtRisk).to.equal(undefined);
    expect(plan.markets[0].valueAtRisk).to.equal(undefined);
    expect(plan.markets[0].level).to.equal("ok");
  });

  it("a bad limit or model is refused with its field named", () => {
    const bad = {
      ...config({ measure: "p90" as "p99", maxInsuranceMultiple: -1, level: "ok" as "act" }),
      valueAtRisk: { ...DEFAULT_POLICY.valueAtRisk, samples: 10, degreesOfFreedom: 2, everySeconds: -1 },
    };
    expect(validatePolicy(bad)).to.include.members([
      "policy.defaults.valueAtRisk.measure: must be p95, p99, es95 or es99",
      "policy.defaults.valueAtRisk.maxInsuranceMultiple: must be a number ≥ 0",
      "policy.defaults.valueAtRisk.level: must be warn, act or critical",
      "policy.valueAtRisk.samples: must be an integer in [100, 1,000,000]",
      "policy.valueAtRisk.degreesOfFreedom: must be > 2",
      "policy.valueAtRisk.everySeconds: must be ≥ 0",
    ]);
  });
});
