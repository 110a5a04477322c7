import { runScenario, marketSlice, type MarketState, type Snapshot } from "../risk";

/**
 * A warning to governance: the book is fragile but the keeper will not force positions out over
 * it (the market is calm, or no raise passes the cost–benefit gate). It says how fragile the book
 * is and what would fix it; the choice is governance's.
 */
export interface GovernanceWarning {
  market: string;
  kind: "fragileBook";
  /** The smaller breaking shock and its direction. */
  breakingShock: number;
  direction: "down" | "up";
  targetShock: number;
  /** Bad debt left by the cascade at the target shock, after the insurance fund (USD). */
  shortfallAtTargetUsd: number;
  fixes: {
    /** The smallest MMR that restores the target, and the notional it would force out now. */
    mmr?: { mmrBps: string; forcedNotionalUsd: number; forcedPositions: number };
    /** Open interest to remove (the weakest positions, by margin) for the book to survive the target. */
    cutOpenInterestUsd?: number;
    /** What the insurance fund would need on top to absorb the target shock. */
    insuranceTopUpUsd: number;
  };
  /** Why the keeper does not act on it itself. */
  why: string;
  message: string;
}

/** Seconds between two warnings about the same fragile market (a first one is sent at once). */
export const WARNING_REPEAT_SECONDS = 3600;

export function shortfallAt(snapshot: Snapshot, market: MarketState, shock: number): number {
  return runScenario(marketSlice(snapshot, market.id), { [market.asset]: shock }).shortfall;
}

export function fragileBookWarning(args: {
  snapshot: Snapshot;
  market: MarketState;
  breakingShock: { down: number | null; up: number | null };
  targetShock: number;
  fix: { mmrBps: bigint; forcedNotional: number; forcedPositions: number } | null;
  why: string;
}): GovernanceWarning {
  const { down, up } = args.breakingShock;
  const direction: "down" | "up" = up === null || (down !== null && down <= up) ? "down" : "up";
  const bs = (direction === "down" ? down : up) ?? 0;
  const shortfall = shortfallAt(args.snapshot, args.market, direction === "down" ? -args.targetShock : args.targetShock);
  const usd = (x: number) => `$${Math.round(x).toLocaleString("en-US")}`;
  const pct = (x: number) => `${(x * 100).toFixed(1)} %`;
  const fixes: GovernanceWarning["fixes"] = { insuranceTopUpUsd: shortfall };
  const options: string[] = [];
  if (args.fix) {
    fixes.mmr = { mmrBps: args.fix.mmrBps.toString(), forcedNotionalUsd: args.fix.forcedNotional, forcedPositions: args.fix.forcedPositions };
    fixes.cutOpenInterestUsd = args.fix.forcedNotional;
    options.push(`MMR ${args.fix.mmrBps} bps (forces out ${args.fix.forcedPositions} position(s), ${usd(args.fix.forcedNotional)} of notional, now)`);
    options.push(`cutting the thinnest-margined open interest by ${usd(args.fix.forcedNotional)} (traders adding margin or reducing)`);
  }
  options.push(`adding ${usd(shortfall)} to the insurance fund`);
  const message =
    `${args.market.id}: the book is fragile — it breaks at a ${direction === "down" ? "−" : "+"}${pct(bs)} move (target ${pct(args.targetShock)}), ` +
    `and a ${pct(args.targetShock)} move would leave ${usd(shortfall)} of bad debt. Would fix it: ${options.join("; or ")}. ` +
    `The keeper has limited new risk (caps, IMR) and does not force positions out: ${args.why}.`;
  return { market: args.market.id, kind: "fragileBook", breakingShock: bs, direction, targetShock: args.targetShock, shortfallAtTargetUsd: shortfall, fixes, why: args.why, message };
}
