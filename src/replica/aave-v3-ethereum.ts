import { readFileSync } from "node:fs";
import { join } from "node:path";
import { z } from "zod";
import type { ReserveSpec } from "../protocols/aave/deploy";
import type { GovernanceProfileName } from "../steward/profiles";

/**
 * The Aave V3 Ethereum Core configuration at block 23,975,177 (data/aave-v3-ethereum-23975177.json,
 * provenance in the .SOURCE.md beside it), and how it maps onto Aave 3.0 (@aave/core-v3), the
 * version the replica deploys. Real parameters; the replica's borrowers are synthetic.
 */
export const REPLICA_FILE = join(__dirname, "..", "..", "data", "aave-v3-ethereum-23975177.json");
export const REPLICA_NAME = "aave-v3-ethereum";
export const REPLICA_BLOCK = 23_975_177;
/** Its stewards are bounded as Aave's governance bounds its production risk stewards. */
export const REPLICA_GOVERNANCE_PROFILE: GovernanceProfileName = "aave-production";

/** The twelve largest reserves, in listing order. */
export const REPLICA_SYMBOLS = ["WETH", "wstETH", "weETH", "WBTC", "cbBTC", "USDC", "USDT", "DAI", "USDe", "sUSDe", "LINK", "AAVE"] as const;

const int = z.number().int().nonnegative();
const raw = z.string().regex(/^\d+$/, "must be a decimal integer string");
const reserveSchema = z.object({
  symbol: z.string(),
  underlying: z.string(),
  id: int,
  decimals: int,
  ltv: int,
  liquidationThreshold: int,
  liquidationBonus: int,
  liquidationProtocolFee: int,
  reserveFactor: int,
  supplyCap: int,
  borrowCap: int,
  debtCeiling: int,
  isActive: z.boolean(),
  isFrozen: z.boolean(),
  isPaused: z.boolean(),
  isSiloed: z.boolean(),
  isBorrowableInIsolation: z.boolean(),
  isFlashloanable: z.boolean(),
  usageAsCollateralEnabled: z.boolean(),
  borrowingEnabled: z.boolean(),
  oracleDecimals: int,
  oracleLatestAnswer: raw,
});
const strategySchema = z.object({ baseVariableBorrowRate: raw, variableRateSlope1: raw, variableRateSlope2: raw, optimalUsageRatio: raw, maxVariableBorrowRate: raw.optional() });
const eModeSchema = z.object({ eModeCategory: int, label: z.string(), ltv: int, liquidationThreshold: int, liquidationBonus: int, collateralBitmap: raw, borrowableBitmap: raw });
const fileSchema = z.object({
  chainId: int,
  reserves: z.record(z.string(), reserveSchema),
  strategies: z.record(z.string(), strategySchema),
  eModes: z.record(z.string(), eModeSchema),
});

export type ReplicaFile = z.infer<typeof fileSchema>;
export type FileReserve = z.infer<typeof reserveSchema>;
export type FileEMode = z.infer<typeof eModeSchema>;

/** Reads and checks the configuration file; every problem names its field. */
export function loadReplicaFile(path = REPLICA_FILE): ReplicaFile {
  const parsed = fileSchema.safeParse(JSON.parse(readFileSync(path, "utf8")));
  if (!parsed.success) throw new Error(`${path}: ${parsed.error.issues.map((i) => `${i.path.join(".")}: ${i.message}`).join("; ")}`);
  for (const s of REPLICA_SYMBOLS) if (!Object.values(parsed.data.reserves).some((r) => r.symbol === s)) throw new Error(`${path}: reserves: no reserve ${s}`);
  return parsed.data;
}

/** One reserve as the replica deploys it: the file's values, in the deployer's shape. */
export interface ReplicaReserve {
  file: FileReserve;
  spec: ReserveSpec;
  /** The 3.0 eMode category the asset is put in (0: none). */
  eModeCategory: number;
}

export interface ReplicaEMode {
  id: number;
  label: string;
  ltv: number;
  liquidationThreshold: number;
  liquidationBonus: number;
  symbols: string[];
}

export interface ReplicaPlan {
  reserves: ReplicaReserve[];
  eModes: ReplicaEMode[];
  /** Every way the deployed replica differs from the file, one line each. */
  differences: string[];
}

const bitsOf = (bitmap: string): number[] => {
  const out: number[] = [];
  let b = BigInt(bitmap);
  for (let i = 0; b > 0n; i++, b >>= 1n) if (b & 1n) out.push(i);
  return out;
};

/**
 * The replica: the twelve reserves exactly as the file says, and the eModes mapped onto 3.0, where an
 * asset belongs to one category and every member of a category is both collateral and borrowable
 * in it (later versions keep separate collateral and borrowable bitmaps, and an asset may be in many).
 *
 * Mapping: each asset goes to the file's category that holds it as collateral together with the most
 * other replica assets (the lowest id on a tie); an asset that is only borrowable joins such a
 * category where it is borrowable, and none otherwise (a category of one borrowable asset would
 * make it collateral against itself). That keeps the two categories
 * carrying the market's loops — "ETH correlated" (wstETH/weETH against WETH) and "sUSDe Stablecoins"
 * (USDe/sUSDe against USDC/USDT) — and lists everything else as a difference.
 */
export function replicaPlan(file: ReplicaFile): ReplicaPlan {
  const bySymbol = new Map(Object.values(file.reserves).map((r) => [r.symbol, r]));
  const symbolOfId = new Map(Object.values(file.reserves).map((r) => [r.id, r.symbol]));
  const members = (e: FileEMode, which: "collateralBitmap" | "borrowableBitmap") => bitsOf(e[which]).map((i) => symbolOfId.get(i) ?? `#${i}`);
  const replica = new Set<string>(REPLICA_SYMBOLS);
  const categories = Object.values(file.eModes).sort((a, b) => a.eModeCategory - b.eModeCategory);
  const reach = (e: FileEMode) => new Set([...members(e, "collateralBitmap"), ...members(e, "borrowableBitmap")].filter((s) => replica.has(s))).size;

  const assigned = new Map<string, FileEMode>();
  for (const role of ["collateralBitmap", "borrowableBitmap"] as const) {
    for (const s of REPLICA_SYMBOLS) {
      if (assigned.has(s)) continue;
      // A category joins the replica through a collateral member; a borrowable-only asset then joins one of those.
      const candidates = role === "collateralBitmap" ? categories : [...new Set(assigned.values())];
      const holding = candidates.filter((e) => members(e, role).includes(s));
      if (holding.length === 0) continue;
      const best = holding.reduce((a, b) => (reach(b) > reach(a) ? b : a));
      assigned.set(s, best);
    }
  }
  const differences: string[] = [
    "Aave 3.0 (@aave/core-v3) is deployed; mainnet runs a later version (the file comes from the v3.6 upgrade's report)",
    "interest rates: the 3.0 DefaultReserveInterestRateStrategy takes the file's base rate, slopes and optimal usage ratio; its stable-rate parameters are set to 0 and stable borrowing is off; maxVariableBorrowRate is not a 3.0 parameter",
    "no virtual accounting (3.1+): aTokenUnderlyingBalance and virtualBalance are not replicated; supply and debt come from the synthetic book",
    "oracles: each source is a mock Chainlink feed answering the file's oracleLatestAnswer (8 decimals); the real sources (CAPO adapters and others) are not deployed",
    `only the ${REPLICA_SYMBOLS.length} largest reserves are listed (the file has ${Object.keys(file.reserves).length}); the replica's reserve ids are therefore not the file's`,
  ];
  const eModes: ReplicaEMode[] = [];
  const deployed = [...new Set(assigned.values())].sort((a, b) => a.eModeCategory - b.eModeCategory);
  for (const e of deployed) {
    const symbols = REPLICA_SYMBOLS.filter((s) => assigned.get(s) === e);
    eModes.push({ id: e.eModeCategory, label: e.label, ltv: e.ltv, liquidationThreshold: e.liquidationThreshold, liquidationBonus: e.liquidationBonus, symbols });
    const coll = members(e, "collateralBitmap");
    const borrow = members(e, "borrowableBitmap");
    for (const s of symbols) {
      if (!coll.includes(s) && bySymbol.get(s)!.liquidationThreshold > 0)
        differences.push(`eMode ${e.eModeCategory} "${e.label}": ${s} is only borrowable on mainnet; in 3.0 it is also collateral at the category's ${e.liquidationThreshold} bps threshold`);
      if (!borrow.includes(s) && bySymbol.get(s)!.borrowingEnabled)
        differences.push(`eMode ${e.eModeCategory} "${e.label}": ${s} is only collateral on mainnet; in 3.0 it is also borrowable in the category`);
    }
    const outside = [...coll, ...borrow].filter((s) => !replica.has(s));
    if (outside.length) differences.push(`eMode ${e.eModeCategory} "${e.label}": members outside the replica not listed (${[...new Set(outside)].join(", ")})`);
  }
  for (const e of categories) {
    if (deployed.includes(e)) continue;
    const inReplica = [...new Set([...members(e, "collateralBitmap"), ...members(e, "borrowableBitmap")].filter((s) => replica.has(s)))];
    if (inReplica.length)
      differences.push(`eMode ${e.eModeCategory} "${e.label}" not deployed (3.0: one category per asset; ${inReplica.join(", ")} ${inReplica.length > 1 ? "are" : "is"} in another)`);
  }
  const reserves: ReplicaReserve[] = REPLICA_SYMBOLS.map((s) => {
    const r = bySymbol.get(s)!;
    const st = file.strategies[r.underlying];
    if (!st) throw new Error(`strategies: no interest-rate strategy for ${s} (${r.underlying})`);
    if (r.oracleDecimals !== 8) throw new Error(`reserves.${s}.oracleDecimals: ${r.oracleDecimals}; the replica's oracle answers in 8 decimals`);
    return {
      file: r,
      eModeCategory: assigned.get(s)?.eModeCategory ?? 0,
      spec: {
        symbol: s,
        decimals: r.decimals,
        price: Number(r.oracleLatestAnswer) / 1e8,
        priceAnswer: BigInt(r.oracleLatestAnswer),
        ltvBps: r.ltv,
        liquidationThresholdBps: r.liquidationThreshold,
        liquidationBonusBps: r.liquidationBonus,
        supplyCap: r.supplyCap,
        borrowCap: r.borrowCap,
        strategy: {
          optimalUsageRatio: BigInt(st.optimalUsageRatio),
          baseVariableBorrowRate: BigInt(st.baseVariableBorrowRate),
          variableRateSlope1: BigInt(st.variableRateSlope1),
          variableRateSlope2: BigInt(st.variableRateSlope2),
        },
      },
    };
  });
  return { reserves, eModes, differences };
}
