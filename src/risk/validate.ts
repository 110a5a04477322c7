import { validateAccounts } from "./accounts/validate";
import { SnapshotValidationError } from "./errors";
import type { LiquidityModel, Snapshot } from "./snapshot";

const finite = (field: string, v: unknown): number => {
  if (typeof v !== "number" || !Number.isFinite(v)) throw new SnapshotValidationError(field, "must be a finite number", v);
  return v;
};
const positive = (field: string, v: unknown): number => {
  if (finite(field, v) <= 0) throw new SnapshotValidationError(field, "must be > 0", v);
  return v as number;
};
const nonNegative = (field: string, v: unknown): number => {
  if (finite(field, v) < 0) throw new SnapshotValidationError(field, "must be ≥ 0", v);
  return v as number;
};
const fraction = (field: string, v: unknown, max = 1): number => {
  const x = nonNegative(field, v);
  if (x >= max) throw new SnapshotValidationError(field, `must be < ${max}`, v);
  return x;
};

/**
 * Checks every number the engine will use, so that no NaN or nonsense reaches a result.
 * An empty book (no positions) is valid: it has zero open interest and a null svr.
 */
export function validateSnapshot(s: Snapshot): void {
  if (!s || typeof s !== "object") throw new SnapshotValidationError("snapshot", "must be an object");
  nonNegative("insuranceFund", s.insuranceFund);
  if (!Array.isArray(s.assets)) throw new SnapshotValidationError("assets", "must be an array");
  if (!Array.isArray(s.markets)) throw new SnapshotValidationError("markets", "must be an array");
  if (!Array.isArray(s.positions)) throw new SnapshotValidationError("positions", "must be an array");
  const assets = new Set<string>();
  s.assets.forEach((a, i) => {
    const f = `assets[${i}]`;
    if (!a.id) throw new SnapshotValidationError(`${f}.id`, "must be a non-empty string", a.id);
    if (assets.has(a.id)) throw new SnapshotValidationError(`${f}.id`, "duplicate asset id", a.id);
    assets.add(a.id);
    positive(`${f}.price`, a.price);
    nonNegative(`${f}.amount`, a.amount);
    fraction(`${f}.haircut`, a.haircut);
    if (a.beta !== undefined) finite(`${f}.beta`, a.beta);
    validateLiquidity(`${f}.liquidity`, a.liquidity);
  });
  const markets = new Set<string>();
  s.markets.forEach((m, i) => {
    const f = `markets[${i}]`;
    if (!m.id) throw new SnapshotValidationError(`${f}.id`, "must be a non-empty string", m.id);
    if (markets.has(m.id)) throw new SnapshotValidationError(`${f}.id`, "duplicate market id", m.id);
    markets.add(m.id);
    if (!assets.has(m.asset)) throw new SnapshotValidationError(`${f}.asset`, "unknown asset", m.asset);
    positive(`${f}.mark`, m.mark);
    positive(`${f}.imr`, m.imr);
    if (m.imr > 1) throw new SnapshotValidationError(`${f}.imr`, "must be ≤ 1", m.imr);
    // As the contracts refuse them: no maintenance-free market, and opening must need more than keeping.
    positive(`${f}.mmr`, m.mmr);
    if (m.mmr >= m.imr) throw new SnapshotValidationError(`${f}.mmr`, `must be < imr (${m.imr})`, m.mmr);
    fraction(`${f}.liquidationFee`, m.liquidationFee);
    nonNegative(`${f}.oiCapLong`, m.oiCapLong);
    nonNegative(`${f}.oiCapShort`, m.oiCapShort);
  });
  s.positions.forEach((p, i) => {
    const f = `positions[${i}]`;
    if (!markets.has(p.market)) throw new SnapshotValidationError(`${f}.market`, "unknown market", p.market);
    if (p.side !== 1 && p.side !== -1) throw new SnapshotValidationError(`${f}.side`, "must be 1 (long) or -1 (short)", p.side);
    positive(`${f}.size`, p.size);
    positive(`${f}.entryPrice`, p.entryPrice);
    nonNegative(`${f}.collateral`, p.collateral);
  });
  validateAccounts(s, assets, markets);
}

function validateLiquidity(field: string, l: LiquidityModel): void {
  if (!l || typeof l !== "object") throw new SnapshotValidationError(field, "must be a liquidity model");
  switch (l.kind) {
    case "none":
      return;
    case "constantProduct":
      positive(`${field}.baseReserve`, l.baseReserve);
      positive(`${field}.quoteReserve`, l.quoteReserve);
      return;
    case "depthTable":
      if (!Array.isArray(l.levels) || l.levels.length < 2) throw new SnapshotValidationError(`${field}.levels`, "needs at least two levels");
      l.levels.forEach((lv, i) => {
        positive(`${field}.levels[${i}].price`, lv.price);
        nonNegative(`${field}.levels[${i}].baseLiquidity`, lv.baseLiquidity);
        if (i > 0 && lv.price <= l.levels[i - 1].price) {
          throw new SnapshotValidationError(`${field}.levels[${i}].price`, "levels must be sorted by strictly increasing price", lv.price);
        }
      });
      return;
    default:
      throw new SnapshotValidationError(`${field}.kind`, "must be constantProduct, depthTable or none", (l as { kind: unknown }).kind);
  }
}
