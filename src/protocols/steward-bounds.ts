import type { Result } from "ethers";
import type { ParamBounds, StewardState } from "../domain/protocol-state";
import type { ActionProvenance } from "../policy/actions";

/** The steward's ActionTag (key, evidence hash, validUntil) of an action, for its calldata. */
export function actionTag(p: ActionProvenance): { key: string; evidenceHash: string; validUntil: bigint } {
  return { key: p.idempotencyKey, evidenceHash: p.evidenceHash, validUntil: p.validUntil };
}

/**
 * Decodes BoundedSteward.getBoundsBatch, asked for every parameter of every market in order
 * (market-major), into market → parameter → bounds; unconfigured pairs are left out.
 */
export function decodeBoundsBatch(result: Result, markets: readonly string[], params: readonly string[]): StewardState["bounds"] {
  const [bounds, lastUpdates, configured] = [result[0] as Result[], result[1] as bigint[], result[2] as boolean[]];
  const out: StewardState["bounds"] = {};
  let i = 0;
  for (const market of markets) {
    out[market] = {};
    for (const p of params) {
      if (configured[i]) {
        const b = bounds[i];
        const pb: ParamBounds = {
          min: BigInt(b.min),
          max: BigInt(b.max),
          mode: b.relative ? "relative" : "absolute",
          maxTighten: BigInt(b.maxTighten),
          maxLoosen: BigInt(b.maxLoosen),
          tightenDelay: BigInt(b.tightenDelay),
          loosenDelay: BigInt(b.loosenDelay),
          lastUpdate: BigInt(lastUpdates[i]),
        };
        out[market][p] = pb;
      }
      i++;
    }
  }
  return out;
}
