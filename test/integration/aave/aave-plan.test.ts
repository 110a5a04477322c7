import { expect } from "chai";
import { ethers } from "hardhat";
import { loadFixture, time } from "@nomicfoundation/hardhat-network-helpers";
import { DEFAULT_POLICY, planActions, type PolicyConfig } from "../../../src/policy";
import { aaveFixture, adapterFor } from "./fixtures";

const policy = (level: "act" | "critical"): PolicyConfig => ({
  ...DEFAULT_POLICY,
  defaults: {
    ...DEFAULT_POLICY.defaults,
    confirmations: 1,
    // act: only the breaking-shock target is missed; critical: the book breaks on a small move too.
    breakingShock: level === "act" ? { target: 0.25, warn: 0.23, act: 0.21, critical: 0.001 } : { target: 0.25, warn: 0.24, act: 0.23, critical: 0.22 },
    // This book's threshold cut clears a 0.1 bar, not the shipped 0.5: what is tested is the cut landing on real Aave as planned.
    judgment: { ...DEFAULT_POLICY.defaults.judgment, minAvoidedBadDebtPerForcedNotional: 0.1 },
  },
});

describe("Aave V3 acted on: lending actions planned on a real snapshot and executed through AaveRiskSteward", () => {
  it("plans the gentle levers first (WETH's LTV, USDC's borrow cap) and the steward applies them to the real reserves", async () => {
    const f = await loadFixture(aaveFixture);
    const [weth, , usdc] = f.reserves;
    // WETH −8 %: the borrower of 1.1M USDC against 500 WETH falls to health 1.035.
    await (await weth.feed.updateAnswer(ethers.parseUnits("2760", 8))).wait();
    const adapter = await adapterFor(f);
    const snapshot = await adapter.readSnapshot(await ethers.provider.getBlockNumber());
    const plan = planActions({ snapshot, history: {}, state: { markets: {} }, config: policy("act") });
    const wethAddress = await weth.token.getAddress();
    const usdcAddress = await usdc.token.getAddress();
    expect(plan.deferred.map((d) => d.reason).join("; ")).to.not.match(/no margin parameters/);
    const risk = plan.actions.find((a) => a.action.kind === "setReserveRisk" && a.action.market === wethAddress);
    const caps = plan.actions.find((a) => a.action.kind === "setReserveCaps" && a.action.market === usdcAddress);
    expect(risk, JSON.stringify(plan.deferred)).to.not.equal(undefined);
    expect(caps, JSON.stringify(plan.deferred)).to.not.equal(undefined);
    if (risk?.action.kind !== "setReserveRisk" || caps?.action.kind !== "setReserveCaps") throw new Error("unreachable");
    // At act the threshold stays: only new borrowing is bound.
    expect(risk.action.liquidationThresholdBps).to.equal(8250n);
    expect(risk.action.ltvBps).to.equal(7142n); // (1 − 0.25) / 1.05
    for (const a of [risk, caps]) await (await f.keeper.sendTransaction(adapter.buildAction(a.action, a.provenance))).wait();
    const conf = await f.dataProvider.getReserveConfigurationData(wethAddress);
    expect([conf.ltv, conf.liquidationThreshold]).to.deep.equal([7142n, 8250n]);
    const [borrowCap] = await f.dataProvider.getReserveCaps(usdcAddress);
    expect(borrowCap).to.equal(caps.action.borrowCap);
    expect(borrowCap).to.be.lessThan(450_000_000n);
    // The cut binds: a new USDC loan at the old LTV is refused by Aave itself.
    const lender = f.users[0];
    await expect((f.pool.connect(lender) as typeof f.pool).borrow(usdcAddress, ethers.parseUnits(String(Number(borrowCap) + 1), 6), 2, 0, await lender.getAddress())).to.be.reverted;
  });

  it("at critical, against live danger, lowers WETH's threshold just enough, and the borrowers it forces under 1 are the ones Aave then says are liquidatable", async () => {
    const f = await loadFixture(aaveFixture);
    const [weth] = f.reserves;
    await (await weth.feed.updateAnswer(ethers.parseUnits("2760", 8))).wait();
    const adapter = await adapterFor(f);
    const snapshot = await adapter.readSnapshot(await ethers.provider.getBlockNumber());
    const wethAddress = await weth.token.getAddress();
    // The same fragile book with WETH steady: no live danger, no threshold cut (only the LTV).
    const t = snapshot.block.timestamp;
    const steady = planActions({ snapshot, history: {}, state: { markets: {}, judgment: { [wethAddress]: { marks: [[t - 60, 2760]], calm: 0, raised: false } } }, config: policy("critical") });
    const gentle = steady.actions.find((a) => a.action.kind === "setReserveRisk" && a.action.market === wethAddress);
    expect(gentle?.action.kind === "setReserveRisk" && gentle.action.liquidationThresholdBps).to.equal(8250n);
    expect(steady.deferred.map((d) => d.reason).join("; ")).to.match(/danger is not live/);
    // WETH fell from 3,000 to 2,760 in the last minute: at that speed it reaches the borrower's bad debt within the live bound.
    const falling = { markets: {}, judgment: { [wethAddress]: { marks: [[t - 60, 3000]] as [number, number][], calm: 0, raised: false } } };
    const plan = planActions({ snapshot, history: {}, state: falling, config: policy("critical") });
    const risk = plan.actions.find((a) => a.action.kind === "setReserveRisk" && a.action.market === wethAddress);
    if (risk?.action.kind !== "setReserveRisk") throw new Error(`no WETH risk action: ${JSON.stringify(plan.deferred)}`);
    expect(risk.note, risk.note).to.match(/forces [12] borrower\(s\) out now .* to avoid \$[1-9].* per dollar of cost/);
    expect(risk.urgency).to.equal("critical");
    expect(risk.action.liquidationThresholdBps).to.be.lessThan(8250n);
    const before = await Promise.all(f.borrowers.map((b) => f.pool.getUserAccountData(b)));
    await (await f.keeper.sendTransaction(adapter.buildAction(risk.action, risk.provenance))).wait();
    const after = await Promise.all(f.borrowers.map((b) => f.pool.getUserAccountData(b)));
    const one = ethers.parseUnits("1", 18);
    const forced = f.borrowers.filter((_, i) => before[i].healthFactor >= one && after[i].healthFactor < one);
    // The planner's expectation (book survives the target after those liquidations) rests on exactly these accounts.
    const predicted = snapshot.lendingBook!.accounts.filter((a) => {
      const debt = a.debt.reduce((s, d) => s + d.usd, 0);
      const lt = (c: (typeof a.collateral)[number]) =>
        c.reserve === wethAddress && c.reserveGoverned ? Number(risk.action.kind === "setReserveRisk" ? risk.action.liquidationThresholdBps : 0n) / 10_000 : c.liquidationThreshold;
      return debt > 0 && a.collateral.reduce((s, c) => s + c.usd * lt(c), 0) / debt < 1;
    });
    expect(forced.length).to.be.greaterThan(0);
    expect(predicted.map((a) => a.account)).to.deep.equal(forced);
    // The cut moves the collateral's breaking shock out (the borrower the gate chose to force out no longer breaks first).
    expect(risk.expected.before).to.be.a("number");
    expect(risk.expected.after === null || risk.expected.after > risk.expected.before!).to.equal(true);
  });

  it("gives back what it cut once the reserves each cut answered have recovered: one loosening step, after the steward's delay, and Aave applies it", async () => {
    const f = await loadFixture(aaveFixture);
    const [weth, , usdc] = f.reserves;
    const wethAddress = await weth.token.getAddress();
    const usdcAddress = await usdc.token.getAddress();
    await (await weth.feed.updateAnswer(ethers.parseUnits("2760", 8))).wait();
    const adapter = await adapterFor(f);
    const first = planActions({ snapshot: await adapter.readSnapshot(await ethers.provider.getBlockNumber()), history: {}, state: { markets: {} }, config: policy("act") });
    const cuts = first.actions.filter((a) => a.action.kind === "setReserveRisk" || a.action.kind === "setReserveCaps");
    expect(cuts.map((a) => a.action.kind).sort()).to.deep.equal(["setReserveCaps", "setReserveRisk"]);
    for (const a of cuts) await (await f.keeper.sendTransaction(adapter.buildAction(a.action, a.provenance))).wait();
    const [cutCap] = await f.dataProvider.getReserveCaps(usdcAddress);
    // Governance, not the keeper, halves DAI's borrow cap: below the keeper's baseline, but not its to give back.
    const dai = f.reserves.find((r) => r.symbol === "DAI")!;
    const daiAddress = await dai.token.getAddress();
    const [daiCap] = await f.dataProvider.getReserveCaps(daiAddress);
    await (await (f.configurator.connect(f.governance) as typeof f.configurator).setBorrowCap(daiAddress, daiCap / 2n)).wait();
    // The first observation, before the cuts, is the baseline relaxation returns to; the cuts are remembered as the keeper's own.
    expect(first.state.judgment?.[wethAddress]?.reserveBaseline).to.deep.include({ ltvBps: 8000, liquidationThresholdBps: 8250 });
    expect([first.state.judgment?.[wethAddress]?.cut, first.state.judgment?.[usdcAddress]?.cut]).to.deep.equal([{ reserveRisk: true }, { borrowCap: true }]);

    // WETH recovers, and the steward's loosening delay (6 h under the default profile) passes.
    await time.increase(6 * 3600);
    await (await weth.feed.updateAnswer(ethers.parseUnits("3000", 8))).wait();
    const healthy: PolicyConfig = {
      ...DEFAULT_POLICY,
      defaults: { ...DEFAULT_POLICY.defaults, confirmations: 1, recoveryObservations: 2, breakingShock: { target: 0.2, warn: 0.15, act: 0.1, critical: 0.001 } },
    };
    const observe = async (state: typeof first.state, config = healthy) => planActions({ snapshot: await adapter.readSnapshot(await ethers.provider.getBlockNumber()), history: {}, state, config });
    // While WETH is not yet healthy (here: its svr short of a target set above it), what was cut on its
    // account stays down — its own LTV, and the risk levers of USDC, which backs WETH loans — while
    // USDC's borrow cap, cut for USDC's own book, comes back.
    const wethShort: PolicyConfig = {
      ...healthy,
      markets: { [wethAddress]: { svr: { target: 5, warn: 0.25, act: 0.2, critical: 0.15 }, adlUpperSvr: 6 } },
    };
    const partial = await observe((await observe(first.state, wethShort)).state, wethShort);
    expect(partial.actions.map((a) => [a.action.kind, a.action.market])).to.deep.equal([["setReserveCaps", usdcAddress]]);
    const once = await observe(first.state);
    expect(once.actions, "one healthy observation is not yet a recovery").to.deep.equal([]);
    await ethers.provider.send("evm_mine", []);
    const twice = await observe(once.state);
    const risk = twice.actions.find((a) => a.action.kind === "setReserveRisk");
    const caps = twice.actions.find((a) => a.action.kind === "setReserveCaps");
    if (risk?.action.kind !== "setReserveRisk" || caps?.action.kind !== "setReserveCaps") throw new Error(`no relaxation: ${JSON.stringify(twice.actions.map((a) => a.note))}`);
    expect([risk.action.market, risk.action.ltvBps, risk.action.liquidationThresholdBps]).to.deep.equal([wethAddress, 7499n, 8250n]); // 7142 × 1.05
    expect(caps.action.market).to.equal(usdcAddress);
    expect(caps.action.borrowCap).to.be.greaterThan(cutCap);
    expect(twice.actions.every((a) => a.urgency === "routine" && a.reason.metric === "recovery")).to.equal(true);
    for (const a of [risk, caps]) await (await f.keeper.sendTransaction(adapter.buildAction(a.action, a.provenance))).wait();
    const conf = await f.dataProvider.getReserveConfigurationData(wethAddress);
    expect([conf.ltv, conf.liquidationThreshold]).to.deep.equal([7499n, 8250n]);
    const [borrowCap] = await f.dataProvider.getReserveCaps(usdcAddress);
    expect(borrowCap).to.equal(caps.action.borrowCap);
    expect(
      twice.actions.some((a) => a.action.market === daiAddress),
      "governance's own cut is never relaxed",
    ).to.equal(false);
    // The next step waits out the delay again: the steward stamped the loosening.
    await ethers.provider.send("evm_mine", []);
    expect((await observe(twice.state)).actions).to.deep.equal([]);
  });
});
