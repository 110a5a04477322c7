import { expect } from "chai";
import fc from "fast-check";
import { breakingShock, marketSlice, minShock } from "../../../src/risk";
import { DEFAULT_POLICY, evidenceOf, keccakText, passesGate, planActions, raiseCostBenefit, type PolicyState, type SetMarginRatios } from "../../../src/policy";
import { mulberry32 } from "../../../src/util/prng";
import { bounds, FRAGILE_MARGINS, fragileBook, fragileBookNoSlippage, long, onchain, perpsBook, policy, short, WAD, WEAK_LONG_COLLATERAL } from "./fixtures";

const empty: PolicyState = { markets: {} };
/** The policy without a projected move (the default): every position a raise forces out is a cost. */
/** The gate's mechanics at a stated bar: these books are built to clear 0.1 (the shipped default, 0.5, is tested on its own). */
const unprojected = () => policy({ judgment: { ...policy().defaults.judgment, minAvoidedBadDebtPerForcedNotional: 0.1, projectionSeconds: 0 } });
/** The breaking shock the policy should see after a raise: positions under the new MMR are gone. */
const shockAt = (snap: ReturnType<typeof fragileBook>, mmrBps: bigint) => {
  const mmr = Number(mmrBps) / 10_000;
  const kept = snap.positions.filter((p) => p.collateral + p.side * p.size * (1000 - p.entryPrice) >= mmr * p.size * 1000);
  return minShock(breakingShock(marketSlice({ ...snap, positions: kept, markets: snap.markets.map((m) => ({ ...m, mmr, imr: Math.max(m.imr, mmr + 0.02) })) }, "ETH-USD")));
};
/** State whose last mark, `seconds` ago, was `from`: the market's speed since then is what the policy measures. */
const moving = (risk: ReturnType<typeof fragileBook>, from: number, seconds = 60): PolicyState => ({
  markets: {},
  judgment: { "ETH-USD": { marks: [[risk.timestamp - seconds, from]], calm: 0, raised: false } },
});
const ctxOf = (risk: ReturnType<typeof fragileBook>) => ({ snapshot: risk, market: risk.markets[0], ...FRAGILE_MARGINS, bounds: {}, policy: policy().defaults, now: 0 });

describe("policy plans on hand-built books", () => {
  it("on a fragile book in a calm market: keeps new risk from adding to it (IMR, caps), warns governance, and forces no one out", () => {
    // The weak longs break at a −10.2 % gap, under the 25 % target, but nothing moves: no live danger.
    const risk = fragileBookNoSlippage();
    const plan = planActions({ snapshot: onchain(risk, FRAGILE_MARGINS), history: {}, state: empty, config: policy() });
    expect(plan.markets[0].level).to.equal("act");
    expect(plan.markets[0].danger?.live).to.equal(false);
    const margins = plan.actions.find((a) => a.action.kind === "setMarginRatios")!.action as SetMarginRatios;
    // IMR to the book's own breaking shock + fee: a new position at the highest leverage must not break
    // sooner than the weak longs do. 1011 / 9900 + 1 % = 11.21 % → 1122 bps (rounded up). MMR untouched.
    expect(margins.imrBps).to.equal(1122n);
    expect(margins.mmrBps).to.equal(800n);
    expect(plan.actions.some((a) => a.action.kind === "setOpenInterestCaps")).to.equal(true);
    // The warning: how fragile, and what would fix it.
    expect(plan.warnings).to.have.length(1);
    const w = plan.warnings[0];
    expect(w.direction).to.equal("down");
    expect(w.breakingShock).to.be.closeTo(1011 / 9900, 1e-3); // 100 (1 + δ) − 1111 − 10,000 δ = 0 at δ = −0.1021
    expect(w.shortfallAtTargetUsd).to.be.closeTo(40 * 2575 - WEAK_LONG_COLLATERAL, 1e-6);
    expect(w.fixes.mmr?.mmrBps).to.equal("1198");
    expect(w.fixes.mmr?.forcedNotionalUsd).to.be.closeTo(400_000, 1e-6);
    expect(w.fixes.cutOpenInterestUsd).to.be.closeTo(400_000, 1e-6);
    expect(w.fixes.insuranceTopUpUsd).to.be.closeTo(w.shortfallAtTargetUsd, 1e-9);
    expect(w.message)
      .to.match(/breaks at a −10\.2 % move/)
      .and.match(/MMR 1198 bps/)
      .and.match(/the market is calm/);
    // Not repeated within the hour; repeated after it.
    const again = planActions({ snapshot: onchain({ ...risk, timestamp: risk.timestamp + 600 }, FRAGILE_MARGINS), history: {}, state: plan.state, config: policy() });
    expect(again.warnings).to.have.length(0);
    const later = planActions({ snapshot: onchain({ ...risk, timestamp: risk.timestamp + 3600 }, FRAGILE_MARGINS), history: {}, state: plan.state, config: policy() });
    expect(later.warnings).to.have.length(1);
  });

  it("against live danger, raises MMR to the value the cost–benefit gate picks: here every weak long, exactly at 1198 bps", () => {
    // The mark fell from 1,050 to 1,000 in 60 s (−4.76 %): at that speed the −10.2 % break is 129 s away, under 180 s.
    const risk = fragileBookNoSlippage();
    // No projected move here (projectionSeconds 0): every forced position is a cost; see the projected move below.
    const plan = planActions({ snapshot: onchain(risk, FRAGILE_MARGINS), history: {}, state: moving(risk, 1050), config: unprojected() });
    expect(plan.markets[0].danger?.live).to.equal(true);
    const raise = plan.actions.find((a) => a.action.kind === "setMarginRatios")!;
    const a = raise.action as SetMarginRatios;
    // Each weak long forced out avoids 2,575 − c ≥ 1,377 of bad debt per 10,000 forced (0.14 > the 0.1 bar):
    // the net benefit grows until all are out, at 1198 bps (the thickest has 1197.66 of margin) — also the
    // smallest value that restores the target, as the old policy chose.
    expect(a.mmrBps).to.equal(1198n);
    expect(shockAt(risk, a.mmrBps) === null || shockAt(risk, a.mmrBps)! >= 0.25).to.equal(true);
    expect(shockAt(risk, a.mmrBps - 1n)!).to.be.lessThan(0.25);
    // Against live danger the IMR only keeps its spread above the raised MMR: 1198 + 200.
    expect(a.imrBps).to.equal(1398n);
    expect(raise.note)
      .to.match(/forces out 40 position\(s\), \$400,000/)
      .and.match(/0\.142 per dollar forced, bar 0\.1/);
    expect(plan.warnings).to.have.length(0);
    expect(passesGate(ctxOf(risk), a.mmrBps)).to.equal(true);
  });

  it("with the shipped bar (0.5), the same live danger gets the IMR, not a raise that avoids 0.14 per dollar it forces out", () => {
    const risk = fragileBookNoSlippage();
    const plan = planActions({ snapshot: onchain(risk, FRAGILE_MARGINS), history: {}, state: moving(risk, 1050), config: policy() });
    expect(policy().defaults.judgment.minAvoidedBadDebtPerForcedNotional).to.equal(0.5);
    const margins = plan.actions.find((a) => a.action.kind === "setMarginRatios")!.action as SetMarginRatios;
    expect([margins.imrBps, margins.mmrBps]).to.deep.equal([1122n, 800n]);
    expect(plan.deferred.map((d) => d.reason).join()).to.match(/no MMR raise passes the cost–benefit gate/);
  });

  it("against live danger, refuses an MMR raise that fails the cost–benefit bar, and warns governance why", () => {
    const risk = fragileBookNoSlippage();
    const cfg = policy({ judgment: { ...policy().defaults.judgment, minAvoidedBadDebtPerForcedNotional: 0.15, projectionSeconds: 0 } });
    const plan = planActions({ snapshot: onchain(risk, FRAGILE_MARGINS), history: {}, state: moving(risk, 1050), config: cfg });
    // No MMR raise: only the IMR new risk needs (1122 bps, as in the calm case).
    const margins = plan.actions.find((a) => a.action.kind === "setMarginRatios")!.action as SetMarginRatios;
    expect([margins.imrBps, margins.mmrBps]).to.deep.equal([1122n, 800n]);
    expect(plan.deferred.map((d) => d.reason).join()).to.match(/no MMR raise passes the cost–benefit gate/);
    expect(plan.warnings[0].why).to.match(/cost–benefit gate/);
  });

  it("against a live move, closes sooner what the move liquidates anyway: the same raise passes the 0.15 bar at no cost", () => {
    // −4.76 % in 60 s, carried on for 180 s: a −14.3 % move, past every weak long's −3.4 % … −4.3 % liquidation
    // under today's 8 % MMR. Forcing them out now only liquidates them sooner, at a better price: the 2x longs
    // (liquidated near −46 %) are spared, so the raise costs no one anything the move would not.
    const risk = fragileBookNoSlippage();
    const cfg = policy({ judgment: { ...policy().defaults.judgment, minAvoidedBadDebtPerForcedNotional: 0.15, projectionSeconds: 180 } });
    const plan = planActions({ snapshot: onchain(risk, FRAGILE_MARGINS), history: {}, state: moving(risk, 1050), config: cfg });
    const raise = plan.actions.find((a) => a.action.kind === "setMarginRatios")!;
    expect((raise.action as SetMarginRatios).mmrBps).to.equal(1198n);
    expect(raise.note)
      .to.match(/forces out 0 position\(s\), \$0 of notional \(and closes sooner 40 the projected move liquidates anyway, \$400,000\)/)
      .and.match(/∞ per dollar forced/);
    expect(plan.warnings).to.have.length(0);
  });

  it("ramps a raise that would liquidate more at once than a thin pool absorbs within the fee", () => {
    // 20 weak longs of 10 ETH with margins 11.1 %, 11.4 %, … 16.8 % (collateral 1111 + 30 i), beside 2x longs, on a
    // 10,000 ETH pool: each forced sale moves the price ~0.2 %.
    // At −25 % weak long i leaves 2,575 − c of bad debt: ≥ 10 % of its 10,000 up to c = 1,575 (i ≤ 15); the shock
    // compounds with the forced sales' impact, so the cost–benefit gate wants all 20 out (1382 bps) — over 3 % of
    // price impact, past the 1 % fee: ramped to the largest raise whose forced sales (and what they set off) fit,
    // which still clears the bar.
    const positions = [...Array.from({ length: 20 }, (_, i) => long(10, 1111 + 30 * i)), ...Array.from({ length: 20 }, () => long(10, 5000))];
    const risk = perpsBook(positions, { poolEth: 10_000, mmr: 0.08 });
    const wide = { IMR: bounds({ min: 100n, max: 5000n, maxTighten: 10_000n }), MMR: bounds({ min: 50n, max: 4000n, maxTighten: 10_000n }), LONG_CAP: bounds(), SHORT_CAP: bounds() };
    const plan = planActions({ snapshot: onchain(risk, { ...FRAGILE_MARGINS, bounds: wide }), history: {}, state: moving(risk, 1050), config: unprojected() });
    const raise = plan.actions.find((a) => a.action.kind === "setMarginRatios")!;
    const a = raise.action as SetMarginRatios;
    // The gate wants 1382 bps; at once, forcing them sets off the next ones, which the gate counts as forced too.
    // Ramped: 1173 bps forces the three thinnest out, and their sales take two more with them (5 × $10,000).
    expect(raise.note)
      .to.match(/ramped from 1382 bps/)
      .and.match(/MMR 1173 bps forces out 5 position\(s\), \$50,000 of notional/);
    expect(Number(a.mmrBps)).to.be.greaterThan(1111).and.lessThan(1382);
    const figures = raiseCostBenefit({ snapshot: risk, market: risk.markets[0], mmrBps: 800n, targetShock: 0.25, direction: "down" }, a.mmrBps);
    expect(figures.avoidedBadDebt / figures.forcedNotional).to.be.at.least(0.1);
    const ctx = { ...ctxOf(risk), bounds: wide };
    expect(passesGate(ctx, a.mmrBps)).to.equal(true);
    expect(passesGate(ctx, a.mmrBps + 1n)).to.equal(false);
  });

  it("defers a tightening inside the steward's delay and does nothing while it is frozen", () => {
    const risk = fragileBook();
    const b = {
      IMR: bounds({ min: 100n, max: 5000n, lastUpdate: BigInt(risk.timestamp - 30) }),
      MMR: bounds({ min: 50n, max: 4000n, lastUpdate: BigInt(risk.timestamp - 30) }),
      LONG_CAP: bounds(),
      SHORT_CAP: bounds(),
    };
    const plan = planActions({ snapshot: onchain(risk, { bounds: b }), history: {}, state: empty, config: policy() });
    expect(plan.actions.filter((a) => a.action.kind === "setMarginRatios")).to.have.length(0);
    expect(plan.deferred.map((d) => d.reason).join()).to.include("tightening delay has 30s left");
    const frozen = planActions({ snapshot: onchain(risk, { frozen: true }), history: {}, state: empty, config: policy() });
    expect(frozen.actions).to.have.length(0);
    expect(frozen.deferred[0].reason).to.include("frozen");
  });

  it("lowers open-interest caps toward current open interest, rounded down, within the step", () => {
    const risk = fragileBook();
    const plan = planActions({ snapshot: onchain(risk), history: {}, state: empty, config: policy() });
    const caps = plan.actions.find((a) => a.action.kind === "setOpenInterestCaps")!.action as { longCap: bigint; shortCap: bigint };
    // Longs: 80 × 10 ETH × $1,000 = $800k, but one step may only halve the $50M cap: $25M.
    expect(caps.longCap).to.equal(25_000_000n * WAD);
    expect(caps.shortCap).to.equal(25_000_000n * WAD);
    // Remembered as the keeper's own cut: only that is ever given back.
    expect(plan.state.judgment!["ETH-USD"].cut).to.deep.equal({ caps: true });
    const tight = planActions({ snapshot: onchain(risk, { longCap: 1_000_000n * WAD, shortCap: 300_000n * WAD }), history: {}, state: empty, config: policy() });
    const c2 = tight.actions.find((a) => a.action.kind === "setOpenInterestCaps")!.action as { longCap: bigint; shortCap: bigint };
    expect(c2.longCap).to.equal(800_000n * WAD);
    expect(c2.shortCap).to.equal(200_000n * WAD);
  });

  it("deleverages the fewest top-ranked profitable positions, sizing the last exactly onto the target", () => {
    const positions = [long(50, 5000, 1000), long(50, 4000, 900), long(50, 3000, 1200), short(30, 20_000, 1500)];
    const risk = perpsBook(positions);
    risk.markets[0].mark = 1400;
    risk.assets[1].price = 1400;
    const plan = planActions({ snapshot: onchain(risk), history: {}, state: empty, config: policy({ svr: { target: 0.3, warn: 0.25, act: 0.2, critical: 0.15 } }) });
    const adl = plan.actions.filter((a) => a.action.kind === "deleverage");
    expect(adl).to.have.length(1);
    // svr before at mark 1,400: 32,000 / (180 × 1,400) = 0.127, critical.
    expect(adl[0].expected.before).to.be.closeTo(32_000 / 252_000, 1e-12);
    // Rank (pnl/c)·(n/c): #2 25k/4k·17.5 = 109.4; #3 10k/3k·23.3 = 77.8; #1 20k/5k·14 = 56; the short is losing.
    // #2 and #3 whole leave 25,000 / 112,000 = 0.223 < 0.3; #1 then by f = (0.3·112,000 − 25,000)/(0.3·70,000 − 5,000) = 0.5375.
    const reductions = (adl[0].action as { reductions: { positionId: bigint; sizeDelta: bigint }[] }).reductions;
    expect(reductions.map((r) => r.positionId)).to.deep.equal([positions[1], positions[2], positions[0]].map((p) => BigInt(p.id!)));
    expect(reductions[0].sizeDelta).to.equal(50n * WAD);
    expect(reductions[1].sizeDelta).to.equal(50n * WAD);
    expect(Number(reductions[2].sizeDelta) / 1e18).to.be.closeTo(0.5375 * 50, 1e-9);
    expect(adl[0].expected.after!).to.be.closeTo(0.3, 1e-9);
    expect(adl[0].urgency).to.equal("critical");
  });

  it("splits a deleveraging larger than the steward's per-call cap into several calls", () => {
    const positions = [long(500, 20_000, 900), long(500, 20_000, 900)];
    const risk = perpsBook(positions);
    risk.markets[0].mark = 1200;
    risk.assets[1].price = 1200;
    const plan = planActions({ snapshot: onchain(risk, { maxDeleverage: 300_000n * WAD }), history: {}, state: empty, config: policy() });
    const calls = plan.actions.filter((a) => a.action.kind === "deleverage");
    expect(calls.length).to.be.greaterThan(1);
    for (const c of calls) {
      const size = (c.action as { reductions: { sizeDelta: bigint }[] }).reductions.reduce((s, r) => s + r.sizeDelta, 0n);
      expect((Number(size) / 1e18) * 1200).to.be.at.most(300_000);
    }
    expect(new Set(calls.map((c) => c.provenance.idempotencyKey)).size).to.equal(calls.length);
  });

  it("names the sizes it expects (each call after what the earlier calls took) and stays within the rolling budget", () => {
    const positions = [long(500, 20_000, 900), long(500, 20_000, 900)];
    const risk = perpsBook(positions);
    risk.markets[0].mark = 1200;
    risk.assets[1].price = 1200;
    const snapshot = onchain(risk, { maxDeleverage: 300_000n * WAD, deleverageAvailable: 500_000n * WAD });
    const calls = planActions({ snapshot, history: {}, state: empty, config: policy() }).actions.filter((a) => a.action.kind === "deleverage");
    const reductions = calls.flatMap((c) => (c.action as { reductions: { positionId: bigint; sizeDelta: bigint; expectedSize: bigint }[] }).reductions);
    const total = reductions.reduce((s, r) => s + r.sizeDelta, 0n);
    expect((Number(total) / 1e18) * 1200, "all calls together within what the budget has left").to.be.at.most(500_000);
    const left: Record<string, bigint> = { ...snapshot.positionSizes };
    for (const r of reductions) {
      expect(r.expectedSize, `position ${r.positionId}: the size before this call`).to.equal(left[String(r.positionId)]);
      left[String(r.positionId)] -= r.sizeDelta;
    }
    const spent = planActions({ snapshot: onchain(risk, { deleverageAvailable: 0n }), history: {}, state: empty, config: policy() });
    expect(spent.actions.filter((a) => a.action.kind === "deleverage")).to.have.length(0);
    expect(spent.deferred.map((d) => d.reason)).to.include("the market's rolling deleverage budget is spent");
  });

  it("gives every action the values it expects to replace and a validity of a few blocks when urgent", () => {
    const positions = [long(100, 24_000, 1000), short(100, 24_000, 1000)];
    const risk = perpsBook(positions, { poolEth: 200 });
    risk.markets[0].mark = 1100;
    risk.assets[1].price = 1100;
    const plan = planActions({ snapshot: onchain(risk, { imrBps: 1000n, mmrBps: 500n }), history: {}, state: empty, config: policy() });
    expect(plan.actions.length).to.be.greaterThan(0);
    for (const a of plan.actions) {
      const validity = a.urgency === "routine" ? DEFAULT_POLICY.defaults.routineValiditySeconds : DEFAULT_POLICY.defaults.urgentValiditySeconds;
      expect(a.provenance.validUntil).to.equal(BigInt(risk.timestamp + validity));
      if (a.action.kind === "setMarginRatios") expect(a.action.expected).to.deep.equal({ imrBps: 1000n, mmrBps: 500n });
      if (a.action.kind === "setOpenInterestCaps") expect(a.action.expected).to.deep.equal({ longCap: 50_000_000n * WAD, shortCap: 50_000_000n * WAD });
    }
    expect(DEFAULT_POLICY.defaults.urgentValiditySeconds).to.be.at.most(60);
  });

  it("raises margins pre-emptively when the forecast says act will be breached within the horizon", () => {
    // Healthy today (svr 0.24 is warn, breaking shock fine), but falling 0.002 per 12 s block: act (0.20) in 240 s < 600 s horizon.
    const positions = [long(100, 24_000, 1000)];
    const risk = perpsBook(positions, { poolEth: 1_000_000 });
    const t = risk.timestamp;
    const history = { "ETH-USD": Array.from({ length: 20 }, (_, i) => ({ t: t - (20 - i) * 12, svr: 0.24 + (20 - i) * 0.002 })) };
    const plan = planActions({ snapshot: onchain(risk), history, state: empty, config: policy() });
    const report = plan.markets[0];
    expect(report.forecast!.breachProbability).to.be.greaterThan(0.5);
    expect(report.level).to.equal("act");
    const cut = plan.actions.find((a) => a.action.kind === "setOpenInterestCaps");
    expect(cut?.reason.metric).to.equal("forecast");
    const calm = planActions({ snapshot: onchain(risk), history: { "ETH-USD": history["ETH-USD"].map((o) => ({ ...o, svr: 0.24 })) }, state: empty, config: policy() });
    expect(calm.markets[0].level).to.equal("warn");
    expect(calm.actions).to.have.length(0);
  });

  it("relaxes a raise of its own one loosening step after the danger it answered has been calm for long enough", () => {
    const risk = perpsBook([long(10, 5000), short(10, 5000)]);
    const cfg = policy({ recoveryObservations: 3 });
    const snap = (t: number) => onchain({ ...risk, timestamp: risk.timestamp + t }, { imrBps: 2000n, mmrBps: 1500n });
    let state: PolicyState = { markets: {}, judgment: { "ETH-USD": { marks: [], calm: 0, raised: true, baseline: { imrBps: 1000, mmrBps: 500 } } } };
    for (let i = 0; i < 2; i++) {
      const plan = planActions({ snapshot: snap(i * 12), history: {}, state, config: cfg });
      expect(plan.actions).to.have.length(0);
      state = plan.state;
    }
    const frozen = planActions({ snapshot: onchain({ ...risk, timestamp: risk.timestamp + 24 }, { imrBps: 2000n, mmrBps: 1500n, frozen: true }), history: {}, state, config: cfg });
    expect(frozen.actions, "no relaxation while the steward is frozen").to.have.length(0);
    const plan = planActions({ snapshot: snap(24), history: {}, state, config: cfg });
    const relax = plan.actions.find((a) => a.action.kind === "setMarginRatios")!;
    expect(relax.urgency).to.equal("routine");
    expect(relax.reason.metric).to.equal("recovery");
    // One loosening step (−10 %) each, toward the baseline 1000 / 500: MMR 1500 → 1350, IMR 2000 → 1800.
    expect((relax.action as SetMarginRatios).mmrBps).to.equal(1350n);
    expect((relax.action as SetMarginRatios).imrBps).to.equal(1800n);
    // Never below the baseline: from 1050 / 530 the step lands on 1000 / 500, and the raise is then settled.
    const near = planActions({ snapshot: onchain(risk, { imrBps: 1050n, mmrBps: 530n }), history: {}, state: plan.state, config: cfg });
    const last = near.actions.find((a) => a.action.kind === "setMarginRatios")!.action as SetMarginRatios;
    expect([last.imrBps, last.mmrBps]).to.deep.equal([1000n, 500n]);
    const done = planActions({ snapshot: onchain(risk, { imrBps: 1000n, mmrBps: 500n }), history: {}, state: near.state, config: cfg });
    expect(done.actions).to.have.length(0);
    expect(done.state.judgment!["ETH-USD"].raised).to.equal(false);
  });

  it("relaxes even while the book stays statically fragile, but keeps the IMR new risk needs", () => {
    const risk = fragileBookNoSlippage();
    const cfg = policy({ recoveryObservations: 1 });
    const state: PolicyState = { markets: {}, judgment: { "ETH-USD": { marks: [], calm: 5, raised: true, baseline: { imrBps: 1000, mmrBps: 500 } } } };
    const plan = planActions({ snapshot: onchain(risk, { imrBps: 1200n, mmrBps: 1000n }), history: {}, state, config: cfg });
    const relax = plan.actions.find((a) => a.action.kind === "setMarginRatios")!.action as SetMarginRatios;
    expect(relax.mmrBps).to.equal(900n); // −10 %
    expect(relax.imrBps).to.equal(1122n); // −10 % would be 1080: held at the weak longs' 10.21 % + 1 % fee
  });

  it("never relaxes margins it did not raise, nor while the market is moving toward the break", () => {
    const risk = perpsBook([long(10, 5000), short(10, 5000)]);
    const cfg = policy({ recoveryObservations: 1 });
    const notMine: PolicyState = { markets: {}, judgment: { "ETH-USD": { marks: [], calm: 5, raised: false, baseline: { imrBps: 1000, mmrBps: 500 } } } };
    expect(planActions({ snapshot: onchain(risk, { imrBps: 2000n, mmrBps: 1500n }), history: {}, state: notMine, config: cfg }).actions).to.have.length(0);
    const fragile = fragileBookNoSlippage();
    const moving: PolicyState = { markets: {}, judgment: { "ETH-USD": { marks: [[fragile.timestamp - 60, 1050]], calm: 5, raised: true, baseline: { imrBps: 1000, mmrBps: 500 } } } };
    const plan = planActions({ snapshot: onchain(fragile, { imrBps: 2600n, mmrBps: 1200n }), history: {}, state: moving, config: cfg });
    expect(plan.state.judgment!["ETH-USD"].calm).to.equal(0);
    expect(plan.actions.every((a) => a.urgency !== "routine")).to.equal(true);
  });

  it("gives back caps it cut once the market has been healthy for recoveryObservations: one loosening step per steward delay, never above the caps it found", () => {
    const risk = perpsBook([long(10, 5000), short(10, 5000)]);
    const cfg = policy({ recoveryObservations: 3 });
    const capsOf = (plan: ReturnType<typeof planActions>) => plan.actions.find((a) => a.action.kind === "setOpenInterestCaps");
    const snap = (t: number, longCap: bigint, shortCap: bigint, lastUpdate = 0n) =>
      onchain(
        { ...risk, timestamp: risk.timestamp + t },
        { longCap, shortCap, bounds: { IMR: bounds({ min: 100n, max: 5000n }), MMR: bounds({ min: 50n, max: 4000n }), LONG_CAP: bounds({ lastUpdate }), SHORT_CAP: bounds({ lastUpdate }) } },
      );
    const found = { longCap: (50_000_000n * WAD).toString(), shortCap: (50_000_000n * WAD).toString() };
    let state: PolicyState = { markets: {}, judgment: { "ETH-USD": { marks: [], calm: 0, raised: false, capsBaseline: found, cut: { caps: true } } } };
    // The same caps, cut by governance rather than the keeper, are governance's: never given back.
    let governance: PolicyState = { markets: {}, judgment: { "ETH-USD": { marks: [], calm: 0, raised: false, capsBaseline: found } } };
    for (let i = 0; i < 4; i++) {
      const plan = planActions({ snapshot: snap(i * 12, 10_000_000n * WAD, 20_000_000n * WAD), history: {}, state: governance, config: cfg });
      expect(capsOf(plan), "caps the keeper did not cut").to.equal(undefined);
      governance = plan.state;
    }
    for (let i = 0; i < 2; i++) {
      const plan = planActions({ snapshot: snap(i * 12, 10_000_000n * WAD, 20_000_000n * WAD), history: {}, state, config: cfg });
      expect(plan.markets[0].level).to.equal("ok");
      expect(plan.actions, "healthy for fewer than recoveryObservations").to.have.length(0);
      state = plan.state;
    }
    const plan = planActions({ snapshot: snap(24, 10_000_000n * WAD, 20_000_000n * WAD), history: {}, state, config: cfg });
    const relax = capsOf(plan)!;
    expect(relax.urgency).to.equal("routine");
    expect(relax.reason.metric).to.equal("recovery");
    // The steward's loosening step is 10 %: $10M → $11M, $20M → $22M.
    expect(relax.action).to.deep.include({ longCap: 11_000_000n * WAD, shortCap: 22_000_000n * WAD, expected: { longCap: 10_000_000n * WAD, shortCap: 20_000_000n * WAD } });
    // Inside the loosening delay (6 h): nothing; after it, the next step, and never above the caps it found.
    const waiting = planActions({ snapshot: snap(36, 11_000_000n * WAD, 22_000_000n * WAD, BigInt(risk.timestamp + 24)), history: {}, state: plan.state, config: cfg });
    expect(capsOf(waiting)).to.equal(undefined);
    const near = planActions({ snapshot: snap(21_700, 48_000_000n * WAD, 50_000_000n * WAD, BigInt(risk.timestamp + 24)), history: {}, state: waiting.state, config: cfg });
    expect(capsOf(near)!.action).to.deep.include({ longCap: 50_000_000n * WAD, shortCap: 50_000_000n * WAD });
    // Back at the baseline, the cut is given back in full: a later cut by governance stays.
    const back = planActions({ snapshot: snap(43_400, 50_000_000n * WAD, 50_000_000n * WAD, BigInt(risk.timestamp + 21_700)), history: {}, state: near.state, config: cfg });
    expect(back.state.judgment!["ETH-USD"].cut).to.deep.equal({ caps: false });
    const governanceCut = planActions({ snapshot: snap(86_400, 30_000_000n * WAD, 30_000_000n * WAD, BigInt(risk.timestamp + 21_700)), history: {}, state: back.state, config: cfg });
    expect(capsOf(governanceCut)).to.equal(undefined);
  });

  it("keeps caps down while the book is fragile, however long the market has been calm", () => {
    const risk = fragileBookNoSlippage();
    const cfg = policy({ recoveryObservations: 1 });
    const state: PolicyState = {
      markets: {},
      judgment: { "ETH-USD": { marks: [], calm: 50, raised: false, capsBaseline: { longCap: (50_000_000n * WAD).toString(), shortCap: (50_000_000n * WAD).toString() }, cut: { caps: true } } },
    };
    const plan = planActions({ snapshot: onchain(risk, { ...FRAGILE_MARGINS, longCap: 800_000n * WAD, shortCap: 200_000n * WAD }), history: {}, state, config: cfg });
    expect(plan.markets[0].level).to.equal("act");
    expect(plan.actions.filter((a) => a.action.kind === "setOpenInterestCaps")).to.have.length(0);
    expect(plan.state.judgment!["ETH-USD"].capsBaseline).to.deep.equal({ longCap: (50_000_000n * WAD).toString(), shortCap: (50_000_000n * WAD).toString() });
  });

  it("remembers the caps it first found as the baseline for relaxing, unless governance configured one", () => {
    const risk = perpsBook([long(10, 5000), short(10, 5000)]);
    const plan = planActions({ snapshot: onchain(risk, { longCap: 7n * WAD, shortCap: 9n * WAD }), history: {}, state: empty, config: policy() });
    expect(plan.state.judgment!["ETH-USD"].capsBaseline).to.deep.equal({ longCap: (7n * WAD).toString(), shortCap: (9n * WAD).toString() });
    const configured = planActions({
      snapshot: onchain(risk, { longCap: 7n * WAD, shortCap: 9n * WAD }),
      history: {},
      state: plan.state,
      config: policy({ baselineCaps: { longUsd: 40_000_000, shortUsd: 35_000_000.5 } }),
    });
    expect(configured.state.judgment!["ETH-USD"].capsBaseline).to.deep.equal({ longCap: (40_000_000n * WAD).toString(), shortCap: (35_000_000_500_000n * 10n ** 12n).toString() });
  });

  it("deleverages only against live danger: a critical but calm book gets a warning, not ADL", () => {
    const positions = [long(50, 5000, 1000), long(50, 4000, 900), long(50, 3000, 1200), short(30, 20_000, 1500)];
    const risk = perpsBook(positions);
    risk.markets[0].mark = 1400;
    risk.assets[1].price = 1400;
    // svr 0.127 is itself critical: that is live danger, so ADL runs (see the ADL test); with svr healthy
    // and only the breaking shock critical, it would not.
    const plan = planActions({ snapshot: onchain(risk), history: {}, state: empty, config: policy({ svr: { target: 0.1, warn: 0.09, act: 0.08, critical: 0.07 } }) });
    expect(plan.markets[0].danger?.live).to.equal(false);
    expect(plan.actions.filter((a) => a.action.kind === "deleverage")).to.have.length(0);
  });

  it("derives the same idempotency key within an epoch and a new one in the next, and an evidence hash anyone can recompute", () => {
    const risk = fragileBook();
    const a = planActions({ snapshot: onchain(risk), history: {}, state: empty, config: policy() });
    const b = planActions({ snapshot: onchain({ ...risk, timestamp: risk.timestamp + 10 }), history: {}, state: empty, config: policy() });
    const c = planActions({ snapshot: onchain({ ...risk, timestamp: risk.timestamp + 120 }), history: {}, state: empty, config: policy() });
    expect(a.actions[0].provenance.idempotencyKey).to.equal(b.actions[0].provenance.idempotencyKey);
    expect(a.actions[0].provenance.idempotencyKey).to.not.equal(c.actions[0].provenance.idempotencyKey);
    expect(keccakText(a.evidence.encoding)).to.equal(a.evidence.hash);
    expect(a.actions.every((x) => x.provenance.evidenceHash === a.evidence.hash)).to.equal(true);
    const decoded = JSON.parse(a.evidence.encoding);
    expect(decoded.block.number).to.equal(100);
    expect(decoded.positionCount).to.equal(risk.positions.length);
    expect(
      evidenceOf({
        ...decoded,
        prices: { "ETH-USD": { answer: 100_000_000_000n, decimals: 8 } },
        params: { "ETH-USD": { IMR: 1000n, LONG_CAP: 50_000_000n * WAD, MMR: 500n, SHORT_CAP: 50_000_000n * WAD } },
      }).hash,
    ).to.equal(a.evidence.hash);
  });
});

describe("a plan never exceeds a steward bound (property, seeded)", () => {
  it("holds for random books, bounds and last updates", () => {
    // Not vacuous: the books must make the policy act, on both levers, in enough of the runs.
    const checked = { setMarginRatios: 0, setOpenInterestCaps: 0 };
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 1e9 }),
        fc.integer({ min: 100, max: 4000 }),
        fc.integer({ min: 0, max: 200 }),
        fc.integer({ min: 1, max: 3 }),
        fc.boolean(),
        (seed, step, sinceUpdate, depth, absolute) => {
          const rand = mulberry32(seed);
          const positions = Array.from({ length: 30 }, () =>
            rand() < 0.7 ? long(1 + rand() * 20, 600 + rand() * 4000, 900 + rand() * 200) : short(1 + rand() * 20, 1500 + rand() * 4000, 900 + rand() * 200),
          );
          const risk = perpsBook(positions, { poolEth: 10 ** depth * 10 });
          const mmr = BigInt(300 + Math.floor(rand() * 400));
          const imr = mmr + 300n;
          const last = BigInt(risk.timestamp - sinceUpdate);
          // Margins by an absolute step (bps) or a relative one (bps of the current value); caps always relative.
          const mk = (min: bigint, max: bigint, abs = false) =>
            bounds({
              min,
              max,
              mode: abs ? "absolute" : "relative",
              maxTighten: BigInt(abs ? Math.ceil(step / 20) : step),
              maxLoosen: BigInt(Math.floor((abs ? step / 20 : step) / 3)),
              tightenDelay: 60n,
              loosenDelay: 3600n,
              lastUpdate: last,
            });
          const b = {
            IMR: mk(200n, imr + 1500n, absolute),
            MMR: mk(100n, mmr + 1000n, absolute),
            LONG_CAP: mk(1_000_000n * WAD, 100_000_000n * WAD),
            SHORT_CAP: mk(1_000_000n * WAD, 100_000_000n * WAD),
          };
          const snap = onchain(risk, { imrBps: imr, mmrBps: mmr, bounds: b });
          const plan = planActions({ snapshot: snap, history: {}, state: empty, config: policy() });
          for (const a of plan.actions) {
            const pairs: [string, bigint, bigint][] =
              a.action.kind === "setMarginRatios"
                ? [
                    ["IMR", imr, a.action.imrBps],
                    ["MMR", mmr, a.action.mmrBps],
                  ]
                : a.action.kind === "setOpenInterestCaps"
                  ? [
                      ["LONG_CAP", snap.markets[0].params.LONG_CAP, a.action.longCap],
                      ["SHORT_CAP", snap.markets[0].params.SHORT_CAP, a.action.shortCap],
                    ]
                  : [];
            if (a.action.kind === "setMarginRatios" || a.action.kind === "setOpenInterestCaps") checked[a.action.kind]++;
            for (const [name, old, next] of pairs) {
              if (next === old) continue;
              const bound = b[name as keyof typeof b];
              if (next < bound.min || next > bound.max) return false;
              const tightening = name.endsWith("CAP") ? next < old : next > old;
              const maxStep = tightening ? bound.maxTighten : bound.maxLoosen;
              const delta = next > old ? next - old : old - next;
              if (bound.mode === "relative" ? delta * 10_000n > maxStep * old : delta > maxStep) return false;
              const delay = tightening ? bound.tightenDelay : bound.loosenDelay;
              if (BigInt(risk.timestamp) < bound.lastUpdate + delay) return false;
            }
          }
          return true;
        },
      ),
      { seed: 20261124, numRuns: 60 },
    );
    expect(checked.setMarginRatios, "margin steps checked against the bounds").to.be.greaterThan(0);
    expect(checked.setOpenInterestCaps, "cap steps checked against the bounds").to.be.greaterThan(5);
  });
});
