import type { LiquidityModel, Position, Snapshot } from "../../../src/risk";

/** Small hand-built books for the worked examples. */
export function book(opts: {
  positions: Position[];
  insuranceFund?: number;
  usdc?: number;
  ethLiquidity?: LiquidityModel;
  mmr?: number;
  fee?: number;
  protocol?: string;
  marketId?: string;
}): Snapshot {
  return {
    protocol: opts.protocol ?? "test",
    block: 1,
    timestamp: 1_700_000_000,
    assets: [
      { id: "USDC", price: 1, amount: opts.usdc ?? 100_000, haircut: 0.02, liquidity: { kind: "none" } },
      { id: "ETH", price: 1000, amount: 0, haircut: 0, liquidity: opts.ethLiquidity ?? { kind: "none" } },
    ],
    markets: [
      {
        id: opts.marketId ?? "ETH-PERP",
        asset: "ETH",
        mark: 1000,
        imr: 0.1,
        mmr: opts.mmr ?? 0.05,
        liquidationFee: opts.fee ?? 0.01,
        oiCapLong: 1e9,
        oiCapShort: 1e9,
      },
    ],
    positions: opts.positions,
    insuranceFund: opts.insuranceFund ?? 0,
  };
}

export const long = (size: number, collateral: number, entryPrice = 1000, market = "ETH-PERP"): Position => ({
  account: "0x1",
  market,
  side: 1,
  size,
  entryPrice,
  collateral,
});

export const short = (size: number, collateral: number, entryPrice = 1000, market = "ETH-PERP"): Position => ({
  account: "0x2",
  market,
  side: -1,
  size,
  entryPrice,
  collateral,
});

/** Relative closeness, the precision the worked examples promise. */
export function close(actual: number | null, expected: number, rel = 1e-9): boolean {
  if (actual === null) return false;
  if (expected === 0) return Math.abs(actual) < 1e-9;
  return Math.abs(actual - expected) <= rel * Math.abs(expected);
}
