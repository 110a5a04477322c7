import type { Contract } from "ethers";
import { textToMarketId } from "../protocols/units";
import { governanceProfile, resolveBounds, type GovernanceProfileName, type ParameterKind, type ResolvedBounds } from "./profiles";

/** The steward's `Bounds` struct (IBoundedSteward.Bounds) as governance passes it to `setBounds`. */
export function stewardBoundsStruct(b: ResolvedBounds) {
  return {
    min: b.min,
    max: b.max,
    maxTighten: b.maxTighten,
    maxLoosen: b.maxLoosen,
    tightenDelay: b.tightenDelay,
    loosenDelay: b.loosenDelay,
    tightenIsIncrease: b.tightenIsIncrease,
    relative: b.relative,
  };
}

/** Writes, as governance, a profile's deleverage limits for one market of a RiskSteward. */
export async function applyDeleverageLimits(steward: Contract, market: string, profile: GovernanceProfileName): Promise<void> {
  const l = governanceProfile(profile).deleverage;
  await (await steward.setDeleverageLimits(market, { maxPerCallUsd: l.maxPerCallUsd, budgetUsd: l.budgetUsd, window: l.windowSeconds })).wait();
}

/**
 * Writes, as governance, the bounds a profile gives each listed parameter of one market around its
 * current value (`setBounds(market, param, bounds)` on a BoundedSteward).
 */
export async function applyProfile(steward: Contract, market: string, profile: GovernanceProfileName, current: Partial<Record<ParameterKind, bigint>>): Promise<void> {
  const p = governanceProfile(profile);
  for (const [kind, value] of Object.entries(current) as [ParameterKind, bigint][]) {
    await (await steward.setBounds(market, textToMarketId(kind), stewardBoundsStruct(resolveBounds(p.rules[kind], value)))).wait();
  }
}
