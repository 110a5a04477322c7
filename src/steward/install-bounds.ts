import type { Contract } from "ethers";
import { textToMarketId } from "../protocols/units";
import { governanceProfile, resolveBounds, type GovernanceProfileName, type ParameterKind, type ResolvedBounds } from "./profiles";

/** The steward's `Bounds` struct as governance passes it to `setBounds`. */
export function stewardBoundsStruct(b: ResolvedBounds) {
  if (!b.relative) throw new Error("this steward takes relative steps only; an absolute-step profile needs steward v2");
  return { min: b.min, max: b.max, maxTightenBps: b.maxTighten, maxLoosenBps: b.maxLoosen, tightenDelay: b.tightenDelay, loosenDelay: b.loosenDelay, tightenIsIncrease: b.tightenIsIncrease };
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
