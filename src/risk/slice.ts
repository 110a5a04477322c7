import type { Snapshot } from "./snapshot";

/** One market's book against the protocol's collateral and insurance: what that market alone can break. */
export function marketSlice(s: Snapshot, marketId: string): Snapshot {
  const market = s.markets.find((m) => m.id === marketId);
  if (!market) return s;
  return {
    ...s,
    markets: [market],
    positions: s.positions.filter((p) => p.market === marketId),
    assets: s.assets.filter((a) => a.amount > 0 || a.id === market.asset),
  };
}

/** The smaller of the two breaking shocks; null when neither direction breaks. */
export function minShock(b: { down: number | null; up: number | null }): number | null {
  if (b.down === null) return b.up;
  if (b.up === null) return b.down;
  return Math.min(b.down, b.up);
}
