import { expect } from "chai";
import { ethers } from "hardhat";
import { loadFixture, time } from "@nomicfoundation/hardhat-network-helpers";
import { base, openPosition, price8, referenceFixture, setPrice, usd, usdc } from "./fixtures";

describe("ReferencePerps", () => {
  describe("opening and closing", () => {
    it("opens a 5x long at the oracle price, books open interest and closes it with its profit", async () => {
      const f = await loadFixture(referenceFixture);
      const [alice] = f.traders;
      // 10 ETH at $3000 = $30,000 notional; $6,000 collateral is 5x (IMR 10% needs $3,000).
      const id = await openPosition(f, alice, f.eth, true, "10", "6000");
      const markets = await f.perps.getMarkets();
      expect(markets[0].longSize).to.equal(base(10));
      const [position] = await f.perps.getPositions(0, 10);
      expect(position.entryPrice).to.equal(usd(3000));
      expect(position.collateral).to.equal(usdc(6000));

      await setPrice(f.eth, 3300); // +$3,000 profit
      const poolBefore = await f.perps.poolBalance();
      await expect(f.perps.connect(alice).closePosition(id))
        .to.emit(f.perps, "PositionClosed")
        .withArgs(id, await alice.getAddress(), usd(3300), usd(3000), usdc(9000));
      expect(await f.perps.poolBalance()).to.equal(poolBefore - usdc(3000));
      expect(await f.perps.freeBalance(await alice.getAddress())).to.equal(usdc(1_000_000 + 3000));
      expect((await f.perps.getProtocolState()).positionCount).to.equal(0n);
    });

    it("refuses a position below initial margin, naming what was required", async () => {
      const f = await loadFixture(referenceFixture);
      await expect(openPosition(f, f.traders[0], f.eth, true, "10", "2999"))
        .to.be.revertedWithCustomError(f.perps, "InsufficientInitialMargin")
        .withArgs(usd(2999), usd(3000));
    });

    it("refuses a position that would take a side over its open-interest cap", async () => {
      const f = await loadFixture(referenceFixture);
      // ETH cap is $60M a side: 20,001 ETH at $3,000 is $60.003M.
      await (await f.usdc.mint(await f.traders[1].getAddress(), usdc(7_000_000))).wait();
      await (await f.perps.connect(f.traders[1]).deposit(usdc(7_000_000))).wait();
      await expect(openPosition(f, f.traders[1], f.eth, false, "20001", "6500000"))
        .to.be.revertedWithCustomError(f.perps, "OpenInterestCapExceeded")
        .withArgs(f.eth.id, false, usd(60_003_000), usd(60_000_000));
    });

    it("refuses a collateral withdrawal that would leave the position under initial margin", async () => {
      const f = await loadFixture(referenceFixture);
      const id = await openPosition(f, f.traders[0], f.eth, true, "10", "4000");
      const perps = f.perps.connect(f.traders[0]);
      await expect(perps.removeCollateral(id, usdc(1001))).to.be.revertedWithCustomError(f.perps, "InsufficientInitialMargin");
      await expect(perps.removeCollateral(id, usdc(1000))).to.emit(f.perps, "CollateralChanged");
      await expect(perps.withdraw(usdc(2_000_000))).to.be.revertedWithCustomError(f.perps, "InsufficientBalance");
    });

    it("only lets the owner close or change a position", async () => {
      const f = await loadFixture(referenceFixture);
      const id = await openPosition(f, f.traders[0], f.eth, true, "1", "600");
      await expect(f.perps.connect(f.traders[1]).closePosition(id))
        .to.be.revertedWithCustomError(f.perps, "NotPositionOwner")
        .withArgs(id, await f.traders[1].getAddress());
    });
  });

  describe("oracle safety", () => {
    it("rejects a stale price", async () => {
      const f = await loadFixture(referenceFixture);
      const old = (await time.latest()) - 3601;
      await (await f.eth.feed.setRoundData(price8(3000), old)).wait();
      await expect(openPosition(f, f.traders[0], f.eth, true, "1", "600")).to.be.revertedWithCustomError(f.perps, "StalePrice");
    });

    it("rejects a zero or negative price", async () => {
      const f = await loadFixture(referenceFixture);
      await setPrice(f.eth, 0);
      await expect(openPosition(f, f.traders[0], f.eth, true, "1", "600"))
        .to.be.revertedWithCustomError(f.perps, "InvalidPrice")
        .withArgs(await f.eth.feed.getAddress(), 0);
      await (await f.eth.feed.updateAnswer(-1)).wait();
      await expect(f.perps.markPrice(f.eth.id)).to.be.revertedWithCustomError(f.perps, "InvalidPrice");
    });
  });

  describe("liquidation", () => {
    it("refuses to liquidate a healthy position", async () => {
      const f = await loadFixture(referenceFixture);
      const id = await openPosition(f, f.traders[0], f.eth, true, "10", "3000");
      await expect(f.perps.connect(f.stranger).liquidate(id)).to.be.revertedWithCustomError(f.perps, "PositionHealthy");
    });

    it("pays the liquidator its fee and returns what equity is left to the trader", async () => {
      const f = await loadFixture(referenceFixture);
      const [alice] = f.traders;
      const id = await openPosition(f, alice, f.eth, true, "10", "3000");
      // At $2,760: PnL −$2,400, equity $600 < MMR 5% × $27,600 = $1,380. Fee 1% × $27,600 = $276.
      await setPrice(f.eth, 2760);
      const liquidator = f.stranger;
      const aliceFree = await f.perps.freeBalance(await alice.getAddress());
      const pool = await f.perps.poolBalance();
      await expect(f.perps.connect(liquidator).liquidate(id))
        .to.emit(f.perps, "PositionLiquidated")
        .withArgs(id, await alice.getAddress(), await liquidator.getAddress(), usd(2760), usd(600), usdc(276), 0, 0);
      expect(await f.usdc.balanceOf(await liquidator.getAddress())).to.equal(usdc(276));
      expect(await f.perps.freeBalance(await alice.getAddress())).to.equal(aliceFree + usdc(324));
      expect(await f.perps.poolBalance()).to.equal(pool + usdc(2400));
    });

    it("liquidates a position in profit that a maintenance raise put under water, the pool paying its profit", async () => {
      const f = await loadFixture(referenceFixture);
      const [alice] = f.traders;
      const id = await openPosition(f, alice, f.eth, true, "10", "3000"); // $30,000 at 10x: $3,000 collateral
      await setPrice(f.eth, 3030); // PnL +$300, equity $3,300
      await (await f.perps.setRiskAdmin(await f.governance.getAddress())).wait();
      await (await f.perps.setMarginRatios(f.eth.id, 2000, 1500)).wait(); // maintenance 15% × $30,300 = $4,545 > equity
      const pool = await f.perps.poolBalance();
      const aliceFree = await f.perps.freeBalance(await alice.getAddress());
      // Fee 1% × $30,300 = $303 to the liquidator; the trader keeps $3,300 − $303; the pool pays the $300 profit.
      await expect(f.perps.connect(f.stranger).liquidate(id))
        .to.emit(f.perps, "PositionLiquidated")
        .withArgs(id, await alice.getAddress(), await f.stranger.getAddress(), usd(3030), usd(3300), usdc(303), 0, 0);
      expect(await f.perps.poolBalance()).to.equal(pool - usdc(300));
      expect(await f.perps.freeBalance(await alice.getAddress())).to.equal(aliceFree + usdc(2997));
    });

    it("draws a loss beyond the collateral from the insurance fund, then records bad debt", async () => {
      const f = await loadFixture(referenceFixture);
      const id = await openPosition(f, f.traders[0], f.btc, true, "100", "600000"); // $6M at 10x
      // BTC −15%: PnL −$900,000, equity −$300,000.
      await setPrice(f.btc, 51_000);
      const insurance = await f.perps.insuranceFund(); // $2M
      await expect(f.perps.connect(f.stranger).liquidate(id))
        .to.emit(f.perps, "PositionLiquidated")
        .withArgs(id, await f.traders[0].getAddress(), await f.stranger.getAddress(), usd(51_000), usd(-300_000), 0, usdc(300_000), 0);
      expect(await f.perps.insuranceFund()).to.equal(insurance - usdc(300_000));

      // Drain the fund with a bigger hole: a −$2.1M position loss against $1.7M left.
      const id2 = await openPosition(f, f.traders[1], f.btc, false, "100", "510000");
      await setPrice(f.btc, 77_100); // short loses $2.61M, equity −$2.1M
      await expect(f.perps.connect(f.stranger).liquidate(id2))
        .to.emit(f.perps, "PositionLiquidated")
        .withArgs(id2, await f.traders[1].getAddress(), await f.stranger.getAddress(), usd(77_100), usd(-2_100_000), 0, usdc(1_700_000), usdc(400_000));
      expect(await f.perps.badDebt()).to.equal(usdc(400_000));
      expect(await f.perps.insuranceFund()).to.equal(0n);
    });
  });

  describe("automated deleveraging", () => {
    it("reduces a profitable position at the mark when the risk admin asks, realising its PnL pro rata", async () => {
      const f = await loadFixture(referenceFixture);
      const [alice] = f.traders;
      const id = await openPosition(f, alice, f.eth, true, "10", "3000");
      await setPrice(f.eth, 3600); // PnL +$6,000
      await (await f.perps.connect(f.governance).getFunction("setRiskAdmin")(await f.governance.getAddress())).wait();
      const free = await f.perps.freeBalance(await alice.getAddress());
      await expect(f.perps.connect(f.governance).deleverage(id, base(4)))
        .to.emit(f.perps, "PositionDeleveraged")
        .withArgs(id, await alice.getAddress(), f.eth.id, base(4), usd(3600), usd(2400));
      const p = await f.perps.positionOf(id);
      expect(p.size).to.equal(base(6));
      expect(p.collateral).to.equal(usdc(1800));
      expect(await f.perps.freeBalance(await alice.getAddress())).to.equal(free + usdc(1200 + 2400));
      expect((await f.perps.getMarkets())[0].longSize).to.equal(base(6));
    });

    it("refuses deleveraging from anyone but the risk admin, and of an unprofitable position", async () => {
      const f = await loadFixture(referenceFixture);
      const id = await openPosition(f, f.traders[0], f.eth, true, "10", "3000");
      await expect(f.perps.connect(f.stranger).deleverage(id, base(1)))
        .to.be.revertedWithCustomError(f.perps, "NotRiskAdmin")
        .withArgs(await f.stranger.getAddress());
      await (await f.perps.setRiskAdmin(await f.governance.getAddress())).wait();
      await setPrice(f.eth, 2900);
      await expect(f.perps.deleverage(id, base(1))).to.be.revertedWithCustomError(f.perps, "PositionNotProfitable");
      await setPrice(f.eth, 3100);
      await expect(f.perps.deleverage(id, base(11))).to.be.revertedWithCustomError(f.perps, "DeleverageTooLarge");
    });
  });

  describe("views and governance", () => {
    it("pages positions densely after closes (swap and pop)", async () => {
      const f = await loadFixture(referenceFixture);
      const ids: bigint[] = [];
      for (let i = 0; i < 5; i++) ids.push(await openPosition(f, f.traders[i % 3], f.eth, i % 2 === 0, "1", "600"));
      await (await f.perps.connect(f.traders[0]).closePosition(ids[0])).wait();
      const page1 = await f.perps.getPositions(0, 2);
      const page2 = await f.perps.getPositions(2, 10);
      const seen = [...page1, ...page2].map((p: { id: bigint }) => p.id).sort();
      expect(seen).to.deep.equal(ids.slice(1).sort());
      expect(await f.perps.getPositions(10, 5)).to.have.length(0);
    });

    it("lets only governance add markets or change the risk admin, and only the risk admin set margins", async () => {
      const f = await loadFixture(referenceFixture);
      const perps = f.perps.connect(f.stranger);
      await expect(perps.setRiskAdmin(await f.stranger.getAddress())).to.be.revertedWithCustomError(f.perps, "OwnableUnauthorizedAccount");
      await expect(perps.setMarginRatios(f.eth.id, 2000, 1000)).to.be.revertedWithCustomError(f.perps, "NotRiskAdmin");
      await expect(perps.addMarket(ethers.encodeBytes32String("X"), await f.eth.feed.getAddress(), 60, 1000, 500, 100, 1, 1)).to.be.revertedWithCustomError(f.perps, "OwnableUnauthorizedAccount");
    });
  });
});
