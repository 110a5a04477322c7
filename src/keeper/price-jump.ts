import type { Snapshot } from "../risk";

/** A market whose mark moved more than the bound since the last observation, and whether another source confirms the move. */
export interface PriceJump {
  market: string;
  from: number;
  to: number;
  /** The market's own spot pool prices the asset nearer the new mark than the old one: a real move, not a bad answer. */
  confirmedByPool: boolean;
}

/**
 * The marks that jumped more than `maxJump` (a fraction) since `lastPrices`. A jump is a bad oracle
 * answer until something confirms it: the market's spot pool, when it has one and its price sits
 * nearer the new mark than the old, or the next observation (the caller keeps the jumped price as
 * the last one, so a price that holds is no longer a jump and a spike that reverts is one again).
 * Without the pool's word a real crash was acted on one observation late: a −55 % SOL cascade in
 * the crash-thin-liquidity rehearsal held every market of the protocol still for that step.
 * Pure: no I/O.
 */
export function priceJumps(risk: Pick<Snapshot, "markets" | "assets">, lastPrices: Record<string, number>, maxJump: number): PriceJump[] {
  const out: PriceJump[] = [];
  for (const m of risk.markets) {
    const last = lastPrices[m.id];
    if (last === undefined || !(Math.abs(m.mark / last - 1) > maxJump)) continue;
    const pool = poolPrice(risk.assets.find((a) => a.id === m.asset)?.liquidity);
    const confirmedByPool = pool !== undefined && Math.abs(pool - m.mark) < Math.abs(pool - last);
    out.push({ market: m.id, from: last, to: m.mark, confirmedByPool });
  }
  return out;
}

function poolPrice(liquidity: Snapshot["assets"][number]["liquidity"] | undefined): number | undefined {
  if (liquidity?.kind !== "constantProduct" || !(liquidity.baseReserve > 0) || !(liquidity.quoteReserve > 0)) return undefined;
  return liquidity.quoteReserve / liquidity.baseReserve;
}
