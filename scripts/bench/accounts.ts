import { compileBook, correlatedShocks, defaultBetas, stressGrid } from "../../src/risk";
import { naiveAccountScenario } from "../../test/unit/risk/naive-accounts";
import { syntheticAccountSnapshot } from "../../test/unit/risk/synthetic-accounts";

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const round = (x: number) => Math.round(x * 10) / 10;

/**
 * The stress grid (101 correlated scenarios with cascades) on a seeded book of 100,000 accounts
 * (Aave-style borrowers and cross-margin perp accounts, three legs each on average): the columnar
 * account cascade vs a naive walk over the account objects that re-scans every account each round.
 */
export async function benchAccounts(): Promise<Record<string, number>> {
  const accounts = 100_000;
  const snapshot = syntheticAccountSnapshot(accounts, 20261128);
  const t0 = performance.now();
  const book = compileBook(snapshot);
  const compileMs = performance.now() - t0;

  let grid = stressGrid(book);
  const runs: number[] = [];
  for (let i = 0; i < 5; i++) {
    const t = performance.now();
    grid = stressGrid(book);
    runs.push(performance.now() - t);
  }
  const betas = defaultBetas(book);
  const tn = performance.now();
  let naiveShortfall = 0;
  for (const point of grid) naiveShortfall += naiveAccountScenario(snapshot, correlatedShocks(point.delta, betas)).shortfall;
  const naiveMs = performance.now() - tn;
  const fastShortfall = grid.reduce((s, g) => s + g.shortfall, 0);
  if (Math.abs(naiveShortfall - fastShortfall) > 1e-6 * Math.max(1, fastShortfall)) {
    throw new Error(`account cascade and naive walk disagree: ${fastShortfall} vs ${naiveShortfall}`);
  }
  const gridMs = median(runs);
  return {
    accounts,
    account_legs: book.accounts!.legs,
    account_compile_ms: round(compileMs),
    account_grid_ms: round(gridMs),
    account_naive_grid_ms: round(naiveMs),
    account_speedup: round(naiveMs / gridMs),
    account_max_cascade_rounds: Math.max(...grid.map((g) => g.rounds)),
  };
}
