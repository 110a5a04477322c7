import type { CompiledBook } from "./book";
import type { ProtocolOutcome, ScenarioResult, ShockVector } from "./cascade";

/** What a cascade (either engine) ends with, per protocol and in total. */
export interface CascadeEnd {
  book: CompiledBook;
  shocks: ShockVector;
  /** Final prices, indexed like book.assets. */
  prices: Float64Array;
  /** Per protocol: collateral value, and open exposure (0 where nothing is open: counted, never a float remainder). */
  collateral: Float64Array;
  exposure: Float64Array;
  rounds: number;
  truncated: boolean;
  liquidatedNotional: Float64Array;
  liquidatedCount: Int32Array;
  deficit: Float64Array;
}

/** The scenario's result: svr, liquidations and bad debt per protocol (the insurance fund pays first) and in total. */
export function scenarioOutcome(e: CascadeEnd): Omit<ScenarioResult, "cascade"> {
  const { book, collateral: C, exposure: V, deficit } = e;
  const protocols: ProtocolOutcome[] = book.protocols.map((pr, p) => {
    const used = Math.min(deficit[p], pr.insuranceFund);
    return {
      protocol: pr.id,
      svr: V[p] > 0 ? C[p] / V[p] : null,
      liquidatedNotional: e.liquidatedNotional[p],
      liquidatedPositions: e.liquidatedCount[p],
      deficit: deficit[p],
      insuranceUsed: used,
      shortfall: deficit[p] - used,
    };
  });
  const sum = (f: (o: ProtocolOutcome) => number) => protocols.reduce((s, o) => s + f(o), 0);
  const totalC = C.reduce((s, x) => s + x, 0);
  const totalV = V.reduce((s, x) => s + x, 0);
  const finalPrices: Record<string, number> = {};
  book.assets.forEach((a, i) => (finalPrices[a.id] = e.prices[i]));
  return {
    shocks: e.shocks,
    svr: totalV > 0 ? totalC / totalV : null,
    liquidatedNotional: sum((o) => o.liquidatedNotional),
    liquidatedPositions: sum((o) => o.liquidatedPositions),
    deficit: sum((o) => o.deficit),
    insuranceUsed: sum((o) => o.insuranceUsed),
    shortfall: sum((o) => o.shortfall),
    rounds: e.rounds,
    truncated: e.truncated,
    finalPrices,
    protocols,
  };
}
