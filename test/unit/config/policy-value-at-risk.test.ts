import { expect } from "chai";
import { ConfigError, parseConfig } from "../../../src/config/load";
import { policyFor } from "../../../src/config/policy";
import { DEFAULT_VALUE_AT_RISK } from "../../../src/policy";

const A = "0x" + "11".repeat(20);
const B = "0x" + "22".repeat(20);

const protocolWith = (policy: Record<string, unknown>) =>
  parseConfig({ chain: { chainId: 31337, rpcUrl: "http://127.0.0.1:8545" }, protocols: [{ id: "ref-perps", adapter: "reference", protocol: A, steward: B, policy }] }).protocols[0];

function problemsOf(policy: Record<string, unknown>): string[] {
  try {
    policyFor(protocolWith(policy), 0);
  } catch (e) {
    expect(e).to.be.instanceOf(ConfigError);
    return (e as ConfigError).problems;
  }
  throw new Error("expected the policy to be refused");
}

describe("policy config: Value at Risk", () => {
  it("is on every 10 s by default, takes the model's fields and a market's limit", () => {
    expect(policyFor(protocolWith({}), 0).valueAtRisk).to.deep.equal(DEFAULT_VALUE_AT_RISK);
    const cfg = policyFor(
      protocolWith({
        valueAtRisk: { samples: 2000, volatility: { ETH: 0.04 }, everySeconds: 0 },
        markets: { "ETH-USD": { valueAtRisk: { measure: "es99", maxInsuranceMultiple: 0.5, level: "warn" } } },
      }),
      0,
    );
    expect(cfg.valueAtRisk).to.deep.equal({ enabled: true, everySeconds: 0, samples: 2000, volatility: { ETH: 0.04 } });
    expect(cfg.markets["ETH-USD"].valueAtRisk).to.deep.equal({ measure: "es99", maxInsuranceMultiple: 0.5, level: "warn" });
    expect(cfg.defaults.valueAtRisk).to.equal(undefined);
  });

  it("names a bad field", () => {
    expect(problemsOf({ valueAtRisk: { correlation: 1.5 } })).to.deep.equal(["protocols[0].policy.valueAtRisk.correlation: must be in (−0.5, 1)"]);
    expect(problemsOf({ markets: { "ETH-USD": { valueAtRisk: { measure: "p99", maxInsuranceMultiple: 1 } } } })).to.deep.equal([
      "protocols[0].policy.markets.ETH-USD.valueAtRisk.level: must be warn, act or critical",
    ]);
  });
});
