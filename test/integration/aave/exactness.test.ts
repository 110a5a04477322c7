import { expect } from "chai";
import { ethers } from "hardhat";
import { loadFixture } from "@nomicfoundation/hardhat-network-helpers";
import { formatUnits, parseUnits, type Contract, type Result } from "ethers";
import { MulticallReader } from "../../../src/protocols/multicall";
import { AaveV3Adapter } from "../../../src/protocols/aave/adapter";
import { accountHealth, firstAaveLiquidation, type Snapshot } from "../../../src/risk";
import { wideBook, type WideBook } from "./wide-book";

const BORROWERS = 210;
const rel = (a: number, b: number) => Math.abs(a - b) / Math.max(Math.abs(b), 1e-30);

async function book(): Promise<WideBook> {
  return wideBook(BORROWERS, 20261128);
}

async function snapshotOf(f: WideBook): Promise<{ risk: Snapshot; block: number }> {
  const adapter = new AaveV3Adapter(ethers.provider, {
    protocolId: "aave-exact",
    chainId: 31337n,
    addressesProvider: await f.addressesProvider.getAddress(),
    dataProvider: await f.dataProvider.getAddress(),
    steward: await f.steward.getAddress(),
    multicall: await f.multicall.getAddress(),
    accounts: f.borrowers.map((b) => b.address),
  });
  const block = await ethers.provider.getBlockNumber();
  return { risk: (await adapter.readSnapshot(block)).risk, block };
}

/** The collateral and debt a liquidator would name: the borrower's largest of each, by value at the snapshot. */
function largestLegs(risk: Snapshot, id: string): { collateral: string; debt: string } {
  const price = new Map(risk.assets.map((a) => [a.id, a.price]));
  const account = risk.accounts!.find((a) => a.id === id)!;
  const byValue = (legs: { asset: string; amount: number }[]) => [...legs].sort((x, y) => y.amount * price.get(y.asset)! - x.amount * price.get(x.asset)!)[0].asset;
  return { collateral: byValue(account.collateral), debt: byValue(account.debts!) };
}

/** The feeds move like a correlated crash: ETH −22 %, wstETH −26 %, BTC −30 %, USDT +2 %. */
async function crash(f: WideBook): Promise<void> {
  const moves: Record<string, number> = { WETH: -0.22, wstETH: -0.26, WBTC: -0.3, USDT: 0.02 };
  for (const r of f.reserves) {
    const m = moves[r.symbol];
    if (m !== undefined) await (await r.feed.updateAnswer(parseUnits((r.price * (1 + m)).toFixed(8), 8))).wait();
  }
}

/** The book and its snapshot, before and after the crash: each read once, shared by the tests that start from it. */
async function readBook(): Promise<{ f: WideBook; risk: Snapshot; block: number }> {
  const f = await loadFixture(book);
  return { f, ...(await snapshotOf(f)) };
}

async function crashedBook(): Promise<{ f: WideBook; risk: Snapshot; block: number }> {
  const f = await loadFixture(book);
  await crash(f);
  return { f, ...(await snapshotOf(f)) };
}

describe("risk engine against real Aave V3 bytecode: 6 reserves, eMode, 210 borrowers", function () {
  this.timeout(300_000);

  it("builds a book where at least a third of borrowers hold two or more collaterals and two or more debts", async () => {
    const { f, risk } = await loadFixture(readBook);
    const wide = risk.accounts!.filter((a) => a.collateral.length >= 2 && (a.debts?.length ?? 0) >= 2);
    expect(risk.accounts).to.have.length(BORROWERS);
    expect(wide.length).to.be.at.least(BORROWERS / 3);
    expect(risk.accounts!.filter((a) => a.eModeCategory === 1).length).to.be.greaterThan(10);
    expect(new Set(f.reserves.map((r) => r.decimals))).to.deep.equal(new Set([6, 8, 18]));
  });

  it("computes every borrower's health factor equal to Pool.getUserAccountData to 1e-9, before and after the feeds move", async () => {
    for (const moved of [false, true]) {
      const { f, risk, block } = moved ? await loadFixture(crashedBook) : await loadFixture(readBook);
      const poolAddress = await f.pool.getAddress();
      const engine = accountHealth(risk);
      const reader = new MulticallReader(ethers.provider, await f.multicall.getAddress());
      const chain = await reader.read(
        engine.map((a) => ({ target: poolAddress, iface: f.pool.interface, method: "getUserAccountData", args: [a.id], decode: (r: Result) => r.healthFactor as bigint })),
        block,
      );
      engine.forEach((a, i) => {
        const hf = Number(formatUnits(chain[i], 18));
        expect(rel(a.health, hf), `${a.id}: engine ${a.health}, Aave ${hf}`).to.be.lessThan(1e-9);
      });
    }
  });

  it("calls liquidatable exactly the borrowers that liquidationCall accepts, and none it refuses", async () => {
    const { f, risk } = await loadFixture(crashedBook);
    const engine = accountHealth(risk);
    const pool = f.pool.connect(f.liquidator) as Contract;
    const accepted = new Set<string>();
    for (let i = 0; i < engine.length; i += 30) {
      await Promise.all(
        engine.slice(i, i + 30).map(async (a) => {
          const legs = largestLegs(risk, a.id);
          try {
            // The adapter names each reserve by its asset's address.
            await pool.liquidationCall.staticCall(legs.collateral, legs.debt, a.id, ethers.MaxUint256, false);
            accepted.add(a.id);
          } catch (e) {
            // Aave's error 45: HEALTH_FACTOR_NOT_BELOW_THRESHOLD; any other refusal would be a test bug.
            expect(/reason string '(\w+)'/.exec((e as Error).message)?.[1], `${a.id}: ${(e as Error).message}`).to.equal("45");
          }
        }),
      );
    }
    const liquidatable = engine.filter((a) => a.liquidatable).map((a) => a.id);
    expect(liquidatable.length).to.be.greaterThan(20);
    expect(liquidatable.length).to.be.lessThan(engine.length - 20);
    expect([...accepted].sort()).to.deep.equal([...liquidatable].sort());
  });

  it("predicts the debt covered, the collateral seized and the protocol fee of a liquidation to 1e-6", async () => {
    const { f, risk } = await loadFixture(crashedBook);
    const liquidatable = accountHealth(risk).filter((a) => a.liquidatable);
    const reserve = new Map(await Promise.all(f.reserves.map(async (r) => [(await r.token.getAddress()).toLowerCase(), r] as const)));
    const liquidator = await f.liquidator.getAddress();
    const treasury = await f.governance.getAddress();
    const pool = f.pool.connect(f.liquidator) as Contract;
    const sample = liquidatable.filter((_, i) => i % Math.ceil(liquidatable.length / 10) === 0);
    let withFee = 0;
    for (const a of sample) {
      const plan = firstAaveLiquidation(risk, a.id)!;
      const coll = reserve.get(plan.collateralAsset.toLowerCase())!;
      const debt = reserve.get(plan.debtAsset.toLowerCase())!;
      const aToken = new ethers.Contract(coll.aToken, ["function balanceOf(address) view returns (uint256)"], ethers.provider);
      const id = await ethers.provider.send("evm_snapshot", []);
      const before = await Promise.all([debt.token.balanceOf(liquidator), coll.token.balanceOf(liquidator), aToken.balanceOf(treasury)]);
      await (await pool.liquidationCall(await coll.token.getAddress(), await debt.token.getAddress(), a.id, ethers.MaxUint256, false)).wait();
      const after = await Promise.all([debt.token.balanceOf(liquidator), coll.token.balanceOf(liquidator), aToken.balanceOf(treasury)]);
      await ethers.provider.send("evm_revert", [id]);
      const covered = Number(formatUnits(before[0] - after[0], debt.decimals));
      const seized = Number(formatUnits(after[1] - before[1], coll.decimals));
      const fee = Number(formatUnits(after[2] - before[2], coll.decimals));
      expect(rel(plan.debtCovered, covered), `${a.id} debt covered`).to.be.lessThan(1e-6);
      expect(rel(plan.collateralToLiquidator, seized), `${a.id} collateral to the liquidator`).to.be.lessThan(1e-6);
      if (plan.protocolFeeAmount > 0) {
        withFee++;
        // The fee is a few wei of aToken, minted through the ray-scaled balance: allow the 2 wei that rounding moves.
        expect(Math.abs(plan.protocolFeeAmount - fee), `${a.id} protocol fee`).to.be.at.most(1e-6 * fee + 2 * 10 ** -coll.decimals);
      } else expect(fee).to.equal(0);
    }
    expect(sample.length).to.be.at.least(8);
    expect(withFee).to.be.greaterThan(0);
  });
});
