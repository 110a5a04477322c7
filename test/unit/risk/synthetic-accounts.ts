import type { Account, LiquidityModel, Snapshot } from "../../../src/risk";
import { mulberry32 } from "../../../src/util/prng";

/**
 * A seeded synthetic book of accounts for the account-cascade checks and the benchmark: about 60 %
 * Aave-style borrowers (one to three collaterals, one or two debts, some in an ETH eMode category)
 * and 40 % cross-margin perp accounts (USDC plus sometimes ETH collateral, one to three positions),
 * an average of three legs each, with constant-product pools under every volatile asset
 * five times as deep as the book's holdings of it.
 */
export function syntheticAccountSnapshot(accounts: number, seed: number, depthScale = 1): Snapshot {
  const rand = mulberry32(seed);
  const assets = [
    { id: "USDC", price: 1, amount: 0, haircut: 0.02, liquidity: { kind: "none" } as LiquidityModel, beta: 0 },
    { id: "DAI", price: 1, amount: 0, haircut: 0.03, liquidity: { kind: "none" } as LiquidityModel, beta: 0 },
    { id: "WETH", price: 3000, amount: 0, haircut: 0.15, liquidity: { kind: "none" } as LiquidityModel },
    { id: "wstETH", price: 3500, amount: 0, haircut: 0.2, liquidity: { kind: "none" } as LiquidityModel },
    { id: "WBTC", price: 60_000, amount: 0, haircut: 0.15, liquidity: { kind: "none" } as LiquidityModel },
    { id: "SOL", price: 150, amount: 0, haircut: 0.3, liquidity: { kind: "none" } as LiquidityModel },
  ];
  const price = new Map(assets.map((a) => [a.id, a.price]));
  const markets = [
    { id: "ETH-PERP", asset: "WETH", mark: 3000, imr: 0.1, mmr: 0.05, liquidationFee: 0.01, oiCapLong: 1e12, oiCapShort: 1e12 },
    { id: "BTC-PERP", asset: "WBTC", mark: 60_000, imr: 0.1, mmr: 0.05, liquidationFee: 0.01, oiCapLong: 1e12, oiCapShort: 1e12 },
    { id: "SOL-PERP", asset: "SOL", mark: 150, imr: 0.2, mmr: 0.1, liquidationFee: 0.02, oiCapLong: 1e12, oiCapShort: 1e12 },
  ];
  const reserves = [
    { asset: "WETH", liquidationThreshold: 0.825, liquidationBonus: 0.05, protocolFee: 0.1, eModeCategory: 1 },
    { asset: "wstETH", liquidationThreshold: 0.8, liquidationBonus: 0.06, protocolFee: 0.1, eModeCategory: 1 },
    { asset: "WBTC", liquidationThreshold: 0.75, liquidationBonus: 0.065, protocolFee: 0.1, eModeCategory: 0 },
    { asset: "USDC", liquidationThreshold: 0.8, liquidationBonus: 0.045, protocolFee: 0.1, eModeCategory: 0 },
    { asset: "DAI", liquidationThreshold: 0.8, liquidationBonus: 0.05, protocolFee: 0.1, eModeCategory: 0 },
    { asset: "SOL", liquidationThreshold: 0.65, liquidationBonus: 0.1, protocolFee: 0.2, eModeCategory: 0 },
  ];
  const lt = new Map(reserves.map((r) => [r.asset, r.liquidationThreshold]));
  const volatile = ["WETH", "wstETH", "WBTC", "SOL"];
  const stable = ["USDC", "DAI"];
  const pick = <T>(xs: T[]) => xs[Math.floor(rand() * xs.length)];
  const out: Account[] = [];
  const supplied = new Map<string, number>();
  const traded = new Map<string, number>();
  for (let i = 0; i < accounts; i++) {
    const usd = 2_000 + rand() * 48_000;
    if (rand() < 0.6) {
      const eMode = rand() < 0.15;
      const collAssets = eMode
        ? ["WETH", "wstETH"].slice(0, 1 + Math.floor(rand() * 2))
        : [...new Set([pick(volatile), ...(rand() < 0.6 ? [pick([...volatile, ...stable])] : []), ...(rand() < 0.2 ? [pick(volatile)] : [])])];
      const collateral = collAssets.map((a) => ({ asset: a, amount: ((usd / collAssets.length) * (0.5 + rand())) / price.get(a)! }));
      const thresholdValue = collateral.reduce((s, c) => s + c.amount * price.get(c.asset)! * (eMode ? 0.93 : lt.get(c.asset)!), 0);
      const hf = 1.05 - Math.log(1 - rand()) * 0.6;
      const debtAssets = eMode
        ? ["WETH"]
        : [...new Set([pick(stable), ...(rand() < 0.35 ? [pick(["USDC", "DAI", "WETH", "WBTC"])] : [])])].filter((a) => !collAssets.includes(a) || stable.includes(a));
      const debtValue = thresholdValue / hf;
      const debts = debtAssets.map((a) => ({ asset: a, amount: debtValue / debtAssets.length / price.get(a)! }));
      for (const c of collateral) supplied.set(c.asset, (supplied.get(c.asset) ?? 0) + c.amount);
      out.push({ id: `lend:${i}`, family: "aaveV3", collateral, debts, eModeCategory: eMode ? 1 : 0 });
    } else {
      const collateral = [{ asset: "USDC", amount: usd }, ...(rand() < 0.3 ? [{ asset: "WETH", amount: (usd * 0.5) / 3000 }] : [])];
      const n = 1 + Math.floor(rand() * (collateral.length === 1 ? 3 : 2));
      const leverage = 1.5 + rand() * 3.5;
      const positions = Array.from({ length: n }, () => {
        const m = pick(markets);
        const entry = m.mark * (0.98 + rand() * 0.04);
        return { market: m.id, side: (rand() < 0.6 ? 1 : -1) as 1 | -1, size: (usd * leverage) / n / entry, entryPrice: entry };
      });
      for (const c of collateral) supplied.set(c.asset, (supplied.get(c.asset) ?? 0) + c.amount);
      for (const q of positions) traded.set(markets.find((m) => m.id === q.market)!.asset, (traded.get(markets.find((m) => m.id === q.market)!.asset) ?? 0) + q.size);
      out.push({ id: `perp:${i}`, family: "crossMarginPerp", collateral, positions });
    }
  }
  for (const a of assets) {
    a.amount = supplied.get(a.id) ?? 0;
    // Pools five times as deep as what the book holds or trades of the asset: a cascade moves the price.
    const base = 5 * depthScale * (a.amount + (traded.get(a.id) ?? 0));
    if (a.beta === undefined && base > 0) a.liquidity = { kind: "constantProduct", baseReserve: base, quoteReserve: base * a.price };
  }
  return {
    protocol: "synthetic-accounts",
    block: 1,
    timestamp: 1_700_000_000,
    assets,
    markets,
    positions: [],
    insuranceFund: 0,
    accounts: out,
    lending: { reserves, eModeCategories: [{ id: 1, liquidationThreshold: 0.93, liquidationBonus: 0.01 }] },
  };
}
