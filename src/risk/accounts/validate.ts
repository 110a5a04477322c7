import { SnapshotValidationError } from "../errors";
import type { Snapshot } from "../snapshot";

const finite = (field: string, v: unknown, min: number, inclusive: boolean): void => {
  const ok = typeof v === "number" && Number.isFinite(v) && (inclusive ? v >= min : v > min);
  if (!ok) throw new SnapshotValidationError(field, `must be a finite number ${inclusive ? "≥" : ">"} ${min}`, v);
};
const fraction = (field: string, v: unknown): void => {
  finite(field, v, 0, true);
  if ((v as number) >= 1) throw new SnapshotValidationError(field, "must be < 1", v);
};

/** Checks a snapshot's accounts and lending parameters against its assets and markets. */
export function validateAccounts(s: Snapshot, assets: Set<string>, markets: Set<string>): void {
  if (s.accounts === undefined) return;
  if (!Array.isArray(s.accounts)) throw new SnapshotValidationError("accounts", "must be an array");
  const reserves = new Set<string>();
  const categories = new Set<number>([0]);
  if (s.lending) {
    s.lending.reserves.forEach((r, i) => {
      const f = `lending.reserves[${i}]`;
      if (!assets.has(r.asset)) throw new SnapshotValidationError(`${f}.asset`, "unknown asset", r.asset);
      if (reserves.has(r.asset)) throw new SnapshotValidationError(`${f}.asset`, "duplicate reserve", r.asset);
      reserves.add(r.asset);
      fraction(`${f}.liquidationThreshold`, r.liquidationThreshold);
      finite(`${f}.liquidationBonus`, r.liquidationBonus, 0, true);
      if (r.liquidationThreshold * (1 + r.liquidationBonus) > 1) {
        throw new SnapshotValidationError(`${f}.liquidationBonus`, "threshold × (1 + bonus) must be ≤ 1, as Aave's configurator requires", r.liquidationBonus);
      }
      fraction(`${f}.protocolFee`, r.protocolFee);
      finite(`${f}.eModeCategory`, r.eModeCategory, 0, true);
    });
    s.lending.eModeCategories.forEach((c, i) => {
      const f = `lending.eModeCategories[${i}]`;
      if (!(Number.isInteger(c.id) && c.id > 0)) throw new SnapshotValidationError(`${f}.id`, "must be an integer > 0", c.id);
      fraction(`${f}.liquidationThreshold`, c.liquidationThreshold);
      finite(`${f}.liquidationBonus`, c.liquidationBonus, 0, true);
      categories.add(c.id);
    });
  }
  const ids = new Set<string>();
  s.accounts.forEach((a, i) => {
    const f = `accounts[${i}]`;
    if (!a.id) throw new SnapshotValidationError(`${f}.id`, "must be a non-empty string", a.id);
    if (ids.has(a.id)) throw new SnapshotValidationError(`${f}.id`, "duplicate account id", a.id);
    ids.add(a.id);
    if (a.family !== "crossMarginPerp" && a.family !== "aaveV3") throw new SnapshotValidationError(`${f}.family`, "must be crossMarginPerp or aaveV3", a.family);
    if (!Array.isArray(a.collateral)) throw new SnapshotValidationError(`${f}.collateral`, "must be an array");
    a.collateral.forEach((c, j) => {
      if (!assets.has(c.asset)) throw new SnapshotValidationError(`${f}.collateral[${j}].asset`, "unknown asset", c.asset);
      finite(`${f}.collateral[${j}].amount`, c.amount, 0, true);
      if (c.haircut !== undefined) fraction(`${f}.collateral[${j}].haircut`, c.haircut);
      if (a.family === "aaveV3" && !reserves.has(c.asset)) throw new SnapshotValidationError(`${f}.collateral[${j}].asset`, "not a lending reserve", c.asset);
    });
    (a.debts ?? []).forEach((d, j) => {
      if (a.family !== "aaveV3") throw new SnapshotValidationError(`${f}.debts`, "only lending (aaveV3) accounts borrow");
      if (!reserves.has(d.asset)) throw new SnapshotValidationError(`${f}.debts[${j}].asset`, "not a lending reserve", d.asset);
      finite(`${f}.debts[${j}].amount`, d.amount, 0, true);
    });
    (a.positions ?? []).forEach((p, j) => {
      if (a.family !== "crossMarginPerp") throw new SnapshotValidationError(`${f}.positions`, "only crossMarginPerp accounts hold perpetual positions");
      if (!markets.has(p.market)) throw new SnapshotValidationError(`${f}.positions[${j}].market`, "unknown market", p.market);
      if (p.side !== 1 && p.side !== -1) throw new SnapshotValidationError(`${f}.positions[${j}].side`, "must be 1 (long) or -1 (short)", p.side);
      finite(`${f}.positions[${j}].size`, p.size, 0, false);
      finite(`${f}.positions[${j}].entryPrice`, p.entryPrice, 0, false);
    });
    if (a.eModeCategory !== undefined && !categories.has(a.eModeCategory)) {
      throw new SnapshotValidationError(`${f}.eModeCategory`, "unknown eMode category", a.eModeCategory);
    }
  });
}
