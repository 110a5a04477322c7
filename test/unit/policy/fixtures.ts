import type { ParamBounds, ProtocolSnapshot } from "../../../src/domain/protocol-state";
import type { Position, Snapshot } from "../../../src/risk";
import { DEFAULT_POLICY, type PolicyConfig } from "../../../src/policy";

export const WAD = 10n ** 18n;

export function bounds(over: Partial<ParamBounds> = {}): ParamBounds {
  return { min: 1n, max: 10n ** 40n, mode: "relative", maxTighten: 5000n, maxLoosen: 1000n, tightenDelay: 60n, loosenDelay: 21_600n, lastUpdate: 0n, ...over };
}

/** A one-market perps book on ETH at $1,000 with a constant-product pool of `poolEth` ETH. */
export function perpsBook(positions: Position[], opts: { poolEth?: number; mmr?: number; usd?: number; insurance?: number; timestamp?: number } = {}): Snapshot {
  const poolEth = opts.poolEth ?? 10_000;
  return {
    protocol: "ref",
    block: 100,
    timestamp: opts.timestamp ?? 1_800_000_000,
    assets: [
      { id: "USD", price: 1, amount: opts.usd ?? 5_000_000, haircut: 0, liquidity: { kind: "none" } },
      { id: "ETH", price: 1000, amount: 0, haircut: 0, liquidity: { kind: "constantProduct", baseReserve: poolEth, quoteReserve: poolEth * 1000 } },
    ],
    markets: [{ id: "ETH-USD", asset: "ETH", mark: 1000, imr: 0.1, mmr: opts.mmr ?? 0.05, liquidationFee: 0.01, oiCapLong: 50_000_000, oiCapShort: 50_000_000 }],
    positions,
    insuranceFund: opts.insurance ?? 0,
  };
}

export function onchain(
  risk: Snapshot,
  opts: { imrBps?: bigint; mmrBps?: bigint; longCap?: bigint; shortCap?: bigint; bounds?: Record<string, ParamBounds>; frozen?: boolean; maxDeleverage?: bigint; deleverageAvailable?: bigint } = {},
): ProtocolSnapshot {
  const b = opts.bounds ?? { IMR: bounds({ min: 100n, max: 5000n }), MMR: bounds({ min: 50n, max: 4000n }), LONG_CAP: bounds(), SHORT_CAP: bounds() };
  const sizes: Record<string, bigint> = {};
  for (const p of risk.positions) if (p.id) sizes[p.id] = BigInt(Math.round(p.size * 1e6)) * 10n ** 12n;
  return {
    risk,
    block: { number: risk.block, hash: "0x" + "ab".repeat(32), timestamp: risk.timestamp },
    markets: [
      {
        id: "ETH-USD",
        params: { IMR: opts.imrBps ?? 1000n, MMR: opts.mmrBps ?? 500n, LONG_CAP: opts.longCap ?? 50_000_000n * WAD, SHORT_CAP: opts.shortCap ?? 50_000_000n * WAD },
        oracle: { address: "0x0000000000000000000000000000000000000001", answer: 100_000_000_000n, decimals: 8, updatedAt: BigInt(risk.timestamp), heartbeat: 3600n },
      },
    ],
    steward: {
      address: "0x0000000000000000000000000000000000000002",
      frozen: opts.frozen ?? false,
      bounds: { "ETH-USD": b },
      deleverage: { "ETH-USD": { maxPerCall: opts.maxDeleverage ?? 5_000_000n * WAD, available: opts.deleverageAvailable ?? 20_000_000n * WAD } },
    },
    positionSizes: sizes,
  };
}

let nextId = 1;
export const long = (size: number, collateral: number, entryPrice = 1000): Position => ({ id: String(nextId++), account: "0xa", market: "ETH-USD", side: 1, size, entryPrice, collateral });
export const short = (size: number, collateral: number, entryPrice = 1000): Position => ({ id: String(nextId++), account: "0xb", market: "ETH-USD", side: -1, size, entryPrice, collateral });

/** Policy with one confirmation, so single observations act (the level machine has its own tests). */
export function policy(over: Partial<PolicyConfig["defaults"]> = {}): PolicyConfig {
  return { ...DEFAULT_POLICY, defaults: { ...DEFAULT_POLICY.defaults, confirmations: 1, ...over } };
}

/**
 * A fragile book (MMR 8 %): 40 longs at ~9x whose margin (11.1 % … 12.0 %) a small gap wipes out,
 * beside 2x longs and 2.5x shorts. Its weak longs are worth 400 ETH of sales.
 */
export function fragileBook(poolEth = 1_000_000, n = 40): Snapshot {
  const positions: Position[] = [];
  for (let i = 0; i < n; i++) positions.push(long(10, 1111 * (1 + i * 0.002)));
  for (let i = 0; i < n; i++) positions.push(long(10, 5000));
  for (let i = 0; i < n / 2; i++) positions.push(short(10, 4000));
  return perpsBook(positions, { poolEth, mmr: 0.08 });
}

/** The on-chain side of fragileBook: IMR 10 %, MMR 8 %. */
export const FRAGILE_MARGINS = { imrBps: 1000n, mmrBps: 800n };

/** fragileBook with a pool deep enough to ignore ("none": closes execute at the mark), for figures worked by hand. */
export function fragileBookNoSlippage(): Snapshot {
  const s = fragileBook();
  return { ...s, assets: s.assets.map((a) => (a.id === "ETH" ? { ...a, liquidity: { kind: "none" as const } } : a)) };
}

/** Σ over the 40 weak longs of fragileBook of their collateral: 1111 × Σ (1 + 0.002 i) = 1111 × 41.56. */
export const WEAK_LONG_COLLATERAL = 1111 * 41.56;
