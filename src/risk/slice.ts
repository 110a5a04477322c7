import type { Snapshot } from "./snapshot";

/**
 * One market's book against the protocol's collateral and insurance: what that market alone can
 * break. Accounts exposed to the market (a position in it, or a debt in its asset) come whole, with
 * every market and asset they touch.
 */
export function marketSlice(s: Snapshot, marketId: string): Snapshot {
  const market = s.markets.find((m) => m.id === marketId);
  if (!market) return s;
  const accounts = s.accounts?.filter((a) => a.positions?.some((p) => p.market === marketId) || a.debts?.some((d) => d.asset === market.asset));
  const marketIds = new Set([marketId, ...(accounts ?? []).flatMap((a) => (a.positions ?? []).map((p) => p.market))]);
  const markets = s.markets.filter((m) => marketIds.has(m.id));
  const assetIds = new Set([...markets.map((m) => m.asset), ...(accounts ?? []).flatMap((a) => [...a.collateral.map((c) => c.asset), ...(a.debts ?? []).map((d) => d.asset)])]);
  const assets = s.assets.filter((a) => a.amount > 0 || assetIds.has(a.id));
  const kept = new Set(assets.map((a) => a.id));
  return {
    ...s,
    markets,
    positions: s.positions.filter((p) => p.market === marketId),
    assets,
    ...(accounts ? { accounts } : {}),
    // A reserve nobody supplies and no sliced account touches leaves with its asset.
    ...(s.lending ? { lending: { ...s.lending, reserves: s.lending.reserves.filter((r) => kept.has(r.asset)) } } : {}),
  };
}

/** The smaller of the two breaking shocks; null when neither direction breaks. */
export function minShock(b: { down: number | null; up: number | null }): number | null {
  if (b.down === null) return b.up;
  if (b.up === null) return b.down;
  return Math.min(b.down, b.up);
}
