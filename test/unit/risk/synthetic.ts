import type { Position, Snapshot } from "../../../src/risk";
import { mulberry32 } from "../../../src/util/prng";

/**
 * A seeded synthetic book over ETH, BTC and SOL markets with constant-product pools, leverage from
 * 1.2x to the IMR's maximum, and a long/short mix: used by the fast-vs-naive checks and the benchmark.
 */
export function syntheticSnapshot(positions: number, seed: number, depthScale = 1): Snapshot {
  const rand = mulberry32(seed);
  const assets = [
    { id: "USDC", price: 1, amount: 0, haircut: 0.01, liquidity: { kind: "none" as const } },
    { id: "ETH", price: 3000, amount: 0, haircut: 0.1, liquidity: { kind: "constantProduct" as const, baseReserve: 8000 * depthScale, quoteReserve: 24_000_000 * depthScale } },
    { id: "BTC", price: 60_000, amount: 0, haircut: 0.1, liquidity: { kind: "constantProduct" as const, baseReserve: 600 * depthScale, quoteReserve: 36_000_000 * depthScale } },
    { id: "SOL", price: 150, amount: 0, haircut: 0.2, liquidity: { kind: "constantProduct" as const, baseReserve: 40_000 * depthScale, quoteReserve: 6_000_000 * depthScale } },
  ];
  const markets = [
    { id: "ETH-PERP", asset: "ETH", mark: 3000, imr: 0.1, mmr: 0.05, liquidationFee: 0.01, oiCapLong: 1e12, oiCapShort: 1e12 },
    { id: "BTC-PERP", asset: "BTC", mark: 60_030, imr: 0.1, mmr: 0.05, liquidationFee: 0.01, oiCapLong: 1e12, oiCapShort: 1e12 },
    { id: "SOL-PERP", asset: "SOL", mark: 150, imr: 0.2, mmr: 0.1, liquidationFee: 0.02, oiCapLong: 1e12, oiCapShort: 1e12 },
  ];
  const out: Position[] = new Array(positions);
  let collateral = 0;
  const perPosition = 300 / Math.max(1, positions / 100); // keep total notional comparable to pool depth
  for (let i = 0; i < positions; i++) {
    const m = markets[Math.floor(rand() * markets.length)];
    const maxLev = 1 / m.imr;
    const leverage = 1.2 + rand() * (maxLev - 1.2);
    const notional = perPosition * (0.2 + rand() * 1.8) * 1000;
    const entry = m.mark * (0.9 + rand() * 0.2);
    const side = rand() < 0.6 ? 1 : -1;
    const c = notional / leverage;
    collateral += c;
    out[i] = { account: `0x${i.toString(16)}`, market: m.id, side, size: notional / entry, entryPrice: entry, collateral: c };
  }
  assets[0].amount = collateral * 1.2;
  return { protocol: "synthetic", block: 1, timestamp: 1_700_000_000, assets, markets, positions: out, insuranceFund: collateral * 0.02 };
}
