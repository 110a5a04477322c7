import { ethers } from "hardhat";
import type { Signer } from "ethers";
import { deployReferenceSystem, USDC_DECIMALS, type DeployedMarket, type ReferenceSystem } from "../../src/embedded/reference-system";

export const usdc = (v: number | string) => ethers.parseUnits(String(v), USDC_DECIMALS);
export const usd = (v: number | string) => ethers.parseUnits(String(v), 18);
export const base = (v: number | string) => ethers.parseUnits(String(v), 18);
export const price8 = (v: number | string) => ethers.parseUnits(String(v), 8);

export interface ReferenceFixture extends ReferenceSystem {
  keeper: Signer;
  stranger: Signer;
  traders: Signer[];
  eth: DeployedMarket;
  btc: DeployedMarket;
}

/** The reference protocol with its steward installed, a keeper allowlisted, and funded traders. */
export async function referenceFixture(): Promise<ReferenceFixture> {
  const [governance, keeper, stranger, ...traders] = await ethers.getSigners();
  const system = await deployReferenceSystem(governance, { keepers: [await keeper.getAddress()] });
  for (const t of traders.slice(0, 6)) {
    const who = await t.getAddress();
    await (await system.usdc.mint(who, usdc(10_000_000))).wait();
    await (await system.usdc.connect(t).approve(await system.perps.getAddress(), ethers.MaxUint256)).wait();
    await (await system.perps.connect(t).deposit(usdc(1_000_000))).wait();
  }
  const [eth, btc] = system.markets;
  return { ...system, keeper, stranger, traders: traders.slice(0, 6), eth, btc };
}

/** Opens a position and returns its id. */
export async function openPosition(f: ReferenceFixture, trader: Signer, market: DeployedMarket, isLong: boolean, sizeBase: string, collateralUsd: string): Promise<bigint> {
  const perps = f.perps.connect(trader);
  const id = await perps.openPosition.staticCall(market.id, isLong, base(sizeBase), usdc(collateralUsd));
  await (await perps.openPosition(market.id, isLong, base(sizeBase), usdc(collateralUsd))).wait();
  return id as bigint;
}

export async function setPrice(market: DeployedMarket, usdPrice: number | string): Promise<void> {
  await (await market.feed.updateAnswer(price8(usdPrice))).wait();
}
