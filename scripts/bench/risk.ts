import { compileBook, shockModelFor, stressGrid, valueAtRisk } from "../../src/risk";
import { correlatedShocks, defaultBetas } from "../../src/risk";
import { naiveScenario } from "../../test/unit/risk/naive";
import { syntheticSnapshot } from "../../test/unit/risk/synthetic";

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

/**
 * On a seeded 100,000-position book: the full stress grid (101 scenarios with cascades) by the
 * prefix-sum cascade (grid_ms), by the O(N) walk (walk_grid_ms) and by the naive re-scan, checked
 * against each other; and Value at Risk over 10,000 sampled shock vectors (var_10k_ms: sampling,
 * cascades and tails).
 */
export async function benchRisk(): Promise<Record<string, number>> {
  const positions = 100_000;
  const snapshot = syntheticSnapshot(positions, 20261124, 0.5);
  const t0 = performance.now();
  const book = compileBook(snapshot);
  const compileMs = performance.now() - t0;

  // Steady state, as the service runs these every observation: a millisecond-long grid is still
  // tiering up in the JIT for its first dozen runs, so one warm-up run measured the compiler.
  const timed = <T>(times: number, f: () => T, warmups = 1): { ms: number; result: T } => {
    let result = f();
    for (let i = 1; i < warmups; i++) result = f();
    const runs: number[] = [];
    for (let i = 0; i < times; i++) {
      const t = performance.now();
      result = f();
      runs.push(performance.now() - t);
    }
    return { ms: median(runs), result };
  };
  const { ms: gridMs, result: grid } = timed(15, () => stressGrid(book), 15);
  const { ms: walkMs, result: walk } = timed(5, () => stressGrid(book, { path: "walk" }));
  grid.forEach((g, i) => {
    if (g.cascade.path !== "prefix") throw new Error(`the grid ran the ${g.cascade.path} path: ${g.cascade.path === "walk" ? g.cascade.reason : "an account book"}`);
    const w = walk[i];
    if (Math.abs(g.deficit - w.deficit) > 1e-12 * Math.max(1, w.deficit) || Math.abs(g.shortfall - w.shortfall) > 0.01) {
      throw new Error(`prefix and walk disagree at δ ${g.delta}: ${g.deficit} vs ${w.deficit}`);
    }
  });
  const model = shockModelFor(book);
  const { ms: varMs, result: risk } = timed(5, () => valueAtRisk(book, model));
  const betas = defaultBetas(book);
  const tn = performance.now();
  let naiveShortfall = 0;
  for (const point of grid) naiveShortfall += naiveScenario(snapshot, correlatedShocks(point.delta, betas)).shortfall;
  const naiveMs = performance.now() - tn;
  const fastShortfall = grid.reduce((s, g) => s + g.shortfall, 0);
  if (Math.abs(naiveShortfall - fastShortfall) > 1e-6 * Math.max(1, fastShortfall)) {
    throw new Error(`fast and naive grids disagree: ${fastShortfall} vs ${naiveShortfall}`);
  }
  return {
    positions,
    scenarios: grid.length,
    compile_ms: round(compileMs),
    grid_ms: round(gridMs),
    walk_grid_ms: round(walkMs),
    naive_grid_ms: round(naiveMs),
    speedup_over_walk: round(walkMs / gridMs),
    var_samples: model.samples,
    var_10k_ms: round(varMs),
    var_p99_shortfall_usd: Math.round(risk.protocols[0].shortfall.p99),
    max_cascade_rounds: Math.max(...grid.map((g) => g.rounds)),
    rss_mb: round(process.memoryUsage().rss / 2 ** 20),
  };
}

const round = (x: number) => Math.round(x * 10) / 10;
