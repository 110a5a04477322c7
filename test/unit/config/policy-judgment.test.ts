import { expect } from "chai";
import { ConfigError, parseConfig } from "../../../src/config/load";
import { policyFor } from "../../../src/config/policy";
import { DEFAULT_MARKET_POLICY } from "../../../src/policy";

const A = "0x" + "11".repeat(20);
const B = "0x" + "22".repeat(20);

function protocolWith(policy: Record<string, unknown>) {
  return parseConfig({ chain: { chainId: 31337, rpcUrl: "http://127.0.0.1:8545" }, protocols: [{ id: "ref-perps", adapter: "reference", protocol: A, steward: B, policy }] }).protocols[0];
}

/** The problems named for a policy block: it is checked when the config is loaded. */
function problemsOf(policy: Record<string, unknown>): string[] {
  try {
    protocolWith(policy);
  } catch (e) {
    expect(e).to.be.instanceOf(ConfigError);
    return (e as ConfigError).problems;
  }
  throw new Error("expected the policy to be refused");
}

describe("policy config: the judgment fields", () => {
  it("fills the documented defaults and takes a partial override", () => {
    expect(policyFor(protocolWith({}), 0).defaults.judgment).to.deep.equal({
      minAvoidedBadDebtPerForcedNotional: 0.5,
      liveSecondsToBreak: 180,
      lookbackSeconds: 60,
      minForecastObservations: 10,
      projectionSeconds: 0,
      maxProjectedMove: 0.5,
    });
    const cfg = policyFor(protocolWith({ defaults: { judgment: { minAvoidedBadDebtPerForcedNotional: 0.25 } } }), 0);
    expect(cfg.defaults.judgment).to.deep.equal({ ...DEFAULT_MARKET_POLICY.judgment, minAvoidedBadDebtPerForcedNotional: 0.25 });
  });

  it("names every bad judgment field and baseline", () => {
    const problems = problemsOf({
      defaults: {
        judgment: { minAvoidedBadDebtPerForcedNotional: 0, liveSecondsToBreak: -1, minForecastObservations: 2.5, projectionSeconds: -1, maxProjectedMove: 1, typo: 1 },
        baselineMargins: { imrBps: 500, mmrBps: 500 },
      },
    });
    const at = "protocols[0].policy.defaults";
    expect(problems.some((p) => p.includes(`${at}.judgment.minAvoidedBadDebtPerForcedNotional:`) && p.includes("must be > 0"))).to.equal(true);
    expect(problems.some((p) => p.includes(`${at}.judgment.liveSecondsToBreak:`))).to.equal(true);
    expect(problems.some((p) => p.includes(`${at}.judgment.minForecastObservations:`))).to.equal(true);
    expect(problems.some((p) => p.includes(`${at}.judgment.projectionSeconds:`) && p.includes("must be ≥ 0"))).to.equal(true);
    expect(problems.some((p) => p.includes(`${at}.judgment.maxProjectedMove:`) && p.includes("at most 0.95"))).to.equal(true);
    expect(problems.some((p) => p.includes(`${at}.judgment:`) && p.includes("typo"))).to.equal(true);
    expect(problems.some((p) => p.includes(`${at}.baselineMargins:`) && p.includes("imrBps must be above mmrBps"))).to.equal(true);
  });

  it("takes a market's baseline caps, and names a bad one", () => {
    const cfg = policyFor(protocolWith({ markets: { "ETH-USD": { baselineCaps: { longUsd: 40_000_000, shortUsd: 35_000_000 } } } }), 0);
    expect(cfg.markets["ETH-USD"].baselineCaps).to.deep.equal({ longUsd: 40_000_000, shortUsd: 35_000_000 });
    const problems = problemsOf({ markets: { "ETH-USD": { baselineCaps: { longUsd: 0, shortUsd: 1 } } } });
    expect(problems.some((p) => p.includes("protocols[0].policy.markets.ETH-USD.baselineCaps.longUsd:") && p.includes("must be > 0"))).to.equal(true);
    expect(problemsOf({ defaults: { baselineCaps: { longUsd: 1, shortUsd: 1, typo: 1 } } }).join()).to.include("typo");
  });

  it("takes a lending reserve's baseline (LTV, threshold, borrow cap), and names a bad one", () => {
    const reserve = "0x" + "e1".repeat(20);
    const cfg = policyFor(protocolWith({ markets: { [reserve]: { baselineReserve: { ltvBps: 8000, liquidationThresholdBps: 8250, borrowCap: 1_000_000 } } } }), 0);
    expect(cfg.markets[reserve].baselineReserve).to.deep.equal({ ltvBps: 8000, liquidationThresholdBps: 8250, borrowCap: 1_000_000 });
    const at = `protocols[0].policy.markets.${reserve}.baselineReserve`;
    const inverted = problemsOf({ markets: { [reserve]: { baselineReserve: { ltvBps: 8300, liquidationThresholdBps: 8250, borrowCap: 1 } } } });
    expect(inverted.some((p) => p.startsWith(`${at}:`) && p.includes("ltvBps must be at most liquidationThresholdBps"))).to.equal(true);
    const unlimited = problemsOf({ markets: { [reserve]: { baselineReserve: { ltvBps: 8000, liquidationThresholdBps: 8250, borrowCap: 0 } } } });
    expect(unlimited.some((p) => p.startsWith(`${at}.borrowCap:`) && p.includes("0 is unlimited on Aave"))).to.equal(true);
    const fractional = problemsOf({ markets: { [reserve]: { baselineReserve: { ltvBps: 80.5, liquidationThresholdBps: 10_001, borrowCap: 1 } } } });
    expect(fractional.some((p) => p.startsWith(`${at}.ltvBps:`) && p.includes("whole number of bps"))).to.equal(true);
    expect(fractional.some((p) => p.startsWith(`${at}.liquidationThresholdBps:`))).to.equal(true);
    expect(problemsOf({ defaults: { baselineReserve: { ltvBps: 1, liquidationThresholdBps: 1, borrowCap: 1, typo: 1 } } }).join()).to.include("typo");
  });

  it("checks a market's override merged on the defaults", () => {
    const problems = problemsOf({ markets: { "ETH-USD": { judgment: { lookbackSeconds: 0 } } } });
    expect(problems).to.have.length(1);
    expect(problems[0]).to.include("protocols[0].policy.markets.ETH-USD.judgment.lookbackSeconds:");
  });
});
