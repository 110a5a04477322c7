import type { AssetState, LiquidityModel, MarketState, Position, Snapshot } from "../../../src/risk";
import { mulberry32 } from "../../../src/util/prng";

export type PoolKind = "depthTable" | "constantProduct" | "none";

/**
 * A seeded random book over ETH and BTC, with pools of the given kind: depth tables are uneven bands
 * ±60 % around the price (so a deep cascade can walk off their edge), constant-product pools are
 * shallow against the book. Leverage runs up to the IMR's maximum, long/short mixed, entries ±10 %
 * off the mark. Market ids carry the protocol id, so two such books compile together.
 */
export function randomSnapshot(seed: number, positions: number, opts: { pools: PoolKind; protocol?: string; mmr?: number; fee?: number; insuranceFund?: number }): Snapshot {
  const rand = mulberry32(seed);
  const protocol = opts.protocol ?? `random-${seed}`;
  const pool = (price: number, depthBase: number): LiquidityModel => {
    if (opts.pools === "none") return { kind: "none" };
    if (opts.pools === "constantProduct") return { kind: "constantProduct", baseReserve: depthBase, quoteReserve: depthBase * price };
    const levels = [];
    for (let i = 0; i <= 24; i++) levels.push({ price: price * (0.4 + i * 0.05), baseLiquidity: i === 24 ? 0 : (depthBase / 12) * (0.2 + rand() * 1.6) });
    return { kind: "depthTable", levels };
  };
  const assets: AssetState[] = [
    { id: "USDC", price: 1, amount: 0, haircut: 0.01, liquidity: { kind: "none" } },
    { id: "ETH", price: 3000, amount: 0, haircut: 0.1, liquidity: pool(3000, 2000) },
    { id: "BTC", price: 60_000, amount: 0, haircut: 0.1, liquidity: pool(60_000, 120) },
  ];
  const markets: MarketState[] = [
    { id: `${protocol}:ETH`, asset: "ETH", mark: 3000 * 1.001, imr: 0.1, mmr: opts.mmr ?? 0.05, liquidationFee: opts.fee ?? 0.01, oiCapLong: 1e12, oiCapShort: 1e12 },
    { id: `${protocol}:BTC`, asset: "BTC", mark: 60_000, imr: 0.2, mmr: opts.mmr ?? 0.1, liquidationFee: opts.fee ?? 0.02, oiCapLong: 1e12, oiCapShort: 1e12 },
  ];
  const out: Position[] = [];
  let collateral = 0;
  for (let i = 0; i < positions; i++) {
    const m = markets[Math.floor(rand() * markets.length)];
    const leverage = 1.1 + rand() * (1 / m.imr - 1.1);
    const notional = 2_000 + rand() * 60_000;
    const entry = m.mark * (0.9 + rand() * 0.2);
    const c = notional / leverage;
    collateral += c;
    out.push({ account: `0x${i.toString(16)}`, market: m.id, side: rand() < 0.55 ? 1 : -1, size: notional / entry, entryPrice: entry, collateral: c });
  }
  assets[0].amount = collateral;
  return { protocol, block: 1, timestamp: 1_700_000_000, assets, markets, positions: out, insuranceFund: opts.insuranceFund ?? collateral * 0.01 };
}
