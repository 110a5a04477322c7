import { expect } from "chai";
import { ethers } from "hardhat";
import { loadFixture } from "@nomicfoundation/hardhat-network-helpers";
import { AaveLiquidatorBot } from "../../../src/rehearse/aave-liquidator";
import { aaveFixture, adapterFor, type AaveFixture } from "./fixtures";

const ONE = 10n ** 18n;

async function botFor(f: AaveFixture): Promise<AaveLiquidatorBot> {
  const target = { addressesProvider: await f.addressesProvider.getAddress(), dataProvider: await f.dataProvider.getAddress(), multicall: await f.multicall.getAddress(), accounts: f.borrowers };
  return AaveLiquidatorBot.open(ethers.provider, target);
}

describe("rehearsal liquidator bot, calling the real Pool.liquidationCall", () => {
  it("liquidates exactly the accounts under health factor 1, at the close factor, taking the collateral with the bonus", async () => {
    const f = await loadFixture(aaveFixture);
    const [weth] = f.reserves;
    // WETH −13 %: the 1.1M USDC borrower against 500 WETH falls to health 0.975 (500 × 2600 × 0.825 ÷ 1.1M).
    await (await weth.feed.updateAnswer(ethers.parseUnits("2600", 8))).wait();
    const before = await Promise.all(f.borrowers.map((b) => f.pool.getUserAccountData(b)));
    const underwater = f.borrowers.filter((_, i) => before[i].totalDebtBase > 0n && before[i].healthFactor < ONE);
    expect(underwater).to.have.length(1);
    const [, , liquidator] = await ethers.getSigners();
    const done = await (await botFor(f)).run(liquidator);
    expect(done.map((l) => l.account)).to.deep.equal(underwater);
    const [l] = done;
    expect(l.collateralSymbol).to.equal("WETH");
    // Health above 0.95: half the debt repaid, collateral seized at the 5 % bonus.
    const i = f.borrowers.indexOf(l.account);
    const after = await f.pool.getUserAccountData(l.account);
    expect(Number(after.totalDebtBase) / Number(before[i].totalDebtBase)).to.be.closeTo(0.5, 1e-6);
    expect(l.seizedUsd / l.repaidUsd).to.be.closeTo(1.05, 1e-6);
    expect(after.healthFactor).to.be.greaterThan(before[i].healthFactor);
    // Nobody else was touched, and a second run finds nothing to do.
    expect(await (await botFor(f)).run(liquidator)).to.deep.equal([]);
  });

  it("measures bad debt on-chain as the debt left on accounts with no collateral", async () => {
    const f = await loadFixture(aaveFixture);
    const [weth] = f.reserves;
    const adapter = await adapterFor(f);
    expect((await adapter.readSnapshot(await ethers.provider.getBlockNumber())).recordedBadDebtUsd).to.equal(0);
    // WETH −45 %: 500 WETH ($825k) against 1.1M USDC: under 0.95, all of it can be repaid, but the collateral runs out first.
    await (await weth.feed.updateAnswer(ethers.parseUnits("1650", 8))).wait();
    const [, , liquidator] = await ethers.getSigners();
    const bot = await botFor(f);
    for (let round = 0; round < 3; round++) await bot.run(liquidator);
    const rows = await Promise.all(f.borrowers.map((b) => f.pool.getUserAccountData(b)));
    const stranded = rows.filter((r) => r.totalCollateralBase === 0n && r.totalDebtBase > 0n);
    expect(stranded.length).to.be.greaterThan(0);
    const expected = stranded.reduce((s, r) => s + Number(r.totalDebtBase) / 1e8, 0);
    const snap = await adapter.readSnapshot(await ethers.provider.getBlockNumber());
    expect(snap.recordedBadDebtUsd!).to.be.closeTo(expected, 1e-6 * expected);
  });
});
