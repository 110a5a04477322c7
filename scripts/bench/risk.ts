import { compileBook, stressGrid } from "../../src/risk";
import { correlatedShocks, defaultBetas } from "../../src/risk";
import { naiveScenario } from "../../test/unit/risk/naive";
import { syntheticSnapshot } from "../../test/unit/risk/synthetic";

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

/** The full stress grid (101 scenarios with cascades) on a seeded 100,000-position book, fast vs naive. */
export async function benchRisk(): Promise<Record<string, number>> {
  const positions = 100_000;
  const snapshot = syntheticSnapshot(positions, 20261124, 0.5);
  const t0 = performance.now();
  const book = compileBook(snapshot);
  const compileMs = performance.now() - t0;

  const runs: number[] = [];
  let grid = stressGrid(book);
  for (let i = 0; i < 7; i++) {
    const t = performance.now();
    grid = stressGrid(book);
    runs.push(performance.now() - t);
  }
  const betas = defaultBetas(book);
  const tn = performance.now();
  let naiveShortfall = 0;
  for (const point of grid) naiveShortfall += naiveScenario(snapshot, correlatedShocks(point.delta, betas)).shortfall;
  const naiveMs = performance.now() - tn;
  const fastShortfall = grid.reduce((s, g) => s + g.shortfall, 0);
  if (Math.abs(naiveShortfall - fastShortfall) > 1e-6 * Math.max(1, fastShortfall)) {
    throw new Error(`fast and naive grids disagree: ${fastShortfall} vs ${naiveShortfall}`);
  }
  const gridMs = median(runs);
  return {
    positions,
    scenarios: grid.length,
    compile_ms: round(compileMs),
    grid_ms: round(gridMs),
    naive_grid_ms: round(naiveMs),
    speedup: round(naiveMs / gridMs),
    max_cascade_rounds: Math.max(...grid.map((g) => g.rounds)),
    rss_mb: round(process.memoryUsage().rss / 2 ** 20),
  };
}

const round = (x: number) => Math.round(x * 10) / 10;
