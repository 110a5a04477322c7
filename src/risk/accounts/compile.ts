import type { CompiledAsset, CompiledMarket } from "../book";
import { distanceToEdge, JUDGE_SLOTS, judgeAccount } from "./judge";
import type { Snapshot } from "../snapshot";
import type { CascadeScratch } from "./cascade";
import type { WatchOrder } from "./watch";

export const FAMILY_MARGIN = 0; // isolated and cross-margin perps: equity vs Σ MMR × notional
export const FAMILY_AAVE = 1;

export const LEG_COLLATERAL = 0;
export const LEG_DEBT = 1;
export const LEG_PERP = 2;

/** Asset index of USD itself (an isolated position's collateral): price 1, never shocked. */
export const USD = -1;

/**
 * Accounts in columns, Aave accounts then margin accounts, grouped by their numbers of collateral
 * legs and exposures, each group ordered by distance to the edge. Account i owns legs legStart[i]
 * … legStart[i+1) − 1; a leg is a collateral balance, a debt or a perpetual position. The cascade
 * works on a copy of `amount` (put back after each scenario) and reads every other column as is.
 */
export interface CompiledAccounts {
  n: number;
  ids: string[];
  family: Int8Array;
  protocol: Int32Array;
  legStart: Int32Array;
  /** Account i's collateral legs come first, its exposures (debts, positions) from exposureStart[i] on. */
  exposureStart: Int32Array;
  legs: number;
  kind: Int8Array;
  /** Asset index (USD = −1); a perpetual leg's is its market's asset. */
  asset: Int32Array;
  /** Market index of a perpetual leg, −1 otherwise. */
  market: Int32Array;
  /** Units: collateral and debt balances, perpetual size. */
  amount: Float64Array;
  side: Int8Array;
  entry: Float64Array;
  /** Collateral: the share that counts (Aave LT, or 1 − haircut); perpetual: MMR; debt: 1. */
  weight: Float64Array;
  /** Aave collateral: LT in whole bps, for Aave's rounding of the average threshold. */
  weightBps: Int32Array;
  /** Aave collateral: liquidation bonus; perpetual: liquidation fee. */
  bonus: Float64Array;
  /** Aave collateral: the treasury's share of the bonus. */
  protocolFee: Float64Array;
  /** Perpetual: mark ÷ asset price. */
  basis: Float64Array;
  /** Each account's distance to the edge at the snapshot's prices (see ./judge.ts); each group of accounts is laid out nearest first. */
  distance: Float64Array;
  /** Per protocol × asset: open exposure at the snapshot (debt units; perpetual size × basis). */
  exposureUnits: Float64Array;
  /** Per protocol: legs of open exposure (debts and positions) at the snapshot. */
  exposureLegs: Int32Array;
  /** Working buffers of the cascade, made by its first scenario and reused by the next (see ./cascade.ts). */
  scratch?: CascadeScratch;
  /** Accounts by fall and rise distance, per set of moving assets (see ./watch.ts). */
  watch?: Map<string, WatchOrder>;
}

interface LegRow {
  kind: number;
  asset: number;
  market: number;
  amount: number;
  side: number;
  entry: number;
  weight: number;
  weightBps: number;
  bonus: number;
  protocolFee: number;
  basis: number;
}

/**
 * Compiles every snapshot's accounts, and each isolated position as an account with one exposure
 * and its USD collateral, so that a mixed book runs through one cascade.
 */
export function compileAccounts(snapshots: Snapshot[], assets: CompiledAsset[], markets: CompiledMarket[], assetIndex: Map<string, number>, marketIndex: Map<string, number>): CompiledAccounts {
  const ids: string[] = [];
  const family: number[] = [];
  const protocol: number[] = [];
  const starts: number[] = [0];
  const rows: LegRow[] = [];
  const perp = (m: number, side: number, size: number, entry: number): LegRow => {
    const mk = markets[m];
    return { kind: LEG_PERP, asset: mk.asset, market: m, amount: size, side, entry, weight: mk.mmr, weightBps: 0, bonus: mk.liquidationFee, protocolFee: 0, basis: mk.basis };
  };
  snapshots.forEach((s, p) => {
    s.positions.forEach((pos, i) => {
      ids.push(pos.id ?? `${s.protocol}:position:${i}`);
      family.push(FAMILY_MARGIN);
      protocol.push(p);
      rows.push({ kind: LEG_COLLATERAL, asset: USD, market: -1, amount: pos.collateral, side: 0, entry: 0, weight: 1, weightBps: 0, bonus: 0, protocolFee: 0, basis: 1 });
      rows.push(perp(marketIndex.get(pos.market) as number, pos.side, pos.size, pos.entryPrice));
      starts.push(rows.length);
    });
    const reserves = new Map((s.lending?.reserves ?? []).map((r) => [r.asset, r]));
    const categories = new Map((s.lending?.eModeCategories ?? []).map((c) => [c.id, c]));
    for (const acc of s.accounts ?? []) {
      ids.push(acc.id);
      protocol.push(p);
      if (acc.family === "aaveV3") {
        family.push(FAMILY_AAVE);
        const category = acc.eModeCategory ? categories.get(acc.eModeCategory) : undefined;
        for (const c of acc.collateral) {
          const r = reserves.get(c.asset)!;
          const inCategory = category !== undefined && r.eModeCategory === category.id;
          // Aave counts a collateral only where the reserve's own threshold is non-zero, even in eMode.
          const lt = r.liquidationThreshold === 0 ? 0 : inCategory ? category.liquidationThreshold : r.liquidationThreshold;
          const bonus = inCategory ? category.liquidationBonus : r.liquidationBonus;
          const a = assetIndex.get(c.asset) as number;
          rows.push({ kind: LEG_COLLATERAL, asset: a, market: -1, amount: c.amount, side: 0, entry: 0, weight: lt, weightBps: Math.round(lt * 10_000), bonus, protocolFee: r.protocolFee, basis: 1 });
        }
        for (const d of acc.debts ?? []) {
          rows.push({ kind: LEG_DEBT, asset: assetIndex.get(d.asset) as number, market: -1, amount: d.amount, side: 0, entry: 0, weight: 1, weightBps: 0, bonus: 0, protocolFee: 0, basis: 1 });
        }
      } else {
        family.push(FAMILY_MARGIN);
        for (const c of acc.collateral) {
          const a = assetIndex.get(c.asset) as number;
          const haircut = c.haircut ?? assets[a].haircut;
          rows.push({ kind: LEG_COLLATERAL, asset: a, market: -1, amount: c.amount, side: 0, entry: 0, weight: 1 - haircut, weightBps: 0, bonus: 0, protocolFee: 0, basis: 1 });
        }
        for (const q of acc.positions ?? []) rows.push(perp(marketIndex.get(q.market) as number, q.side, q.size, q.entryPrice));
      }
      starts.push(rows.length);
    }
  });
  const packed = pack(ids, family, protocol, starts, rows, snapshots.length, assets.length);
  // Lay accounts out by family, then by how many collateral legs and exposures they have, then
  // nearest-to-the-edge first: a scenario's rounds then read a contiguous prefix of each group, and
  // the judge's and the liquidation's family branches and leg loops predict well (interleaved, they
  // mispredict on about every other account).
  const prices = Float64Array.from(assets, (a) => a.price);
  const slot = new Float64Array(JUDGE_SLOTS);
  const everyAsset = new Uint8Array(assets.length).fill(1);
  const distance = new Float64Array(packed.n);
  for (let i = 0; i < packed.n; i++) {
    judgeAccount(packed, packed.amount, prices, i, slot, everyAsset);
    distance[i] = distanceToEdge(slot);
  }
  const { legStart, exposureStart } = packed;
  const collateralLegs = (i: number) => exposureStart[i] - legStart[i];
  const exposures = (i: number) => legStart[i + 1] - exposureStart[i];
  const order = Int32Array.from({ length: packed.n }, (_, i) => i).sort(
    (a, b) => family[b] - family[a] || collateralLegs(a) - collateralLegs(b) || exposures(a) - exposures(b) || distance[a] - distance[b] || a - b,
  );
  const sortedStarts = [0];
  const sortedRows: LegRow[] = [];
  for (const i of order) {
    for (let k = starts[i]; k < starts[i + 1]; k++) sortedRows.push(rows[k]);
    sortedStarts.push(sortedRows.length);
  }
  const out = pack(
    Array.from(order, (i) => ids[i]),
    Array.from(order, (i) => family[i]),
    Array.from(order, (i) => protocol[i]),
    sortedStarts,
    sortedRows,
    snapshots.length,
    assets.length,
  );
  out.distance = Float64Array.from(order, (i) => distance[i]);
  return out;
}

function pack(ids: string[], family: number[], protocol: number[], starts: number[], rows: LegRow[], protocols: number, assets: number): CompiledAccounts {
  const L = rows.length;
  const out: CompiledAccounts = {
    n: ids.length,
    ids,
    family: Int8Array.from(family),
    protocol: Int32Array.from(protocol),
    legStart: Int32Array.from(starts),
    exposureStart: new Int32Array(ids.length),
    legs: L,
    kind: new Int8Array(L),
    asset: new Int32Array(L),
    market: new Int32Array(L),
    amount: new Float64Array(L),
    side: new Int8Array(L),
    entry: new Float64Array(L),
    weight: new Float64Array(L),
    weightBps: new Int32Array(L),
    bonus: new Float64Array(L),
    protocolFee: new Float64Array(L),
    basis: new Float64Array(L),
    distance: new Float64Array(ids.length),
    exposureUnits: new Float64Array(protocols * assets),
    exposureLegs: new Int32Array(protocols),
  };
  rows.forEach((r, k) => {
    out.kind[k] = r.kind;
    out.asset[k] = r.asset;
    out.market[k] = r.market;
    out.amount[k] = r.amount;
    out.side[k] = r.side;
    out.entry[k] = r.entry;
    out.weight[k] = r.weight;
    out.weightBps[k] = r.weightBps;
    out.bonus[k] = r.bonus;
    out.protocolFee[k] = r.protocolFee;
    out.basis[k] = r.basis;
  });
  for (let i = 0; i < out.n; i++) {
    let k = out.legStart[i];
    while (k < out.legStart[i + 1] && out.kind[k] === LEG_COLLATERAL) k++;
    out.exposureStart[i] = k;
    for (let k = out.legStart[i]; k < out.legStart[i + 1]; k++) {
      if (out.kind[k] === LEG_COLLATERAL || out.amount[k] === 0) continue;
      out.exposureUnits[out.protocol[i] * assets + out.asset[k]] += out.amount[k] * out.basis[k];
      out.exposureLegs[out.protocol[i]]++;
    }
  }
  return out;
}
