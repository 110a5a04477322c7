import { expect } from "chai";
import { ethers } from "hardhat";
import { loadFixture, time } from "@nomicfoundation/hardhat-network-helpers";
import type { Contract } from "ethers";
import type { RiskSteward } from "../../src/abi";
import { paramId } from "../../src/embedded/reference-system";
import { base, openPosition, referenceFixture, setPrice, usd, type ReferenceFixture } from "./fixtures";

const key = (label: string) => ethers.id(`key:${label}`);
const evidence = ethers.id("evidence: block 1, prices, positions digest, model v1");

function keeperSteward(f: ReferenceFixture): RiskSteward {
  return f.steward.connect(f.keeper);
}

describe("RiskSteward", () => {
  describe("margin updates", () => {
    it("raises margins within the tightening step and logs old, new, keeper, key and evidence", async () => {
      const f = await loadFixture(referenceFixture);
      const steward = keeperSteward(f);
      // ETH: IMR 1000 → 1500 (+50%, the max tightening step), MMR 500 → 750.
      await expect(steward.updateMarginRatios(f.eth.id, 1500, 750, key("a"), evidence))
        .to.emit(f.steward, "ParameterUpdated")
        .withArgs(f.eth.id, paramId("IMR"), 1000, 1500, await f.keeper.getAddress(), key("a"), evidence)
        .and.to.emit(f.steward, "ParameterUpdated")
        .withArgs(f.eth.id, paramId("MMR"), 500, 750, await f.keeper.getAddress(), key("a"), evidence)
        .and.to.emit(f.steward, "ActionExecuted")
        .withArgs(key("a"), await f.keeper.getAddress(), evidence);
      expect(await f.perps.marginRatios(f.eth.id)).to.deep.equal([1500n, 750n]);
      expect(await f.steward.executed(key("a"))).to.equal(true);
    });

    it("refuses a step larger than the direction allows", async () => {
      const f = await loadFixture(referenceFixture);
      await expect(keeperSteward(f).updateMarginRatios(f.eth.id, 1501, 750, key("a"), evidence))
        .to.be.revertedWithCustomError(f.steward, "StepTooLarge")
        .withArgs(f.eth.id, paramId("IMR"), 1000, 1501, 5000);
      // Loosening is capped at 10% per update: 1000 → 899 is too far.
      await expect(keeperSteward(f).updateMarginRatios(f.eth.id, 899, 500, key("b"), evidence))
        .to.be.revertedWithCustomError(f.steward, "StepTooLarge")
        .withArgs(f.eth.id, paramId("IMR"), 1000, 899, 1000);
    });

    it("tightens again after the short tightening delay, but loosens only after the long one", async () => {
      const f = await loadFixture(referenceFixture);
      const steward = keeperSteward(f);
      await (await steward.updateMarginRatios(f.eth.id, 1200, 600, key("1"), evidence)).wait();
      await expect(steward.updateMarginRatios(f.eth.id, 1400, 700, key("2"), evidence)).to.be.revertedWithCustomError(f.steward, "UpdateTooSoon");
      await time.increase(60);
      await (await steward.updateMarginRatios(f.eth.id, 1400, 700, key("2"), evidence)).wait();
      await time.increase(3600);
      await expect(steward.updateMarginRatios(f.eth.id, 1300, 650, key("3"), evidence)).to.be.revertedWithCustomError(f.steward, "UpdateTooSoon");
      await time.increase(6 * 3600);
      await expect(steward.updateMarginRatios(f.eth.id, 1300, 650, key("3"), evidence)).to.emit(f.steward, "ParameterUpdated");
    });

    it("refuses values outside [min, max] and never sets zero", async () => {
      const f = await loadFixture(referenceFixture);
      const steward = keeperSteward(f);
      // IMR bounds are [500, 5000]; walk up to the max, then one more step must fail.
      let imr = 1000;
      for (let i = 0; i < 4; i++) {
        imr = Math.min(5000, Math.floor(imr * 1.5));
        await (await steward.updateMarginRatios(f.eth.id, imr, 500, key(`up${i}`), evidence)).wait();
        await time.increase(60);
      }
      expect(imr).to.equal(5000);
      await expect(steward.updateMarginRatios(f.eth.id, 5001, 500, key("over"), evidence))
        .to.be.revertedWithCustomError(f.steward, "OutOfBounds")
        .withArgs(f.eth.id, paramId("IMR"), 5001, 500, 5000);
      await expect(steward.updateOpenInterestCaps(f.eth.id, 0, usd(60_000_000), key("zero"), evidence))
        .to.be.revertedWithCustomError(f.steward, "ZeroValue")
        .withArgs(paramId("LONG_CAP"));
    });

    it("never executes the same idempotency key twice", async () => {
      const f = await loadFixture(referenceFixture);
      const steward = keeperSteward(f);
      await (await steward.updateMarginRatios(f.eth.id, 1100, 550, key("once"), evidence)).wait();
      await time.increase(3600);
      await expect(steward.updateMarginRatios(f.eth.id, 1200, 600, key("once"), evidence))
        .to.be.revertedWithCustomError(f.steward, "KeyAlreadyExecuted")
        .withArgs(key("once"));
    });
  });

  describe("caps", () => {
    it("lowers open-interest caps fast and raises them slowly", async () => {
      const f = await loadFixture(referenceFixture);
      const steward = keeperSteward(f);
      await expect(steward.updateOpenInterestCaps(f.eth.id, usd(30_000_000), usd(45_000_000), key("cut"), evidence))
        .to.emit(f.steward, "ParameterUpdated")
        .withArgs(f.eth.id, paramId("LONG_CAP"), usd(60_000_000), usd(30_000_000), await f.keeper.getAddress(), key("cut"), evidence);
      expect(await f.perps.openInterestCaps(f.eth.id)).to.deep.equal([usd(30_000_000), usd(45_000_000)]);
      await time.increase(6 * 3600);
      await expect(steward.updateOpenInterestCaps(f.eth.id, usd(33_000_001), usd(45_000_000), key("raise"), evidence)).to.be.revertedWithCustomError(
        f.steward,
        "StepTooLarge",
      );
      await expect(steward.updateOpenInterestCaps(f.eth.id, usd(33_000_000), usd(45_000_000), key("raise"), evidence)).to.emit(f.steward, "ParameterUpdated");
    });
  });

  describe("deleveraging", () => {
    it("deleverages profitable positions within the per-call notional cap", async () => {
      const f = await loadFixture(referenceFixture);
      const a = await openPosition(f, f.traders[0], f.eth, true, "1000", "400000");
      const b = await openPosition(f, f.traders[1], f.eth, true, "1000", "400000");
      await setPrice(f.eth, 3500);
      const steward = keeperSteward(f);
      // Cap is $5M: 1,500 ETH × $3,500 = $5.25M is too much.
      await expect(steward.deleverage(f.eth.id, [a, b], [base(1000), base(500)], key("too-big"), evidence))
        .to.be.revertedWithCustomError(f.steward, "DeleverageNotionalExceeded")
        .withArgs(usd(5_250_000), usd(5_000_000));
      await expect(steward.deleverage(f.eth.id, [a, b], [base(1000), base(400)], key("adl"), evidence))
        .to.emit(f.perps, "PositionDeleveraged")
        .and.to.emit(f.steward, "ActionExecuted")
        .withArgs(key("adl"), await f.keeper.getAddress(), evidence);
      expect((await f.perps.positionOf(b)).size).to.equal(base(600));
      await expect(f.perps.positionOf(a)).to.be.revertedWithCustomError(f.perps, "UnknownPosition");
    });

    it("refuses a position of another market and mismatched arrays", async () => {
      const f = await loadFixture(referenceFixture);
      const a = await openPosition(f, f.traders[0], f.btc, true, "1", "6000");
      await expect(keeperSteward(f).deleverage(f.eth.id, [a], [base(1)], key("x"), evidence))
        .to.be.revertedWithCustomError(f.steward, "PositionInOtherMarket")
        .withArgs(a, f.btc.id);
      await expect(keeperSteward(f).deleverage(f.eth.id, [a], [], key("y"), evidence)).to.be.revertedWithCustomError(f.steward, "LengthMismatch");
    });
  });

  describe("access", () => {
    it("lets a stranger do nothing, and a frozen steward lets the keeper do nothing", async () => {
      const f = await loadFixture(referenceFixture);
      const stranger = f.steward.connect(f.stranger);
      await expect(stranger.updateMarginRatios(f.eth.id, 1100, 550, key("s"), evidence))
        .to.be.revertedWithCustomError(f.steward, "NotKeeper")
        .withArgs(await f.stranger.getAddress());
      await expect(stranger.deleverage(f.eth.id, [1], [1], key("s"), evidence)).to.be.revertedWithCustomError(f.steward, "NotKeeper");
      await expect(stranger.freeze()).to.be.revertedWithCustomError(f.steward, "OwnableUnauthorizedAccount");

      await (await f.steward.freeze()).wait();
      await expect(keeperSteward(f).updateMarginRatios(f.eth.id, 1100, 550, key("k"), evidence)).to.be.revertedWithCustomError(f.steward, "StewardFrozen");
      await expect(f.steward.connect(f.keeper).unfreeze()).to.be.revertedWithCustomError(f.steward, "OwnableUnauthorizedAccount");
      await (await f.steward.unfreeze()).wait();
      await expect(keeperSteward(f).updateMarginRatios(f.eth.id, 1100, 550, key("k"), evidence)).to.emit(f.steward, "ParameterUpdated");
    });

    it("lets only governance change bounds, and refuses nonsense bounds", async () => {
      const f = await loadFixture(referenceFixture);
      const bounds = { min: 1, max: 10, maxTightenBps: 100, maxLoosenBps: 100, tightenDelay: 0, loosenDelay: 0, tightenIsIncrease: true };
      await expect(f.steward.connect(f.keeper).setBounds(f.eth.id, paramId("IMR"), bounds)).to.be.revertedWithCustomError(
        f.steward,
        "OwnableUnauthorizedAccount",
      );
      await expect(f.steward.setBounds(f.eth.id, paramId("IMR"), { ...bounds, min: 11 })).to.be.revertedWithCustomError(f.steward, "InvalidBounds");
      await expect(f.steward.setBounds(f.eth.id, paramId("IMR"), { ...bounds, min: 0 })).to.be.revertedWithCustomError(f.steward, "InvalidBounds");
    });

    it("refuses a parameter whose bounds governance never configured", async () => {
      const f = await loadFixture(referenceFixture);
      const doge = ethers.encodeBytes32String("DOGE-USD");
      await (await f.perps.addMarket(doge, await f.eth.feed.getAddress(), 3600, 1000, 500, 100, usd(1_000_000), usd(1_000_000))).wait();
      await expect(keeperSteward(f).updateMarginRatios(doge, 1100, 550, key("u"), evidence))
        .to.be.revertedWithCustomError(f.steward, "BoundsNotConfigured")
        .withArgs(doge, paramId("IMR"));
    });

    it("cannot be bypassed by a protocol that re-enters it", async () => {
      const f = await loadFixture(referenceFixture);
      const target = await (await ethers.getContractFactory("ReentrantRiskTarget")).deploy();
      const steward = await (await ethers.getContractFactory("RiskSteward")).deploy(await target.getAddress(), await f.governance.getAddress());
      const market = ethers.encodeBytes32String("M");
      const b = { min: 100, max: 9000, maxTightenBps: 1000, maxLoosenBps: 1000, tightenDelay: 3600, loosenDelay: 3600, tightenIsIncrease: true };
      await (await steward.setBounds(market, paramId("IMR"), b)).wait();
      await (await steward.setBounds(market, paramId("MMR"), b)).wait();
      await (await steward.setKeeper(await f.keeper.getAddress(), true)).wait();
      // Even allowlisted, the re-entering protocol is stopped by the steward's guard.
      await (await steward.setKeeper(await target.getAddress(), true)).wait();
      await (await target.arm(await steward.getAddress(), 9000, 8000)).wait();
      await expect((steward.connect(f.keeper) as unknown as Contract).updateMarginRatios(market, 1100, 550, key("r"), evidence)).to.be.revertedWithCustomError(
        steward,
        "ReentrancyGuardReentrantCall",
      );
      expect(await target.imr()).to.equal(1000n);
    });
  });
});
