import { compileBook, type CompiledBook } from "./book";
import { isCompiled, runScenario, type ScenarioResult, type ShockVector } from "./cascade";
import { RiskInputError } from "./errors";
import type { Snapshot } from "./snapshot";

/** How much each asset moves per unit of the driving shock (1: moves with it; 0: does not move). */
export type Betas = Record<string, number>;

/**
 * Default co-movement: in a crash correlations approach one, so every asset that a market trades or
 * an account holds or owes moves with the driver; assets held only as collateral by isolated
 * positions' protocol (stablecoins) stay put. An asset's own `beta`, when the snapshot gives one, wins.
 */
export function defaultBetas(book: CompiledBook): Betas {
  const betas: Betas = {};
  for (const a of book.assets) betas[a.id] = 0;
  for (const m of book.markets) betas[book.assets[m.asset].id] = 1;
  const acc = book.accounts;
  if (acc) {
    const held = new Uint8Array(book.assets.length);
    for (let k = 0; k < acc.legs; k++) if (acc.asset[k] >= 0) held[acc.asset[k]] = 1;
    held.forEach((h, a) => h && (betas[book.assets[a].id] = 1));
  }
  for (const a of book.assets) if (a.beta !== undefined) betas[a.id] = a.beta;
  return betas;
}

/** One driver move δ spread to every asset by its beta: δ_a = β_a · δ (floored above −100 %). */
export function correlatedShocks(delta: number, betas: Betas): ShockVector {
  const out: ShockVector = {};
  for (const [id, beta] of Object.entries(betas)) {
    if (beta !== 0) out[id] = Math.max(beta * delta, -0.999999);
  }
  return out;
}

export interface GridOptions {
  from?: number;
  to?: number;
  step?: number;
  betas?: Betas;
  /** "walk" forces the O(N) walk (the reference); by default the prefix-sum cascade runs where the book allows it. */
  path?: "auto" | "walk";
}

export interface GridPoint extends ScenarioResult {
  delta: number;
}

/** The stress grid: one cascade per driver move δ in [from, to] (default −50 % … +50 % by 1 %). */
export function stressGrid(input: Snapshot | CompiledBook, opts: GridOptions = {}): GridPoint[] {
  const book = isCompiled(input) ? input : compileBook(input);
  const from = opts.from ?? -0.5;
  const to = opts.to ?? 0.5;
  const step = opts.step ?? 0.01;
  if (!(step > 0) || !(to >= from) || from <= -1) throw new RiskInputError("grid", `need from > −1, to ≥ from and step > 0 (got ${from}, ${to}, ${step})`);
  const betas = opts.betas ?? defaultBetas(book);
  const count = Math.round((to - from) / step) + 1;
  const out: GridPoint[] = [];
  for (let i = 0; i < count; i++) {
    const delta = Math.round((from + i * step) * 1e12) / 1e12;
    out.push({ delta, ...runScenario(book, correlatedShocks(delta, betas), { path: opts.path }) });
  }
  return out;
}

export interface BreakingShock {
  /** Smallest fall (0.3 = −30 %) with a shortfall; null if none down to maxDown. */
  down: number | null;
  /** Smallest rise with a shortfall; null if none up to maxUp. */
  up: number | null;
  /** The search stops when the bracket is narrower than this. */
  tolerance: number;
}

export interface BreakingShockOptions {
  betas?: Betas;
  tolerance?: number;
  /** Width of the scan's cells (default 1 %): a breaking band narrower than this can be missed. */
  gridStep?: number;
  maxDown?: number;
  maxUp?: number;
}

/**
 * The smallest move down and up whose cascade leaves a shortfall. Shortfall is NOT monotonic in the
 * size of the move (a round's closes share one average price, and a pool caps what a round
 * absorbs: a bigger move can liquidate two positions together at a price that covers both, where a
 * smaller one liquidates them one after the other and the second leaves bad debt). So the search
 * scans a grid outward from 0 for the first breaking cell, then bisects inside that cell: the
 * answer b breaks, b − tolerance does not, and no grid point below b breaks. 0 if the protocol is
 * already short at the current prices.
 */
export function breakingShock(input: Snapshot | CompiledBook, opts: BreakingShockOptions = {}): BreakingShock {
  const book = isCompiled(input) ? input : compileBook(input);
  const betas = opts.betas ?? defaultBetas(book);
  const tolerance = opts.tolerance ?? 1e-4;
  const step = opts.gridStep ?? 0.01;
  if (!(step > 0) || !(tolerance > 0)) throw new RiskInputError("breakingShock", `need gridStep > 0 and tolerance > 0 (got ${step}, ${tolerance})`);
  const short = (delta: number) => runScenario(book, correlatedShocks(delta, betas)).shortfall > 0;
  if (short(0)) return { down: 0, up: 0, tolerance };
  const search = (sign: 1 | -1, max: number): number | null => {
    let lo = 0;
    let hi = Number.NaN;
    for (let k = 1; lo < max; k++) {
      const at = Math.min(max, Math.round(k * step * 1e12) / 1e12);
      if (short(sign * at)) {
        hi = at;
        break;
      }
      lo = at;
    }
    if (Number.isNaN(hi)) return null;
    while (hi - lo > tolerance) {
      const mid = (lo + hi) / 2;
      if (short(sign * mid)) hi = mid;
      else lo = mid;
    }
    return hi;
  };
  return { down: search(-1, opts.maxDown ?? 0.99), up: search(1, opts.maxUp ?? 1), tolerance };
}
