import { expect } from "chai";
import { compileBook, correlatedShocks, defaultBetas, runScenario, stressGrid, type LiquidityModel, type ShockVector, type Snapshot } from "../../../src/risk";
import { mulberry32 } from "../../../src/util/prng";
import { syntheticAccountSnapshot } from "./synthetic-accounts";

/**
 * The account cascade judges only the accounts its watch says can have come to the line
 * (src/risk/accounts/watch.ts). The reference (path "walk") judges every open account every round.
 * Both must give the same liquidations in the same order, so the same figures to the last bit.
 */

/** A seeded account book made harder for the watch: stablecoins with pools (they move), a few isolated positions, one asset with its own beta. */
function variedBook(accounts: number, seed: number, depthScale: number): Snapshot {
  const s = syntheticAccountSnapshot(accounts, seed, depthScale);
  const rand = mulberry32(seed * 7919);
  const usdc = s.assets.find((a) => a.id === "USDC")!;
  // A thin USDC pool: seized USDC collateral and repaid USDC debt move its price.
  const base = 2 * depthScale * Math.max(usdc.amount, 1);
  usdc.liquidity = { kind: "constantProduct", baseReserve: base, quoteReserve: base } as LiquidityModel;
  delete usdc.beta;
  const sol = s.assets.find((a) => a.id === "SOL")!;
  sol.beta = 0.5;
  const positions = Array.from({ length: Math.floor(accounts / 10) }, (_, i) => {
    const market = s.markets[i % s.markets.length];
    const entry = market.mark * (0.97 + rand() * 0.06);
    const size = (1_000 + rand() * 20_000) / entry;
    return { account: `iso:${i}`, id: `iso:${i}`, market: market.id, side: (rand() < 0.5 ? 1 : -1) as 1 | -1, size, entryPrice: entry, collateral: size * entry * (0.06 + rand() * 0.2) };
  });
  return { ...s, positions };
}

function randomShocks(s: Snapshot, rand: () => number): ShockVector {
  const out: ShockVector = {};
  for (const a of s.assets) if (rand() < 0.8) out[a.id] = Math.max(-0.95, (rand() - 0.55) * 1.2);
  return out;
}

describe("account cascade: the watch against the reference (every account judged every round)", () => {
  it("gives bit-for-bit the reference's results over the stress grid on seeded books", () => {
    for (const [seed, depth] of [
      [11, 1],
      [12, 0.05],
      [13, 0.2],
    ] as const) {
      for (const s of [syntheticAccountSnapshot(1_000, seed, depth), variedBook(1_000, seed, depth)]) {
        const book = compileBook(s);
        const fast = stressGrid(book, { step: 0.025 });
        const reference = stressGrid(book, { step: 0.025, path: "walk" });
        expect(
          fast.some((g) => g.liquidatedPositions > 0 && g.rounds > 2),
          `seed ${seed}: the grid has cascades`,
        ).to.equal(true);
        fast.forEach((g, i) => expect(g, `seed ${seed} δ ${g.delta}`).to.deep.equal(reference[i]));
      }
    }
  });

  it("gives bit-for-bit the reference's results under uncorrelated shocks, where prices rise and fall at once", () => {
    for (const seed of [21, 22, 23]) {
      const s = variedBook(1_200, seed, seed === 22 ? 0.05 : 0.5);
      const book = compileBook(s);
      const rand = mulberry32(seed);
      let cascades = 0;
      for (let t = 0; t < 25; t++) {
        const shocks = randomShocks(s, rand);
        const fast = runScenario(book, shocks);
        const reference = runScenario(book, shocks, { path: "walk" });
        expect(fast, `seed ${seed} shocks ${JSON.stringify(shocks)}`).to.deep.equal(reference);
        if (fast.rounds > 1) cascades++;
      }
      expect(cascades, `seed ${seed}: scenarios with cascades`).to.be.greaterThan(5);
    }
  });

  it("stops at maxRounds as the reference does, and leaves the book unchanged for the next scenario", () => {
    const s = variedBook(1_000, 31, 0.05);
    const book = compileBook(s);
    const betas = defaultBetas(book);
    const first = runScenario(book, correlatedShocks(-0.3, betas));
    expect(first.rounds).to.be.greaterThan(3);
    for (const maxRounds of [0, 1, 2]) {
      const fast = runScenario(book, correlatedShocks(-0.3, betas), { maxRounds });
      expect(fast.truncated).to.equal(true);
      expect(fast).to.deep.equal(runScenario(book, correlatedShocks(-0.3, betas), { maxRounds, path: "walk" }));
    }
    // Scenarios with other moving assets in between (a watch order each) change nothing for the first.
    runScenario(book, { WETH: 0.4 });
    runScenario(book, { USDC: -0.2, WBTC: -0.5 });
    expect(runScenario(book, correlatedShocks(-0.3, betas))).to.deep.equal(first);
    expect(runScenario(compileBook(s), correlatedShocks(-0.3, betas))).to.deep.equal(first);
  });
});
