/**
 * A deliberately naive cascade: every round re-scans every open position and checks its equity
 * against maintenance directly (no liquidation prices, no sorting). Same settlement rules as the
 * engine, so the two must agree; it exists to check the fast one, and the benchmark times it.
 */
import { openVenue, type ShockVector, type Snapshot } from "../../../src/risk";

export interface NaiveResult {
  rounds: number;
  liquidatedNotional: number;
  liquidatedPositions: number;
  deficit: number;
  shortfall: number;
  finalPrices: Record<string, number>;
}

export function naiveScenario(s: Snapshot, shocks: ShockVector): NaiveResult {
  const price = new Map(s.assets.map((a) => [a.id, a.price * (1 + (shocks[a.id] ?? 0))]));
  const venues = new Map(s.assets.map((a) => [a.id, openVenue(a.liquidity, price.get(a.id)!, a.price)]));
  const markets = new Map(s.markets.map((m) => [m.id, { ...m, basis: m.mark / s.assets.find((a) => a.id === m.asset)!.price }]));
  const open = s.positions.map(() => true);
  let rounds = 0;
  let liquidatedNotional = 0;
  let liquidatedPositions = 0;
  let deficit = 0;
  for (;;) {
    const hit: number[] = [];
    s.positions.forEach((p, i) => {
      if (!open[i]) return;
      const m = markets.get(p.market)!;
      const mark = price.get(m.asset)! * m.basis;
      const equity = p.collateral + p.side * p.size * (mark - p.entryPrice);
      if (equity < m.mmr * p.size * mark) hit.push(i);
    });
    if (hit.length === 0) break;
    rounds++;
    const net = new Map<string, number>();
    for (const i of hit) {
      const p = s.positions[i];
      const m = markets.get(p.market)!;
      net.set(m.asset, (net.get(m.asset) ?? 0) + p.side * p.size);
      liquidatedNotional += p.size * price.get(m.asset)! * m.basis;
      open[i] = false;
      liquidatedPositions++;
    }
    const fills = new Map<string, { avg: number; u: number; net: number; after: number }>();
    for (const [asset, n] of net) {
      const f = venues.get(asset)!.trade(n);
      fills.set(asset, { avg: f.avgPrice, u: n !== 0 ? f.unfilled / Math.abs(n) : 0, net: n, after: f.newPrice });
    }
    for (const i of hit) {
      const p = s.positions[i];
      const m = markets.get(p.market)!;
      const f = fills.get(m.asset)!;
      let exec = f.avg * m.basis;
      if (p.side === 1 && f.net > 0) exec = exec * (1 - f.u);
      if (p.side === -1 && f.net < 0) exec = exec * (1 - f.u) + f.after * m.basis * f.u;
      const equity = p.collateral + p.side * p.size * (exec - p.entryPrice);
      deficit += Math.max(0, m.liquidationFee * p.size * exec - equity);
    }
    for (const [asset, f] of fills) price.set(asset, f.after);
  }
  return {
    rounds,
    liquidatedNotional,
    liquidatedPositions,
    deficit,
    shortfall: Math.max(0, deficit - s.insuranceFund),
    finalPrices: Object.fromEntries(price),
  };
}
