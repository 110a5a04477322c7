import { ethers } from "hardhat";
import { keccak256, parseUnits, toBeHex, type Contract, type Signer } from "ethers";
import { deployAaveMarket, type AaveMarket, type ReserveSpec } from "../../../src/protocols/aave/deploy";
import { mulberry32 } from "../../../src/util/prng";

/** Six reserves of 6, 8 and 18 decimals; WETH and wstETH form eMode category 1 ("ETH"). */
export const WIDE_RESERVES: ReserveSpec[] = [
  { symbol: "WETH", decimals: 18, price: 3000, ltvBps: 8000, liquidationThresholdBps: 8250, liquidationBonusBps: 10500, supplyCap: 10_000_000, borrowCap: 10_000_000 },
  { symbol: "wstETH", decimals: 18, price: 3500, ltvBps: 7800, liquidationThresholdBps: 8100, liquidationBonusBps: 10600, supplyCap: 10_000_000, borrowCap: 10_000_000 },
  { symbol: "WBTC", decimals: 8, price: 60_000, ltvBps: 7000, liquidationThresholdBps: 7500, liquidationBonusBps: 10650, supplyCap: 10_000_000, borrowCap: 10_000_000 },
  { symbol: "USDC", decimals: 6, price: 1, ltvBps: 7700, liquidationThresholdBps: 8000, liquidationBonusBps: 10450, supplyCap: 10_000_000_000, borrowCap: 10_000_000_000 },
  { symbol: "USDT", decimals: 6, price: 1, ltvBps: 7500, liquidationThresholdBps: 7800, liquidationBonusBps: 10450, supplyCap: 10_000_000_000, borrowCap: 10_000_000_000 },
  { symbol: "DAI", decimals: 18, price: 1, ltvBps: 7500, liquidationThresholdBps: 8000, liquidationBonusBps: 10500, supplyCap: 10_000_000_000, borrowCap: 10_000_000_000 },
];
export const E_MODE = { id: 1, ltvBps: 9000, liquidationThresholdBps: 9300, liquidationBonusBps: 10100, assets: ["WETH", "wstETH"] };
/** Treasury's share of the bonus, bps, where it is not zero. */
export const PROTOCOL_FEES: Record<string, number> = { WETH: 1000, wstETH: 1000, WBTC: 1500 };

export interface Borrower {
  address: string;
  eMode: boolean;
  collateral: { symbol: string; amount: bigint }[];
  debts: { symbol: string; amount: bigint }[];
}

export interface WideBook extends AaveMarket {
  governance: Signer;
  liquidator: Signer;
  borrowers: Borrower[];
}

const GAS = 1_500_000n;
const address = (tag: string, i: number) => `0x${keccak256(toBeHex(BigInt(i) + (tag === "borrower" ? 0n : 1n << 64n), 32)).slice(-40)}`;
const units = (x: number, decimals: number) => parseUnits(x.toFixed(Math.min(decimals, 8)), decimals);

/**
 * A real Aave V3 market with `count` borrowers, about half of them with two or three collaterals and
 * two debts, some in eMode. Every supply is made on each borrower's behalf by one funder; each
 * borrower signs its own borrows. Transactions are sent with automine off and mined in full blocks.
 */
export async function wideBook(count: number, seed: number): Promise<WideBook> {
  const [governance, funder, liquidator] = await ethers.getSigners();
  const market = await deployAaveMarket(governance, { reserves: WIDE_RESERVES });
  const bySymbol = new Map(market.reserves.map((r) => [r.symbol, r]));
  const assetOf = async (symbol: string) => bySymbol.get(symbol)!.token.getAddress();
  await (await market.configurator.setEModeCategory(E_MODE.id, E_MODE.ltvBps, E_MODE.liquidationThresholdBps, E_MODE.liquidationBonusBps, ethers.ZeroAddress, "ETH")).wait();
  for (const s of E_MODE.assets) await (await market.configurator.setAssetEModeCategory(await assetOf(s), E_MODE.id)).wait();
  for (const [s, fee] of Object.entries(PROTOCOL_FEES)) await (await market.configurator.setLiquidationProtocolFee(await assetOf(s), fee)).wait();

  const rand = mulberry32(seed);
  const pick = <T>(xs: T[]) => xs[Math.floor(rand() * xs.length)];
  const borrowers: Borrower[] = [];
  for (let i = 0; i < count; i++) {
    const eMode = rand() < 0.15;
    const wide = rand() < 0.5;
    const collSymbols = eMode
      ? wide
        ? ["wstETH", "WETH", "USDC"]
        : ["wstETH"]
      : wide
        ? [pick(["WETH", "WBTC", "wstETH"]), pick(["USDC", "DAI", "WBTC"])]
        : [pick(["WETH", "WBTC", "wstETH", "USDC"])];
    const collateral = [...new Set(collSymbols)].map((symbol) => {
      const r = bySymbol.get(symbol)!;
      return { symbol, amount: units((1_000 + rand() * 60_000) / r.price, r.decimals) };
    });
    let ltvValue = 0;
    for (const c of collateral) {
      const r = bySymbol.get(c.symbol)!;
      const inCategory = eMode && E_MODE.assets.includes(c.symbol);
      const v = (Number(c.amount) / 10 ** r.decimals) * r.price;
      ltvValue += v * (inCategory ? E_MODE.ltvBps : r.ltvBps);
    }
    // Between 1.5 % under the LTV limit and well above it: some fall under 1 when the feeds move.
    const debtValue = (ltvValue / 10_000) * (0.985 - rand() * 0.45);
    const collateralSet = new Set(collateral.map((c) => c.symbol));
    const debtChoices = eMode ? ["WETH", "wstETH"] : ["USDC", "USDT", "DAI", "WETH"].filter((s) => !collateralSet.has(s));
    const debtSymbols = wide ? debtChoices.slice(0, 2) : [pick(debtChoices)];
    const debts = debtSymbols.map((symbol, j) => {
      const r = bySymbol.get(symbol)!;
      const share = debtSymbols.length === 1 ? 1 : j === 0 ? 0.6 : 0.4;
      return { symbol, amount: units(((debtValue * share) / r.price) * 0.999999, r.decimals) };
    });
    borrowers.push({ address: address("borrower", i), eMode, collateral, debts });
  }

  // The funder mints and supplies everything: deep lender liquidity in every reserve, and each borrower's collateral.
  const poolAddress = await market.pool.getAddress();
  const funderAddress = await funder.getAddress();
  const totals = new Map(WIDE_RESERVES.map((r) => [r.symbol, units(5e8 / r.price, r.decimals)]));
  for (const b of borrowers) for (const c of b.collateral) totals.set(c.symbol, totals.get(c.symbol)! + c.amount);
  await ethers.provider.send("evm_setAutomine", [false]);
  try {
    let nonce = await ethers.provider.getTransactionCount(funderAddress);
    const sent: Promise<unknown>[] = [];
    const send = (signer: Signer, to: string, data: string, n: number) => sent.push(signer.sendTransaction({ to, data, nonce: n, gasLimit: GAS }));
    for (const r of market.reserves) {
      const token = await r.token.getAddress();
      send(funder, token, r.token.interface.encodeFunctionData("mint(address,uint256)", [funderAddress, totals.get(r.symbol)!]), nonce++);
      send(funder, token, r.token.interface.encodeFunctionData("approve", [poolAddress, ethers.MaxUint256]), nonce++);
      send(funder, poolAddress, market.pool.interface.encodeFunctionData("supply", [token, units(5e8 / r.price, r.decimals), funderAddress, 0]), nonce++);
    }
    for (const b of borrowers) {
      for (const c of b.collateral) {
        send(funder, poolAddress, market.pool.interface.encodeFunctionData("supply", [await assetOf(c.symbol), c.amount, b.address, 0]), nonce++);
      }
    }
    await Promise.all(sent);
    await mineAll();
    sent.length = 0;
    for (const b of borrowers) {
      await ethers.provider.send("hardhat_setBalance", [b.address, "0x3635C9ADC5DEA00000"]);
      const signer = await ethers.getImpersonatedSigner(b.address);
      let n = 0;
      if (b.eMode) send(signer, poolAddress, market.pool.interface.encodeFunctionData("setUserEMode", [E_MODE.id]), n++);
      for (const d of b.debts) send(signer, poolAddress, market.pool.interface.encodeFunctionData("borrow", [await assetOf(d.symbol), d.amount, 2, 0, b.address]), n++);
    }
    await Promise.all(sent);
    await mineAll();
  } finally {
    await ethers.provider.send("evm_setAutomine", [true]);
  }
  for (const b of borrowers) {
    const data = await market.pool.getUserAccountData(b.address);
    if (data.totalDebtBase === 0n) throw new Error(`borrower ${b.address} has no debt: a borrow was refused`);
  }

  const liquidatorAddress = await liquidator.getAddress();
  for (const r of market.reserves) {
    await (await (r.token.connect(liquidator) as Contract)["mint(address,uint256)"](liquidatorAddress, units(1e9 / r.price, r.decimals))).wait();
    await (await (r.token.connect(liquidator) as Contract).approve(poolAddress, ethers.MaxUint256)).wait();
  }
  return { ...market, governance, liquidator, borrowers };
}

/** Mines blocks until no transaction is pending, then checks that none reverted. */
async function mineAll(): Promise<void> {
  const from = await ethers.provider.getBlockNumber();
  for (let guard = 0; guard < 1000; guard++) {
    const pending = await ethers.provider.send("eth_getBlockByNumber", ["pending", false]);
    if ((pending.transactions as string[]).length === 0) break;
    await ethers.provider.send("evm_mine", []);
  }
  const to = await ethers.provider.getBlockNumber();
  for (let n = from + 1; n <= to; n++) {
    const block = await ethers.provider.getBlock(n);
    for (const hash of block!.transactions) {
      const receipt = await ethers.provider.getTransactionReceipt(hash);
      if (receipt!.status !== 1) throw new Error(`setup transaction ${hash} reverted`);
    }
  }
}
