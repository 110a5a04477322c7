import { expect } from "chai";
import { governanceProfile, parameterRule, resolveBounds, UnknownGovernanceProfileError } from "../../../src/steward/profiles";

describe("governance profiles", () => {
  it("aave-production: LTV, threshold and bonus move by an absolute 50 bps, an eMode threshold by 10, every 3 days", () => {
    for (const kind of ["LTV", "LIQ_THRESHOLD", "LIQ_BONUS"] as const) {
      const r = parameterRule("aave-production", kind);
      expect(r.mode).to.equal("absolute");
      expect([r.tighten.maxStep, r.loosen.maxStep]).to.deep.equal([50, 50]);
      expect([r.tighten.minDelaySeconds, r.loosen.minDelaySeconds]).to.deep.equal([259_200, 259_200]);
    }
    expect(parameterRule("aave-production", "EMODE_LIQ_THRESHOLD").tighten.maxStep).to.equal(10);
  });

  it("aave-production: caps move relatively, ±100 % by the steward and ±30 % by the cap injector", () => {
    const p = governanceProfile("aave-production");
    for (const kind of ["SUPPLY_CAP", "BORROW_CAP", "LONG_CAP", "SHORT_CAP"] as const) {
      expect(p.rules[kind].mode).to.equal("relative");
      expect(p.rules[kind].tighten.maxStep).to.equal(10_000);
    }
    expect(p.capInjector).to.include({ mode: "relative" });
    expect(p.capInjector.loosen.maxStep).to.equal(3_000);
  });

  it("permissive: the reference protocol's margins tighten by up to 50 % every 60 s and loosen by 10 % every 6 h", () => {
    const r = parameterRule("permissive", "MMR");
    expect(r).to.deep.include({ mode: "relative", tightenIsIncrease: true });
    expect(r.tighten).to.deep.equal({ maxStep: 5_000, minDelaySeconds: 60 });
    expect(r.loosen).to.deep.equal({ maxStep: 1_000, minDelaySeconds: 21_600 });
  });

  it("resolves a range around today's value, never to zero and always holding today's value", () => {
    const imr = resolveBounds(parameterRule("permissive", "IMR"), 1_000n);
    expect([imr.min, imr.max, imr.maxTighten, imr.tightenDelay]).to.deep.equal([500n, 5_000n, 5_000n, 60n]);
    const tinyCap = resolveBounds(parameterRule("permissive", "SUPPLY_CAP"), 50n);
    expect([tinyCap.min, tinyCap.max]).to.deep.equal([1n, 100n]);
    const highBonus = resolveBounds(parameterRule("aave-production", "LIQ_BONUS"), 11_800n);
    expect([highBonus.min, highBonus.max, highBonus.relative]).to.deep.equal([10_100n, 11_800n, false]);
  });

  it("refuses an unknown profile by name, listing the known ones", () => {
    expect(() => governanceProfile("aave")).to.throw(UnknownGovernanceProfileError, /"aave".*permissive, aave-production/);
  });
});
