import { expect } from "chai";
import { ethers } from "hardhat";
import { loadFixture, time } from "@nomicfoundation/hardhat-network-helpers";
import type { Contract } from "ethers";
import { configureStewardBounds, paramId } from "../../src/embedded/reference-system";
import { actionChanges } from "../../src/steward/events";
import { base, openPosition, referenceFixture, setPrice, usd, type ReferenceFixture } from "./fixtures";

const key = (label: string) => ethers.id(`key:${label}`);
const evidence = ethers.id("evidence: block 1, prices, positions digest, model v1");
const margins = (imrBps: number, mmrBps: number) => ({ imrBps, mmrBps });
const caps = (longUsd: number, shortUsd: number) => ({ longCap: usd(longUsd), shortCap: usd(shortUsd) });

/** An action tag valid for `validFor` seconds from the latest block. */
async function tag(label: string, validFor = 3600): Promise<{ key: string; evidenceHash: string; validUntil: number }> {
  return { key: key(label), evidenceHash: evidence, validUntil: (await time.latest()) + validFor };
}

function keeperSteward(f: ReferenceFixture): Contract {
  return f.steward.connect(f.keeper) as unknown as Contract;
}

/** The fixture's ETH market starts at IMR 1000 / MMR 500 and caps of $60M (permissive profile: tighten 50 % / 60 s, loosen 10 % / 6 h). */
async function raiseMargins(f: ReferenceFixture, from: [number, number], to: [number, number], label: string) {
  return keeperSteward(f).updateMarginRatios(f.eth.id, margins(...from), margins(...to), await tag(label));
}

describe("RiskSteward", () => {
  describe("margin updates", () => {
    it("raises margins within the tightening step and logs key, keeper and evidence in one event, old and new in its transaction", async () => {
      const f = await loadFixture(referenceFixture);
      const tx = await raiseMargins(f, [1000, 500], [1500, 750], "a");
      await expect(tx)
        .to.emit(f.steward, "ActionExecuted")
        .withArgs(key("a"), f.eth.id, await f.keeper.getAddress(), evidence);
      expect(actionChanges(tx.data)!.changes).to.deep.equal([
        { what: paramId("IMR"), oldValue: 1000n, newValue: 1500n },
        { what: paramId("MMR"), oldValue: 500n, newValue: 750n },
      ]);
      expect(await f.perps.marginRatios(f.eth.id)).to.deep.equal([1500n, 750n]);
    });

    it("refuses a replay by construction: the values it expects are gone (StaleExpectation)", async () => {
      const f = await loadFixture(referenceFixture);
      await (await raiseMargins(f, [1000, 500], [1100, 550], "once")).wait();
      await time.increase(3600);
      await expect(raiseMargins(f, [1000, 500], [1100, 550], "once"))
        .to.be.revertedWithCustomError(f.steward, "StaleExpectation")
        .withArgs(f.eth.id, paramId("IMR"), 1000, 1100);
    });

    it("refuses an action past its validUntil (ActionExpired)", async () => {
      const f = await loadFixture(referenceFixture);
      const t = await tag("late", 12);
      await time.setNextBlockTimestamp(t.validUntil + 1);
      await expect(keeperSteward(f).updateMarginRatios(f.eth.id, margins(1000, 500), margins(1100, 550), t))
        .to.be.revertedWithCustomError(f.steward, "ActionExpired")
        .withArgs(key("late"), t.validUntil, t.validUntil + 1);
    });

    it("refuses an action that changes nothing (NothingToDo)", async () => {
      const f = await loadFixture(referenceFixture);
      await expect(raiseMargins(f, [1000, 500], [1000, 500], "noop")).to.be.revertedWithCustomError(f.steward, "NothingToDo");
    });

    it("refuses a relative step larger than the direction allows (StepTooLarge)", async () => {
      const f = await loadFixture(referenceFixture);
      await expect(raiseMargins(f, [1000, 500], [1501, 750], "a"))
        .to.be.revertedWithCustomError(f.steward, "StepTooLarge")
        .withArgs(f.eth.id, paramId("IMR"), 1000, 1501, 5000);
      // Loosening is capped at 10 % per update: 1000 → 899 is too far.
      await expect(raiseMargins(f, [1000, 500], [899, 500], "b"))
        .to.be.revertedWithCustomError(f.steward, "StepTooLarge")
        .withArgs(f.eth.id, paramId("IMR"), 1000, 899, 1000);
    });

    it("takes absolute steps where governance says so: ±50 bps whatever the value (StepTooLarge past it)", async () => {
      const f = await loadFixture(referenceFixture);
      const abs = { min: 100, max: 5000, maxTighten: 50, maxLoosen: 50, tightenDelay: 0, loosenDelay: 0, tightenIsIncrease: true, relative: false };
      for (const p of ["IMR", "MMR"] as const) await (await f.steward.setBounds(f.eth.id, paramId(p), abs)).wait();
      await expect(raiseMargins(f, [1000, 500], [1051, 500], "too-far"))
        .to.be.revertedWithCustomError(f.steward, "StepTooLarge")
        .withArgs(f.eth.id, paramId("IMR"), 1000, 1051, 50);
      await (await raiseMargins(f, [1000, 500], [1050, 550], "up")).wait();
      await (await raiseMargins(f, [1050, 550], [1000, 500], "down")).wait();
      expect(await f.perps.marginRatios(f.eth.id)).to.deep.equal([1000n, 500n]);
    });

    it("tightens again after the short tightening delay, but loosens only after the long one (UpdateTooSoon)", async () => {
      const f = await loadFixture(referenceFixture);
      await (await raiseMargins(f, [1000, 500], [1200, 600], "1")).wait();
      await expect(raiseMargins(f, [1200, 600], [1400, 700], "2")).to.be.revertedWithCustomError(f.steward, "UpdateTooSoon");
      await time.increase(60);
      await (await raiseMargins(f, [1200, 600], [1400, 700], "2")).wait();
      await time.increase(3600);
      await expect(raiseMargins(f, [1400, 700], [1300, 650], "3")).to.be.revertedWithCustomError(f.steward, "UpdateTooSoon");
      await time.increase(6 * 3600);
      await expect(raiseMargins(f, [1400, 700], [1300, 650], "3")).to.emit(f.steward, "ActionExecuted");
    });

    it("keeps each parameter of a pair on its own clock: moving MMR alone neither waits for nor restarts IMR's delay", async () => {
      const f = await loadFixture(referenceFixture);
      await (await raiseMargins(f, [1000, 500], [1200, 500], "imr")).wait();
      const [, imrAt] = await f.steward.getBounds(f.eth.id, paramId("IMR"));
      expect((await f.steward.getBounds(f.eth.id, paramId("MMR")))[1], "MMR never moved").to.equal(0n);
      // The next block is a second later, inside IMR's 60 s delay: MMR moves, IMR may not.
      await expect(raiseMargins(f, [1200, 500], [1200, 600], "mmr")).to.emit(f.steward, "ActionExecuted");
      const [, mmrAt] = await f.steward.getBounds(f.eth.id, paramId("MMR"));
      expect(mmrAt).to.be.greaterThan(imrAt);
      expect((await f.steward.getBounds(f.eth.id, paramId("IMR")))[1], "IMR's clock untouched").to.equal(imrAt);
      await expect(raiseMargins(f, [1200, 600], [1400, 600], "imr2"))
        .to.be.revertedWithCustomError(f.steward, "UpdateTooSoon")
        .withArgs(f.eth.id, paramId("IMR"), imrAt, 60, imrAt + 2n);
    });

    it("refuses values outside [min, max] (OutOfBounds)", async () => {
      const f = await loadFixture(referenceFixture);
      let imr = 1000;
      for (let i = 0; i < 4; i++) {
        const next = Math.min(5000, Math.floor(imr * 1.5));
        await (await raiseMargins(f, [imr, 500], [next, 500], `up${i}`)).wait();
        imr = next;
        await time.increase(60);
      }
      expect(imr).to.equal(5000);
      await expect(raiseMargins(f, [5000, 500], [5001, 500], "over"))
        .to.be.revertedWithCustomError(f.steward, "OutOfBounds")
        .withArgs(f.eth.id, paramId("IMR"), 5001, 500, 5000);
    });

    it("never sets a value to zero (ZeroValue)", async () => {
      const f = await loadFixture(referenceFixture);
      await expect(keeperSteward(f).updateOpenInterestCaps(f.eth.id, caps(60_000_000, 60_000_000), { longCap: 0, shortCap: usd(60_000_000) }, await tag("zero")))
        .to.be.revertedWithCustomError(f.steward, "ZeroValue")
        .withArgs(paramId("LONG_CAP"));
    });

    it("refuses a parameter whose bounds governance never configured (BoundsNotConfigured)", async () => {
      const f = await loadFixture(referenceFixture);
      const doge = ethers.encodeBytes32String("DOGE-USD");
      await (await f.perps.addMarket(doge, await f.eth.feed.getAddress(), 3600, 1000, 500, 100, usd(1_000_000), usd(1_000_000))).wait();
      await expect(keeperSteward(f).updateMarginRatios(doge, margins(1000, 500), margins(1100, 550), await tag("u")))
        .to.be.revertedWithCustomError(f.steward, "BoundsNotConfigured")
        .withArgs(doge, paramId("IMR"));
    });
  });

  describe("caps", () => {
    it("lowers open-interest caps fast and raises them slowly", async () => {
      const f = await loadFixture(referenceFixture);
      const steward = keeperSteward(f);
      const cut = await steward.updateOpenInterestCaps(f.eth.id, caps(60_000_000, 60_000_000), caps(30_000_000, 45_000_000), await tag("cut"));
      await expect(cut)
        .to.emit(f.steward, "ActionExecuted")
        .withArgs(key("cut"), f.eth.id, await f.keeper.getAddress(), evidence);
      expect(actionChanges(cut.data)!.changes).to.deep.equal([
        { what: paramId("LONG_CAP"), oldValue: usd(60_000_000), newValue: usd(30_000_000) },
        { what: paramId("SHORT_CAP"), oldValue: usd(60_000_000), newValue: usd(45_000_000) },
      ]);
      await time.increase(6 * 3600);
      await expect(
        steward.updateOpenInterestCaps(f.eth.id, caps(30_000_000, 45_000_000), { longCap: usd(33_000_000) + 1n, shortCap: usd(45_000_000) }, await tag("raise")),
      ).to.be.revertedWithCustomError(f.steward, "StepTooLarge");
      await expect(steward.updateOpenInterestCaps(f.eth.id, caps(30_000_000, 45_000_000), caps(33_000_000, 45_000_000), await tag("raise"))).to.emit(f.steward, "ActionExecuted");
    });
  });

  describe("deleveraging", () => {
    async function twoWinners(f: ReferenceFixture) {
      const a = await openPosition(f, f.traders[0], f.eth, true, "1000", "400000");
      const b = await openPosition(f, f.traders[1], f.eth, true, "1000", "400000");
      await setPrice(f.eth, 3500);
      return { a, b };
    }
    const cut = (positionId: bigint, expected: string, delta: string) => ({ positionId, expectedSize: base(expected), sizeDelta: base(delta) });

    it("deleverages profitable positions, naming the sizes it expects, and logs each size before and after", async () => {
      const f = await loadFixture(referenceFixture);
      const { a, b } = await twoWinners(f);
      const tx = await keeperSteward(f).deleverage(f.eth.id, [cut(a, "1000", "1000"), cut(b, "1000", "400")], await tag("adl"));
      await expect(tx)
        .to.emit(f.perps, "PositionDeleveraged")
        .and.to.emit(f.steward, "ActionExecuted")
        .withArgs(key("adl"), f.eth.id, await f.keeper.getAddress(), evidence);
      expect(actionChanges(tx.data)!.changes).to.deep.equal([
        { what: ethers.toBeHex(a, 32), oldValue: base(1000), newValue: 0n },
        { what: ethers.toBeHex(b, 32), oldValue: base(1000), newValue: base(600) },
      ]);
      expect((await f.perps.positionOf(b)).size).to.equal(base(600));
      await expect(f.perps.positionOf(a)).to.be.revertedWithCustomError(f.perps, "UnknownPosition");
    });

    it("refuses a position whose size is not the one expected (StalePosition)", async () => {
      const f = await loadFixture(referenceFixture);
      const { b } = await twoWinners(f);
      await (await keeperSteward(f).deleverage(f.eth.id, [cut(b, "1000", "100")], await tag("first"))).wait();
      await expect(keeperSteward(f).deleverage(f.eth.id, [cut(b, "1000", "100")], await tag("first")))
        .to.be.revertedWithCustomError(f.steward, "StalePosition")
        .withArgs(b, base(1000), base(900));
    });

    it("refuses more than the per-call notional cap (DeleverageNotionalExceeded)", async () => {
      const f = await loadFixture(referenceFixture);
      const { a, b } = await twoWinners(f);
      // The cap is $5M: 1,500 ETH × $3,500 = $5.25M is too much.
      await expect(keeperSteward(f).deleverage(f.eth.id, [cut(a, "1000", "1000"), cut(b, "1000", "500")], await tag("too-big")))
        .to.be.revertedWithCustomError(f.steward, "DeleverageNotionalExceeded")
        .withArgs(5_250_000, 5_000_000);
    });

    it("refuses more than the market's rolling budget has left, which refills over its window (DeleverageBudgetExceeded)", async () => {
      const f = await loadFixture(referenceFixture);
      await (await f.steward.setDeleverageLimits(f.eth.id, { maxPerCallUsd: 5_000_000, budgetUsd: 2_000_000, window: 3600 })).wait();
      const { b } = await twoWinners(f);
      // 400 ETH × $3,500 = $1.4M, then another $1.4M: the second is over what is left of $2M.
      await (await keeperSteward(f).deleverage(f.eth.id, [cut(b, "1000", "400")], await tag("1"))).wait();
      const [, left] = await f.steward.deleverageLimits(f.eth.id);
      expect(left).to.be.closeTo(600_000n, 1_000n);
      await expect(keeperSteward(f).deleverage(f.eth.id, [cut(b, "600", "400")], await tag("2"))).to.be.revertedWithCustomError(f.steward, "DeleverageBudgetExceeded");
      await time.increase(1800); // half a window refills $1M
      await expect(keeperSteward(f).deleverage(f.eth.id, [cut(b, "600", "400")], await tag("2"))).to.emit(f.steward, "ActionExecuted");
    });

    it("refuses a market without deleverage limits (DeleverageBudgetNotConfigured)", async () => {
      const f = await loadFixture(referenceFixture);
      const doge = ethers.encodeBytes32String("DOGE-USD");
      await (await f.perps.addMarket(doge, await f.eth.feed.getAddress(), 3600, 1000, 500, 100, usd(100_000_000), usd(100_000_000))).wait();
      const p = await openPosition(f, f.traders[0], { ...f.eth, id: doge }, true, "10", "6000");
      await setPrice(f.eth, 3500);
      await expect(keeperSteward(f).deleverage(doge, [cut(p, "10", "1")], await tag("d")))
        .to.be.revertedWithCustomError(f.steward, "DeleverageBudgetNotConfigured")
        .withArgs(doge);
    });

    it("refuses a position of another market (PositionInOtherMarket)", async () => {
      const f = await loadFixture(referenceFixture);
      const a = await openPosition(f, f.traders[0], f.btc, true, "1", "6000");
      await expect(keeperSteward(f).deleverage(f.eth.id, [cut(a, "1", "1")], await tag("x")))
        .to.be.revertedWithCustomError(f.steward, "PositionInOtherMarket")
        .withArgs(a, f.btc.id);
    });
  });

  describe("access, guardian and bounds", () => {
    it("lets a stranger do nothing (NotKeeper, OwnableUnauthorizedAccount, NotGuardian)", async () => {
      const f = await loadFixture(referenceFixture);
      const stranger = f.steward.connect(f.stranger) as unknown as Contract;
      await expect(stranger.updateMarginRatios(f.eth.id, margins(1000, 500), margins(1100, 550), await tag("s")))
        .to.be.revertedWithCustomError(f.steward, "NotKeeper")
        .withArgs(await f.stranger.getAddress());
      await expect(stranger.deleverage(f.eth.id, [{ positionId: 1, expectedSize: 1, sizeDelta: 1 }], await tag("s"))).to.be.revertedWithCustomError(f.steward, "NotKeeper");
      await expect(stranger.freeze())
        .to.be.revertedWithCustomError(f.steward, "NotGuardian")
        .withArgs(await f.stranger.getAddress());
      for (const call of [stranger.unfreeze(), stranger.setGuardian(await f.stranger.getAddress()), stranger.setKeeper(await f.stranger.getAddress(), true)]) {
        await expect(call).to.be.revertedWithCustomError(f.steward, "OwnableUnauthorizedAccount");
      }
    });

    it("a frozen steward lets the keeper do nothing (StewardFrozen), until governance unfreezes it", async () => {
      const f = await loadFixture(referenceFixture);
      await (await f.steward.freeze()).wait();
      await expect(raiseMargins(f, [1000, 500], [1100, 550], "k")).to.be.revertedWithCustomError(f.steward, "StewardFrozen");
      // A keeper allowlisted while frozen is frozen too.
      await (await f.steward.setKeeper(await f.stranger.getAddress(), true)).wait();
      await expect((f.steward.connect(f.stranger) as unknown as Contract).updateMarginRatios(f.eth.id, margins(1000, 500), margins(1100, 550), await tag("k2"))).to.be.revertedWithCustomError(
        f.steward,
        "StewardFrozen",
      );
      await expect((f.steward.connect(f.keeper) as unknown as Contract).unfreeze()).to.be.revertedWithCustomError(f.steward, "OwnableUnauthorizedAccount");
      await (await f.steward.unfreeze()).wait();
      await expect(raiseMargins(f, [1000, 500], [1100, 550], "k")).to.emit(f.steward, "ActionExecuted");
    });

    it("has an immutable primary keeper (PrimaryKeeperImmutable) beside an allowlist governance edits (NotKeeper once removed)", async () => {
      const f = await loadFixture(referenceFixture);
      const [keeper, other] = await Promise.all([f.keeper.getAddress(), f.stranger.getAddress()]);
      expect(await f.steward.primaryKeeper()).to.equal(keeper);
      expect(await f.steward.isKeeper(keeper)).to.equal(true);
      await expect(f.steward.setKeeper(keeper, false)).to.be.revertedWithCustomError(f.steward, "PrimaryKeeperImmutable").withArgs(keeper);
      await (await f.steward.setKeeper(other, true)).wait();
      const allowlisted = f.steward.connect(f.stranger) as unknown as Contract;
      await expect(allowlisted.updateMarginRatios(f.eth.id, margins(1000, 500), margins(1100, 550), await tag("o1"))).to.emit(f.steward, "ActionExecuted");
      await (await f.steward.setKeeper(other, false)).wait();
      expect(await f.steward.isKeeper(other)).to.equal(false);
      await time.increase(60);
      await expect(allowlisted.updateMarginRatios(f.eth.id, margins(1100, 550), margins(1200, 600), await tag("o2")))
        .to.be.revertedWithCustomError(f.steward, "NotKeeper")
        .withArgs(other);
    });

    it("freezes every keeper action, deleveraging and a market configured during the freeze included (StewardFrozen)", async () => {
      const f = await loadFixture(referenceFixture);
      const p = await openPosition(f, f.traders[0], f.eth, true, "1000", "400000");
      await setPrice(f.eth, 3500);
      const doge = ethers.encodeBytes32String("DOGE-USD");
      await (await f.perps.addMarket(doge, await f.eth.feed.getAddress(), 3600, 1000, 500, 100, usd(1_000_000), usd(1_000_000))).wait();
      await (await f.steward.freeze()).wait();
      await configureStewardBounds(f.steward, doge, { imrBps: 1000, mmrBps: 500, capUsd: 1_000_000 });
      const steward = keeperSteward(f);
      const reduce = [{ positionId: p, expectedSize: base(1000), sizeDelta: base(100) }];
      await expect(steward.deleverage(f.eth.id, reduce, await tag("d"))).to.be.revertedWithCustomError(f.steward, "StewardFrozen");
      await expect(steward.updateOpenInterestCaps(f.eth.id, caps(60_000_000, 60_000_000), caps(50_000_000, 60_000_000), await tag("c"))).to.be.revertedWithCustomError(f.steward, "StewardFrozen");
      await expect(steward.updateOpenInterestCaps(f.eth.id, caps(60_000_000, 60_000_000), caps(60_000_000, 50_000_000), await tag("c2"))).to.be.revertedWithCustomError(f.steward, "StewardFrozen");
      await expect(steward.updateMarginRatios(doge, margins(1000, 500), margins(1100, 550), await tag("m"))).to.be.revertedWithCustomError(f.steward, "StewardFrozen");
      await (await f.steward.unfreeze()).wait();
      await expect(steward.deleverage(f.eth.id, reduce, await tag("d"))).to.emit(f.steward, "ActionExecuted");
      await expect(steward.updateMarginRatios(doge, margins(1000, 500), margins(1100, 550), await tag("m"))).to.emit(f.steward, "ActionExecuted");
    });

    it("a guardian can freeze, never unfreeze, and never change bounds or limits", async () => {
      const f = await loadFixture(referenceFixture);
      await (await f.steward.setGuardian(await f.stranger.getAddress())).wait();
      const guardian = f.steward.connect(f.stranger) as unknown as Contract;
      await expect(guardian.freeze())
        .to.emit(f.steward, "Frozen")
        .withArgs(await f.stranger.getAddress());
      expect(await f.steward.frozen()).to.equal(true);
      await expect(guardian.unfreeze()).to.be.revertedWithCustomError(f.steward, "OwnableUnauthorizedAccount");
      const loose = { min: 1, max: 9999, maxTighten: 10_000, maxLoosen: 10_000, tightenDelay: 0, loosenDelay: 0, tightenIsIncrease: true, relative: true };
      await expect(guardian.setBounds(f.eth.id, paramId("IMR"), loose)).to.be.revertedWithCustomError(f.steward, "OwnableUnauthorizedAccount");
      await expect(guardian.setDeleverageLimits(f.eth.id, { maxPerCallUsd: 1, budgetUsd: 1, window: 1 })).to.be.revertedWithCustomError(f.steward, "OwnableUnauthorizedAccount");
    });

    it("refuses nonsense bounds and limits (InvalidBounds, InvalidDeleverageLimits)", async () => {
      const f = await loadFixture(referenceFixture);
      const b = { min: 1, max: 10, maxTighten: 100, maxLoosen: 100, tightenDelay: 0, loosenDelay: 0, tightenIsIncrease: true, relative: true };
      for (const bad of [
        { ...b, min: 11 },
        { ...b, min: 0 },
        { ...b, maxTighten: 0 },
        { ...b, maxTighten: 10_001 },
        { ...b, tightenDelay: 2 ** 24 },
      ]) {
        await expect(f.steward.setBounds(f.eth.id, paramId("IMR"), bad)).to.be.revertedWithCustomError(f.steward, "InvalidBounds");
      }
      await expect(f.steward.setDeleverageLimits(f.eth.id, { maxPerCallUsd: 1, budgetUsd: 1, window: 0 })).to.be.revertedWithCustomError(f.steward, "InvalidDeleverageLimits");
      await expect(f.steward.setDeleverageLimits(f.eth.id, { maxPerCallUsd: 2n ** 56n, budgetUsd: 1, window: 1 })).to.be.revertedWithCustomError(f.steward, "InvalidDeleverageLimits");
    });

    it("packs a range too wide for its field in a coarser unit, always narrower than asked", async () => {
      const f = await loadFixture(referenceFixture);
      const asked = {
        min: usd(600_000) + 1n,
        max: usd(120_000_000) + 1n,
        maxTighten: usd(1_000_000) + 7n,
        maxLoosen: usd(10),
        tightenDelay: 60,
        loosenDelay: 600,
        tightenIsIncrease: false,
        relative: false,
      };
      await (await f.steward.setBounds(f.eth.id, paramId("LONG_CAP"), asked)).wait();
      const [stored, , configured] = await f.steward.getBounds(f.eth.id, paramId("LONG_CAP"));
      expect(configured).to.equal(true);
      expect(stored.min >= asked.min && stored.max <= asked.max && stored.maxTighten <= asked.maxTighten && stored.maxLoosen <= asked.maxLoosen).to.equal(true);
      expect(Number(asked.max - stored.max) / Number(asked.max)).to.be.lessThan(1e-9);
      expect(stored.relative).to.equal(false);
    });

    it("installs the aave-production profile as absolute 50 bps margin steps every 3 days and relative cap steps", async () => {
      const f = await loadFixture(referenceFixture);
      await configureStewardBounds(f.steward, f.eth.id, { imrBps: 1000, mmrBps: 500, capUsd: 60_000_000 }, "aave-production");
      const [imr] = await f.steward.getBounds(f.eth.id, paramId("IMR"));
      expect([imr.relative, imr.maxTighten, imr.maxLoosen, imr.tightenDelay, imr.loosenDelay]).to.deep.equal([false, 50n, 50n, 259_200n, 259_200n]);
      const [cap] = await f.steward.getBounds(f.eth.id, paramId("LONG_CAP"));
      expect([cap.relative, cap.maxTighten]).to.deep.equal([true, 10_000n]);
      await expect(raiseMargins(f, [1000, 500], [1051, 500], "abs")).to.be.revertedWithCustomError(f.steward, "StepTooLarge");
      await (await raiseMargins(f, [1000, 500], [1050, 550], "abs")).wait();
      await time.increase(2 * 86_400);
      await expect(raiseMargins(f, [1050, 550], [1100, 600], "soon")).to.be.revertedWithCustomError(f.steward, "UpdateTooSoon");
      await time.increase(86_400);
      await expect(raiseMargins(f, [1050, 550], [1100, 600], "soon")).to.emit(f.steward, "ActionExecuted");
    });

    it("cannot be bypassed by a protocol that re-enters it (ReentrancyGuardReentrantCall)", async () => {
      const f = await loadFixture(referenceFixture);
      const target = await (await ethers.getContractFactory("ReentrantRiskTarget")).deploy();
      const steward = await (await ethers.getContractFactory("RiskSteward")).deploy(await target.getAddress(), await f.governance.getAddress(), await f.keeper.getAddress());
      const market = ethers.encodeBytes32String("M");
      const b = { min: 100, max: 9000, maxTighten: 1000, maxLoosen: 1000, tightenDelay: 3600, loosenDelay: 3600, tightenIsIncrease: true, relative: true };
      await (await steward.setBounds(market, paramId("IMR"), b)).wait();
      await (await steward.setBounds(market, paramId("MMR"), b)).wait();
      // Even allowlisted, the re-entering protocol is stopped by the steward's guard.
      await (await steward.setKeeper(await target.getAddress(), true)).wait();
      await (await target.arm(await steward.getAddress(), 9000, 8000)).wait();
      await expect((steward.connect(f.keeper) as unknown as Contract).updateMarginRatios(market, margins(1000, 500), margins(1100, 550), await tag("r"))).to.be.revertedWithCustomError(
        steward,
        "ReentrancyGuardReentrantCall",
      );
      expect(await target.imr()).to.equal(1000n);
    });
  });
});
