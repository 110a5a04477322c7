import { addAccountSums, type MarketSums } from "./accounts/metrics";
import type { Snapshot } from "./snapshot";
import { validateSnapshot } from "./validate";

/** The Security-to-Value metrics of a protocol or of one of its markets, in USD. */
export interface Metrics {
  /** C: Σ amount × price (per market: Σ the collateral of its positions). */
  collateralValue: number;
  /** C*: Σ amount × price × (1 − haircut). */
  adjustedCollateral: number;
  /** V: Σ |size| × mark, longs plus shorts. */
  notionalOpenInterest: number;
  longOpenInterest: number;
  shortOpenInterest: number;
  /** C / V; null when V = 0. */
  svr: number | null;
  /** C* / V; null when V = 0. */
  adjustedSvr: number | null;
  /** E: insurance fund (protocol-wide only) + Σ (collateral + side × size × (mark − entry)). */
  equity: number;
  /** M: Σ MMR × |size| × mark. */
  maintenanceRequirement: number;
  /** B = E − M. */
  systemicBuffer: number;
  /** B / V; null when V = 0. */
  bufferRatio: number | null;
  positions: number;
}

export interface SnapshotMetrics {
  protocol: Metrics;
  markets: Record<string, Metrics>;
}

const ratioOrNull = (a: number, b: number): number | null => (b > 0 ? a / b : null);

/**
 * Every metric of the table in SPEC §1, per market and protocol-wide. A market's collateral is
 * the collateral its positions posted; its adjusted collateral applies the protocol's average
 * haircut (C* ÷ C), since a market has no assets of its own. Accounts add to the markets they are
 * exposed to (./accounts/metrics.ts: for a lending reserve, svr is the threshold-valued collateral
 * backing its debt ÷ that debt).
 */
export function computeMetrics(snapshot: Snapshot): SnapshotMetrics {
  validateSnapshot(snapshot);
  let C = 0;
  let Cadj = 0;
  for (const a of snapshot.assets) {
    C += a.amount * a.price;
    Cadj += a.amount * a.price * (1 - a.haircut);
  }
  const haircutFactor = C > 0 ? Cadj / C : 1;

  const acc = new Map<string, MarketSums>();
  const marketById = new Map(snapshot.markets.map((m) => [m.id, m]));
  for (const m of snapshot.markets) acc.set(m.id, { c: 0, cAdj: 0, long: 0, short: 0, e: 0, m: 0, n: 0 });
  for (const p of snapshot.positions) {
    const m = marketById.get(p.market)!;
    const a = acc.get(p.market)!;
    const notional = p.size * m.mark;
    if (p.side === 1) a.long += notional;
    else a.short += notional;
    a.c += p.collateral;
    a.cAdj += p.collateral * haircutFactor;
    a.e += p.collateral + p.side * p.size * (m.mark - p.entryPrice);
    a.m += m.mmr * notional;
    a.n += 1;
  }
  addAccountSums(snapshot, acc);

  const markets: Record<string, Metrics> = {};
  let V = 0;
  let L = 0;
  let S = 0;
  let E = snapshot.insuranceFund;
  let M = 0;
  let n = 0;
  for (const [id, a] of acc) {
    const v = a.long + a.short;
    markets[id] = {
      collateralValue: a.c,
      adjustedCollateral: a.cAdj,
      notionalOpenInterest: v,
      longOpenInterest: a.long,
      shortOpenInterest: a.short,
      svr: ratioOrNull(a.c, v),
      adjustedSvr: ratioOrNull(a.cAdj, v),
      equity: a.e,
      maintenanceRequirement: a.m,
      systemicBuffer: a.e - a.m,
      bufferRatio: ratioOrNull(a.e - a.m, v),
      positions: a.n,
    };
    V += v;
    L += a.long;
    S += a.short;
    E += a.e;
    M += a.m;
    n += a.n;
  }
  return {
    protocol: {
      collateralValue: C,
      adjustedCollateral: Cadj,
      notionalOpenInterest: V,
      longOpenInterest: L,
      shortOpenInterest: S,
      svr: ratioOrNull(C, V),
      adjustedSvr: ratioOrNull(Cadj, V),
      equity: E,
      maintenanceRequirement: M,
      systemicBuffer: E - M,
      bufferRatio: ratioOrNull(E - M, V),
      positions: n,
    },
    markets,
  };
}
