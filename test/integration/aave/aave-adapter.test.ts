import { expect } from "chai";
import { ethers } from "hardhat";
import { loadFixture, time } from "@nomicfoundation/hardhat-network-helpers";
import type { Contract } from "ethers";
import { marketKey } from "../../../src/protocols/aave/adapter";
import { accountHealth, computeMetrics } from "../../../src/risk";
import { textToMarketId } from "../../../src/protocols/units";
import { assess } from "../../../src/keeper/assess";
import { actionChanges } from "../../../src/steward/events";
import { aaveFixture, adapterFor } from "./fixtures";

const bits = (word: bigint, from: number, to: number) => (word >> BigInt(from)) & ((1n << BigInt(to - from)) - 1n);

describe("Aave V3 adapter, against the real protocol deployed from its artifacts", () => {
  it("reports per-reserve collateral and debt equal to Aave's own data provider and token supplies, to the wei", async () => {
    const f = await loadFixture(aaveFixture);
    const snap = await (await adapterFor(f)).readSnapshot(await ethers.provider.getBlockNumber());
    const addresses = await Promise.all(f.reserves.map((r) => r.token.getAddress()));
    // One id everywhere: the reserve's asset address, in the on-chain view, the risk snapshot and the steward's bounds.
    expect(snap.markets.map((m) => m.id)).to.deep.equal(addresses);
    expect(snap.markets.map((m) => m.label)).to.deep.equal(["WETH", "WBTC", "USDC", "DAI"]);
    expect(snap.risk.markets.map((m) => m.id)).to.deep.equal(addresses);
    expect(snap.risk.assets.map((a) => a.id)).to.deep.equal(addresses);
    expect(Object.keys(snap.steward.bounds)).to.deep.equal(addresses);
    for (const a of snap.risk.accounts ?? []) for (const leg of [...a.collateral, ...(a.debts ?? [])]) expect(addresses).to.include(leg.asset);
    for (const r of f.reserves) {
      const asset = await r.token.getAddress();
      const data = await f.dataProvider.getReserveData(asset);
      const aToken = new ethers.Contract(r.aToken, ["function totalSupply() view returns (uint256)"], ethers.provider);
      const vDebt = new ethers.Contract(r.variableDebtToken, ["function totalSupply() view returns (uint256)"], ethers.provider);
      const m = snap.markets.find((x) => x.id === asset)!;
      expect(m.params.SUPPLIED).to.equal(data.totalAToken);
      expect(m.params.SUPPLIED).to.equal(await aToken.totalSupply());
      expect(m.params.DEBT).to.equal(data.totalVariableDebt + data.totalStableDebt);
      expect(m.params.DEBT).to.equal(await vDebt.totalSupply());
      expect(snap.risk.assets.find((a) => a.id === asset)!.amount).to.equal(Number(ethers.formatUnits(data.totalAToken, r.decimals)));
      expect(m.params.LIQ_THRESHOLD).to.equal(BigInt(r.liquidationThresholdBps));
    }
    // Exposure is borrowed value; collateral is supplied value; svr is their ratio.
    const metrics = computeMetrics(snap.risk);
    const debtUsd = (1_100_000 + 400_000 + 800_000) * 1 + 450 * 3000 + 10 * 60_000;
    expect(metrics.protocol.notionalOpenInterest).to.be.closeTo(debtUsd, 1);
    expect(metrics.protocol.svr!).to.be.closeTo(metrics.protocol.collateralValue / metrics.protocol.notionalOpenInterest, 1e-12);
  });

  it("liquidates exactly the borrowers whose health factor falls below one", async () => {
    const f = await loadFixture(aaveFixture);
    const adapter = await adapterFor(f);
    // WETH +20 %: the WETH borrower (user 4: 2M USDC supplied at LT 80 %, 450 WETH borrowed) falls under 1.
    const weth = f.reserves[0];
    await (await weth.feed.updateAnswer(ethers.parseUnits("3600", 8))).wait();
    const snap = await adapter.readSnapshot(await ethers.provider.getBlockNumber());
    const judged = accountHealth(snap.risk);
    expect(judged.map((a) => a.id)).to.have.members(f.borrowers);
    for (const a of judged) {
      const hf = (await f.pool.getUserAccountData(a.id)).healthFactor;
      expect(a.liquidatable, a.id).to.equal(hf < ethers.parseUnits("1", 18));
    }
    expect(judged.filter((a) => a.liquidatable).map((a) => a.id)).to.deep.equal([f.borrowers[4]]);
  });

  it("sends an adapter-built action through the steward and changes exactly the intended configuration bits", async () => {
    const f = await loadFixture(aaveFixture);
    const adapter = await adapterFor(f);
    const weth = await f.reserves[0].token.getAddress();
    const before = (await f.pool.getConfiguration(weth)).data as bigint;
    const provenance = { idempotencyKey: ethers.id("aave-weth-risk"), evidenceHash: ethers.id("evidence"), validUntil: 4_000_000_000n };
    // Tighten WETH: LTV 80 % → 75 %, threshold 82.5 % → 80 %, bonus 5 % → 6 %.
    const expected = { ltvBps: 8000n, liquidationThresholdBps: 8250n, liquidationBonusBps: 10500n };
    const tx = adapter.buildAction({ kind: "setReserveRisk", market: weth, ltvBps: 7500n, liquidationThresholdBps: 8000n, liquidationBonusBps: 10600n, expected }, provenance);
    const sent = await f.keeper.sendTransaction(tx);
    await expect(sent)
      .to.emit(f.steward, "ActionExecuted")
      .withArgs(provenance.idempotencyKey, marketKey(weth), await f.keeper.getAddress(), provenance.evidenceHash);
    expect(actionChanges(sent.data)).to.deep.include({
      market: marketKey(weth),
      changes: [
        { what: textToMarketId("LTV"), oldValue: 8000n, newValue: 7500n },
        { what: textToMarketId("LIQ_THRESHOLD"), oldValue: 8250n, newValue: 8000n },
        { what: textToMarketId("LIQ_BONUS"), oldValue: 10500n, newValue: 10600n },
      ],
    });
    const after = (await f.pool.getConfiguration(weth)).data as bigint;
    expect(bits(after, 0, 16)).to.equal(7500n);
    expect(bits(after, 16, 32)).to.equal(8000n);
    expect(bits(after, 32, 48)).to.equal(10600n);
    expect(after >> 48n, "no bit above the bonus changed").to.equal(before >> 48n);
    const conf = await f.dataProvider.getReserveConfigurationData(weth);
    expect([conf.ltv, conf.liquidationThreshold, conf.liquidationBonus]).to.deep.equal([7500n, 8000n, 10600n]);
    expect(await adapter.readParams(weth, await ethers.provider.getBlockNumber())).to.deep.include({ LTV: 7500n, LIQ_THRESHOLD: 8000n, LIQ_BONUS: 10600n });

    // Caps: borrow cap bits 80–115, supply cap 116–151; nothing else moves.
    await time.increase(60);
    const capsTx = adapter.buildAction(
      { kind: "setReserveCaps", market: weth, supplyCap: 90_000n, borrowCap: 70_000n, expected: { supplyCap: 100_000n, borrowCap: 80_000n } },
      { idempotencyKey: ethers.id("caps"), evidenceHash: ethers.ZeroHash, validUntil: 4_000_000_000n },
    );
    await (await f.keeper.sendTransaction(capsTx)).wait();
    const capped = (await f.pool.getConfiguration(weth)).data as bigint;
    expect(bits(capped, 80, 116)).to.equal(70_000n);
    expect(bits(capped, 116, 152)).to.equal(90_000n);
    expect(bits(capped, 0, 80)).to.equal(bits(after, 0, 80));
    expect(capped >> 152n).to.equal(after >> 152n);
  });

  it("holds the steward's bounds, delays, allowlist, freeze and idempotency on Aave", async () => {
    const f = await loadFixture(aaveFixture);
    const weth = await f.reserves[0].token.getAddress();
    const steward = f.steward.connect(f.keeper) as Contract;
    const tag = (s: string) => ({ key: ethers.id(s), evidenceHash: ethers.ZeroHash, validUntil: 4_000_000_000n });
    const risk = (ltv: number) => ({ ltv, liquidationThreshold: 8250, liquidationBonus: 10500 });
    const launch = risk(8000);
    // LTV can tighten 15 % a step: 8000 → 6799 is too far; loosening above the launch value is out of bounds.
    await expect(steward.updateReserveRisk(weth, launch, risk(6799), tag("a"))).to.be.revertedWithCustomError(f.steward, "StepTooLarge");
    await expect(steward.updateReserveRisk(weth, launch, risk(8100), tag("b"))).to.be.revertedWithCustomError(f.steward, "OutOfBounds");
    await (await steward.updateReserveRisk(weth, launch, risk(7000), tag("c"))).wait();
    await expect(steward.updateReserveRisk(weth, risk(7000), risk(6500), tag("d"))).to.be.revertedWithCustomError(f.steward, "UpdateTooSoon");
    // A replay names values that are gone.
    await expect(steward.updateReserveRisk(weth, launch, risk(7000), tag("c"))).to.be.revertedWithCustomError(f.steward, "StaleExpectation");
    const caps = { supplyCap: 100_000, borrowCap: 80_000 };
    await expect((f.steward.connect(f.stranger) as Contract).updateReserveCaps(weth, caps, { supplyCap: 1, borrowCap: 1 }, tag("e"))).to.be.revertedWithCustomError(f.steward, "NotKeeper");
    await (await f.steward.freeze()).wait();
    await expect(steward.updateReserveCaps(weth, caps, { supplyCap: 90_000, borrowCap: 70_000 }, tag("f"))).to.be.revertedWithCustomError(f.steward, "StewardFrozen");
    // The steward really holds Aave's RISK_ADMIN role, and only that.
    expect(await f.acl.isRiskAdmin(await f.steward.getAddress())).to.equal(true);
    expect(await f.acl.isPoolAdmin(await f.steward.getAddress())).to.equal(false);
  });

  it("pins every read to one block", async () => {
    const f = await loadFixture(aaveFixture);
    const adapter = await adapterFor(f);
    const pinned = await ethers.provider.getBlockNumber();
    const usdc = f.reserves[2];
    await (await (usdc.token.connect(f.users[0]) as Contract)["mint(address,uint256)"](f.borrowers[0], 10n ** 12n)).wait();
    await (await (usdc.token.connect(f.users[0]) as Contract).approve(await f.pool.getAddress(), 10n ** 12n)).wait();
    await (await (f.pool.connect(f.users[0]) as Contract).supply(await usdc.token.getAddress(), 10n ** 12n, f.borrowers[0], 0)).wait();
    const then = await adapter.readSnapshot(pinned);
    const now = await adapter.readSnapshot(await ethers.provider.getBlockNumber());
    const supplied = (s: typeof then) => s.markets.find((m) => m.label === "USDC")!.params.SUPPLIED;
    expect(supplied(now) - supplied(then)).to.be.closeTo(10n ** 12n, 10n ** 6n); // interest accrues a little too
    expect(then.block.number).to.equal(pinned);
  });

  it("reads prices in the oracle's own decimals and marks a source stale past its own heartbeat", async () => {
    const f = await loadFixture(aaveFixture);
    const [weth, wbtc] = f.reserves;
    const adapter = await adapterFor(f, { defaultSeconds: 86_400, sources: { [await weth.feed.getAddress()]: 3_600 } });
    await time.increase(2 * 3_600);
    await (await wbtc.feed.updateAnswer(ethers.parseUnits("60000", 8))).wait();
    const snap = await adapter.readSnapshot(await ethers.provider.getBlockNumber());
    const byLabel = (l: string) => snap.markets.find((m) => m.label === l)!;
    expect(byLabel("WETH").oracle.decimals).to.equal(Number(String(await f.oracle.BASE_CURRENCY_UNIT()).length - 1));
    expect(byLabel("WETH").oracle.heartbeat).to.equal(3_600n);
    expect(byLabel("WBTC").oracle.heartbeat).to.equal(86_400n);
    const a = assess(snap);
    // WETH's feed last answered two hours ago, past its one-hour heartbeat; WBTC's just answered.
    expect(a.staleOracles).to.deep.equal([await weth.token.getAddress()]);
    expect(snap.risk.assets.find((x) => x.id === weth.token.target)!.price).to.equal(3000);
  });
});
