import type { Snapshot } from "../snapshot";
import { healthFromSums } from "./aave";

/** Per-market running sums that ../metrics.ts turns into the metrics of SPEC §1. */
export interface MarketSums {
  /** Collateral value C attributed to the market. */
  c: number;
  /** Adjusted collateral C*. */
  cAdj: number;
  long: number;
  short: number;
  /** Equity E. */
  e: number;
  /** Maintenance requirement M. */
  m: number;
  /** Positions (perpetuals) or borrowers (lending). */
  n: number;
}

/**
 * Adds each account's contribution to the sums of the markets it is exposed to.
 *
 * Lending (SPEC terms for a reserve r, the market whose asset is r): an account's collateral is
 * attributed to its debts in proportion to their value. V_r = Σ debt in r × price. C_r = C*_r =
 * the collateral backing that debt valued at the liquidation threshold (Aave's: value × the
 * account's average LT, rounded down to whole bps), so svr_r = C_r ÷ V_r, which is the health factor
 * of a one-debt borrower. E_r = backing collateral at market value − V_r; M_r = backing collateral
 * at market value − C_r (what the threshold holds back), so the buffer B_r = E_r − M_r = C_r − V_r is
 * negative exactly when the reserve's borrowers are, together, liquidatable.
 *
 * Cross-margin perps: an account's collateral (C at market value, C* after haircuts) is attributed
 * to its markets in proportion to notional; equity and maintenance are those of its positions there.
 */
export function addAccountSums(s: Snapshot, sums: Map<string, MarketSums>): void {
  if (!s.accounts?.length) return;
  const price = new Map(s.assets.map((a) => [a.id, a.price]));
  const haircut = new Map(s.assets.map((a) => [a.id, a.haircut]));
  const markets = new Map(s.markets.map((m) => [m.id, m]));
  const marketOfAsset = new Map<string, string>();
  for (const m of [...s.markets].reverse()) marketOfAsset.set(m.asset, m.id);
  const reserves = new Map((s.lending?.reserves ?? []).map((r) => [r.asset, r]));
  const categories = new Map((s.lending?.eModeCategories ?? []).map((c) => [c.id, c]));
  for (const a of s.accounts) {
    if (a.family === "aaveV3") {
      const cat = a.eModeCategory ? categories.get(a.eModeCategory) : undefined;
      let c = 0;
      let weighted = 0;
      for (const leg of a.collateral) {
        const r = reserves.get(leg.asset)!;
        const lt = r.liquidationThreshold === 0 ? 0 : cat && r.eModeCategory === cat.id ? cat.liquidationThreshold : r.liquidationThreshold;
        if (lt === 0) continue;
        const v = leg.amount * price.get(leg.asset)!;
        c += v;
        weighted += v * Math.round(lt * 10_000);
      }
      const debts = (a.debts ?? []).map((d) => ({ market: marketOfAsset.get(d.asset), value: d.amount * price.get(d.asset)! }));
      const total = debts.reduce((x, d) => x + d.value, 0);
      if (!(total > 0)) continue;
      const threshold = healthFromSums(c, weighted, total) * total;
      for (const d of debts) {
        const m = d.market === undefined ? undefined : sums.get(d.market);
        if (!m) continue;
        const share = d.value / total;
        m.c += share * threshold;
        m.cAdj += share * threshold;
        m.short += d.value;
        m.e += share * c - d.value;
        m.m += share * (c - threshold);
        m.n += 1;
      }
      continue;
    }
    let c = 0;
    let cAdj = 0;
    for (const leg of a.collateral) {
      const v = leg.amount * price.get(leg.asset)!;
      c += v;
      cAdj += v * (1 - (leg.haircut ?? haircut.get(leg.asset)!));
    }
    const positions = (a.positions ?? []).map((p) => {
      const m = markets.get(p.market)!;
      return { p, m, notional: p.size * m.mark };
    });
    const total = positions.reduce((x, q) => x + q.notional, 0);
    for (const { p, m, notional } of positions) {
      const sum = sums.get(m.id)!;
      const share = total > 0 ? notional / total : 0;
      sum.c += share * c;
      sum.cAdj += share * cAdj;
      if (p.side === 1) sum.long += notional;
      else sum.short += notional;
      sum.e += share * c + p.side * p.size * (m.mark - p.entryPrice);
      sum.m += m.mmr * notional;
      sum.n += 1;
    }
  }
}
