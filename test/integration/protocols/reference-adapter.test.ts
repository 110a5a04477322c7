import { expect } from "chai";
import { ethers } from "hardhat";
import { loadFixture, mine } from "@nomicfoundation/hardhat-network-helpers";
import { openBook, syntheticIntents } from "../../../src/embedded/book";
import { computeMetrics } from "../../../src/risk";
import { NoContractError, OracleAnswerError } from "../../../src/protocols/errors";
import { ReferencePerpsAdapter } from "../../../src/protocols/reference/adapter";
import { textToMarketId } from "../../../src/protocols/units";
import { actionChanges } from "../../../src/steward/events";
import { referenceFixture, setPrice, type ReferenceFixture } from "../../contracts/fixtures";

async function rejection(p: Promise<unknown>): Promise<unknown> {
  try {
    await p;
  } catch (e) {
    return e;
  }
  throw new Error("expected a rejection");
}

async function bookFixture() {
  const f = await referenceFixture();
  const ids = await openBook(f, f.traders, syntheticIntents(f, 60, 11));
  return { ...f, ids };
}

async function adapterFor(f: ReferenceFixture, positionsPerCall?: number): Promise<ReferencePerpsAdapter> {
  const pools: Record<string, string> = {};
  for (const m of f.markets) pools[m.name] = await m.pool.getAddress();
  return new ReferencePerpsAdapter(ethers.provider, {
    protocolId: "ref-perps",
    chainId: 31337n,
    perps: await f.perps.getAddress(),
    steward: await f.steward.getAddress(),
    multicall: await f.multicall.getAddress(),
    pools,
    positionsPerCall,
  });
}

describe("reference protocol adapter", () => {
  it("reads every position, market, oracle, pool and steward bound, matching the contract's own views", async () => {
    const f = await loadFixture(bookFixture);
    const adapter = await adapterFor(f, 7); // small pages: many getPositions calls
    const block = await ethers.provider.getBlockNumber();
    const snap = await adapter.readSnapshot(block);

    const state = await f.perps.getProtocolState();
    expect(snap.risk.positions).to.have.length(Number(state.positionCount));
    expect(new Set(snap.risk.positions.map((p) => p.id))).to.deep.equal(new Set(f.ids.map(String)));
    const locked = Number(ethers.formatUnits(state.totalTraderCollateral + state.poolBalance + state.insuranceFund, 6));
    expect(snap.risk.assets[0]).to.deep.include({ id: "USD", amount: locked });
    expect(snap.risk.insuranceFund).to.equal(Number(ethers.formatUnits(state.insuranceFund, 6)));

    for (const m of f.markets) {
      const market = snap.risk.markets.find((x) => x.id === m.name)!;
      expect(market.mark).to.equal(m.price);
      expect(market.imr).to.equal(m.imrBps / 10_000);
      const [base, quote] = await m.pool.getReserves();
      const asset = snap.risk.assets.find((a) => a.id === m.baseSymbol.slice(1))!;
      expect(asset.liquidity).to.deep.equal({ kind: "constantProduct", baseReserve: Number(ethers.formatUnits(base, 18)), quoteReserve: Number(ethers.formatUnits(quote, 6)) });
      const onchain = snap.markets.find((x) => x.id === m.name)!;
      expect(onchain.params.IMR).to.equal(BigInt(m.imrBps));
      expect(onchain.oracle.address).to.equal(await m.feed.getAddress());
      expect(snap.steward.bounds[m.name].IMR).to.deep.include({ mode: "relative", maxTighten: 5000n });
      expect(snap.steward.deleverage[m.name]).to.deep.equal({ maxPerCall: 5_000_000n * 10n ** 18n, available: 20_000_000n * 10n ** 18n });
    }
    // Per-position figures agree with the contract, and the open interest with its totals.
    const onchain = await f.perps.getPositions(0, 1000);
    for (const p of onchain) {
      const mine = snap.risk.positions.find((x) => x.id === String(p.id))!;
      expect(mine.size).to.equal(Number(ethers.formatUnits(p.size, 18)));
      expect(mine.collateral).to.equal(Number(ethers.formatUnits(p.collateral, 6)));
      expect(mine.side).to.equal(p.isLong ? 1 : -1);
    }
    const metrics = computeMetrics(snap.risk);
    const markets = await f.perps.getMarkets();
    for (const m of markets) {
      const name = ethers.decodeBytes32String(m.id);
      const price = f.markets.find((x) => x.name === name)!.price;
      const expectedOi = (Number(ethers.formatUnits(m.longSize, 18)) + Number(ethers.formatUnits(m.shortSize, 18))) * price;
      expect(metrics.markets[name].notionalOpenInterest).to.be.closeTo(expectedOi, expectedOi * 1e-9);
    }
  });

  it("pins every read to the requested block", async () => {
    const f = await loadFixture(bookFixture);
    const adapter = await adapterFor(f);
    const pinned = await ethers.provider.getBlockNumber();
    // After the pinned block: a price move, a new position, a margin change.
    await setPrice(f.eth, 2500);
    await (await f.perps.connect(f.traders[0]).openPosition(f.eth.id, true, ethers.parseUnits("1", 18), ethers.parseUnits("1000", 6))).wait();
    await (
      await f.steward
        .connect(f.keeper)
        .updateMarginRatios(f.eth.id, { imrBps: 1000, mmrBps: 500 }, { imrBps: 1200, mmrBps: 600 }, { key: ethers.id("k"), evidenceHash: ethers.ZeroHash, validUntil: 4_000_000_000n })
    ).wait();
    const then = await adapter.readSnapshot(pinned);
    const now = await adapter.readSnapshot(await ethers.provider.getBlockNumber());
    expect(then.risk.markets[0].mark).to.equal(3000);
    expect(now.risk.markets[0].mark).to.equal(2500);
    expect(now.risk.positions.length).to.equal(then.risk.positions.length + 1);
    expect(then.markets[0].params.IMR).to.equal(1000n);
    expect(now.markets[0].params.IMR).to.equal(1200n);
    expect(then.steward.bounds["ETH-USD"].IMR.lastUpdate).to.equal(0n);
    expect(now.steward.bounds["ETH-USD"].IMR.lastUpdate).to.be.greaterThan(0n);
    expect(then.block.number).to.equal(pinned);
  });

  it("builds steward calls that change exactly the intended parameters", async () => {
    const f = await loadFixture(bookFixture);
    const adapter = await adapterFor(f);
    const provenance = { idempotencyKey: ethers.id("margins"), evidenceHash: ethers.id("evidence"), validUntil: 4_000_000_000n };
    const tx = adapter.buildAction({ kind: "setMarginRatios", market: "BTC-USD", imrBps: 1300n, mmrBps: 700n, expected: { imrBps: 1000n, mmrBps: 500n } }, provenance);
    expect(tx.to).to.equal(await f.steward.getAddress());
    const sent = await f.keeper.sendTransaction(tx);
    await expect(sent)
      .to.emit(f.steward, "ActionExecuted")
      .withArgs(provenance.idempotencyKey, f.btc.id, await f.keeper.getAddress(), provenance.evidenceHash);
    expect(actionChanges(sent.data)!.changes).to.deep.equal([
      { what: textToMarketId("IMR"), oldValue: 1000n, newValue: 1300n },
      { what: textToMarketId("MMR"), oldValue: 500n, newValue: 700n },
    ]);
    const block = await ethers.provider.getBlockNumber();
    expect(await adapter.readParams("BTC-USD", block)).to.deep.equal({ IMR: 1300n, MMR: 700n, LONG_CAP: ethers.parseUnits("80000000", 18), SHORT_CAP: ethers.parseUnits("80000000", 18) });
    expect((await adapter.readParams("ETH-USD", block)).IMR).to.equal(1000n);

    const caps = adapter.buildAction(
      {
        kind: "setOpenInterestCaps",
        market: "ETH-USD",
        longCap: ethers.parseUnits("40000000", 18),
        shortCap: ethers.parseUnits("60000000", 18),
        expected: { longCap: ethers.parseUnits("60000000", 18), shortCap: ethers.parseUnits("60000000", 18) },
      },
      { idempotencyKey: ethers.id("caps"), evidenceHash: ethers.ZeroHash, validUntil: 4_000_000_000n },
    );
    await (await f.keeper.sendTransaction(caps)).wait();
    expect(await f.perps.openInterestCaps(f.eth.id)).to.deep.equal([ethers.parseUnits("40000000", 18), ethers.parseUnits("60000000", 18)]);
  });

  it("names a missing contract and refuses a non-positive oracle answer", async () => {
    const f = await loadFixture(bookFixture);
    const good = await adapterFor(f);
    await good.verifyDeployment();
    const bad = new ReferencePerpsAdapter(ethers.provider, {
      protocolId: "ref-perps",
      chainId: 31337n,
      perps: "0x000000000000000000000000000000000000dEaD",
      steward: await f.steward.getAddress(),
      multicall: await f.multicall.getAddress(),
    });
    expect(await rejection(bad.verifyDeployment()))
      .to.be.instanceOf(NoContractError)
      .and.to.have.property("message")
      .that.matches(/no contract at 0x000000000000000000000000000000000000dEaD \(protocol\)/);
    await (await f.markets[1].feed.updateAnswer(0)).wait();
    await mine(1);
    expect(await rejection(good.readSnapshot(await ethers.provider.getBlockNumber())))
      .to.be.instanceOf(OracleAnswerError)
      .and.to.have.property("message")
      .that.matches(/BTC-USD/);
  });
});
