import { expect } from "chai";
import {
  aaveHealthFactor,
  aaveLiquidation,
  accountHealth,
  compileBook,
  correlatedShocks,
  defaultBetas,
  runScenario,
  SnapshotValidationError,
  stressGrid,
  type Account,
  type LiquidityModel,
  type Snapshot,
} from "../../../src/risk";
import { naiveAccountScenario } from "./naive-accounts";
import { syntheticAccountSnapshot } from "./synthetic-accounts";

const close = (a: number, b: number, rel = 1e-9) => Math.abs(a - b) <= rel * Math.max(1, Math.abs(b));

/** ETH 1000 and BTC 20,000 perps (MMR 5 %, fee 1 %), USD collateral, no pool impact unless given. */
function perpBook(accounts: Account[], eth: LiquidityModel = { kind: "none" }): Snapshot {
  return {
    protocol: "cross",
    block: 1,
    timestamp: 1,
    assets: [
      { id: "USDC", price: 1, amount: 0, haircut: 0, liquidity: { kind: "none" } },
      { id: "ETH", price: 1000, amount: 0, haircut: 0.2, liquidity: eth },
      { id: "BTC", price: 20_000, amount: 0, haircut: 0.2, liquidity: { kind: "none" } },
    ],
    markets: [
      { id: "ETH-PERP", asset: "ETH", mark: 1000, imr: 0.1, mmr: 0.05, liquidationFee: 0.01, oiCapLong: 1e12, oiCapShort: 1e12 },
      { id: "BTC-PERP", asset: "BTC", mark: 20_000, imr: 0.1, mmr: 0.05, liquidationFee: 0.01, oiCapLong: 1e12, oiCapShort: 1e12 },
    ],
    positions: [],
    insuranceFund: 0,
    accounts,
  };
}

/** Long 10 ETH and short 0.5 BTC, both entered at today's price, against 2,000 USDC in one account. */
const hedged: Account = {
  id: "hedged",
  family: "crossMarginPerp",
  collateral: [{ asset: "USDC", amount: 2000 }],
  positions: [
    { market: "ETH-PERP", side: 1, size: 10, entryPrice: 1000 },
    { market: "BTC-PERP", side: -1, size: 0.5, entryPrice: 20_000 },
  ],
};

describe("cross-margin perp accounts (worked by hand)", () => {
  it("nets a hedged account's positions: a correlated −30 % leaves it solvent where isolated margins fail", () => {
    // ETH 700, BTC 14,000: long PnL 10 × (700 − 1000) = −3,000; short PnL 0.5 × (20,000 − 14,000) = +3,000.
    // Equity 2,000 + 0 = 2,000 ≥ maintenance 5 % × (7,000 + 7,000) = 700: nothing is liquidated.
    const cross = runScenario(perpBook([hedged]), { ETH: -0.3, BTC: -0.3 });
    expect(cross.liquidatedPositions).to.equal(0);
    expect(cross.shortfall).to.equal(0);
    // The same positions isolated with 1,000 each: the long's equity 1,000 − 3,000 < 0; closed at 700
    // it owes the fee 70 too: deficit 2,070.
    const isolated: Snapshot = {
      ...perpBook([]),
      accounts: undefined,
      positions: [
        { account: "h", market: "ETH-PERP", side: 1, size: 10, entryPrice: 1000, collateral: 1000 },
        { account: "h", market: "BTC-PERP", side: -1, size: 0.5, entryPrice: 20_000, collateral: 1000 },
      ],
    };
    expect(runScenario(isolated, { ETH: -0.3, BTC: -0.3 }).shortfall).to.be.closeTo(2070, 1e-9);
  });

  it("closes every position of the account when equity falls under Σ MMR × notional, and books the fee it cannot pay", () => {
    // ETH −10 % (900), BTC +10 % (22,000): long PnL −1,000, short PnL 0.5 × (20,000 − 22,000) = −1,000.
    // Equity 2,000 − 2,000 = 0 < maintenance 5 % × (9,000 + 11,000) = 1,000: both positions close.
    // No pool impact: they execute at the marks; equity 0 pays none of the fee 1 % × 20,000 = 200.
    const r = runScenario(perpBook([hedged]), { ETH: -0.1, BTC: 0.1 });
    expect(r.liquidatedPositions).to.equal(2);
    expect(r.rounds).to.equal(1);
    expect(close(r.liquidatedNotional, 9000 + 11_000)).to.equal(true);
    expect(close(r.deficit, 200)).to.equal(true);
    expect(close(r.shortfall, 200)).to.equal(true);
    expect(r.svr).to.equal(null);
  });

  it("counts non-USD collateral after its haircut, and sells it into its pool when the account is closed", () => {
    // 1 ETH (haircut 20 %: counts 800) and 300 USDC against long 10 ETH at 1000.
    // At ETH 950: equity 0.8 × 950 + 300 − 500 = 560 ≥ 5 % × 9,500 = 475; at 940: 752 + 300 − 600 = 452 < 470.
    const a: Account = {
      id: "eth-backed",
      family: "crossMarginPerp",
      collateral: [
        { asset: "ETH", amount: 1 },
        { asset: "USDC", amount: 300 },
      ],
      positions: [{ market: "ETH-PERP", side: 1, size: 10, entryPrice: 1000 }],
    };
    expect(runScenario(perpBook([a]), { ETH: -0.05 }).liquidatedPositions).to.equal(0);
    // Pool x·y = k with 1,000 ETH at 1000, re-centred at 940: x0 = √(1e9/940) = 1031.42. The close sells
    // the 10 ETH of the long and the 1 ETH of collateral: 11 ETH at 940 · x0 / (x0 + 11) = 930.08.
    // Equity at that price: 300 + 930.08 + 10 × (930.08 − 1000) = 530.9; fee 1 % × 10 × 930.08 = 93.0: no deficit.
    const r = runScenario(perpBook([a], { kind: "constantProduct", baseReserve: 1000, quoteReserve: 1_000_000 }), { ETH: -0.06 });
    const x0 = Math.sqrt(1e9 / 940);
    const exec = (940 * x0) / (x0 + 11);
    expect(exec).to.be.closeTo(930.08, 0.01);
    expect(r.liquidatedPositions).to.equal(1);
    expect(r.deficit).to.equal(0);
    expect(close(r.finalPrices.ETH, 1e9 / (x0 + 11) ** 2)).to.equal(true);
  });
});

/** WETH (pool given) and WBTC at 10,000 (no pool) as collateral, USDC debt; LT 80 %, bonus 5 %, no fee. */
function lendingBook(weth: LiquidityModel): Snapshot {
  return {
    protocol: "lending",
    block: 1,
    timestamp: 1,
    assets: [
      { id: "USDC", price: 1, amount: 12_500, haircut: 0.2, liquidity: { kind: "none" }, beta: 0 },
      { id: "WETH", price: 1000, amount: 10, haircut: 0.2, liquidity: weth },
      { id: "WBTC", price: 10_000, amount: 0.6, haircut: 0.2, liquidity: { kind: "none" } },
    ],
    markets: [
      { id: "USDC", asset: "USDC", mark: 1, imr: 0.3, mmr: 0.25, liquidationFee: 0.045, oiCapLong: 0, oiCapShort: 1e12 },
      { id: "WETH", asset: "WETH", mark: 1000, imr: 0.3, mmr: 0.25, liquidationFee: 0.05, oiCapLong: 0, oiCapShort: 1e12 },
      { id: "WBTC", asset: "WBTC", mark: 10_000, imr: 0.3, mmr: 0.25, liquidationFee: 0.05, oiCapLong: 0, oiCapShort: 1e12 },
    ],
    positions: [],
    insuranceFund: 0,
    accounts: [
      {
        id: "two-collateral",
        family: "aaveV3",
        collateral: [
          { asset: "WETH", amount: 10 },
          { asset: "WBTC", amount: 0.6 },
        ],
        debts: [{ asset: "USDC", amount: 12_500 }],
      },
    ],
    lending: {
      reserves: ["USDC", "WETH", "WBTC"].map((asset) => ({ asset, liquidationThreshold: 0.8, liquidationBonus: 0.05, protocolFee: 0, eModeCategory: 0 })),
      eModeCategories: [],
    },
  };
}

describe("Aave V3 accounts (worked by hand)", () => {
  it("liquidates a two-collateral account whose first liquidation's sale pushes its second collateral under", () => {
    // 10 WETH + 0.6 WBTC = 16,000 against 12,500 USDC: HF = 16,000 × 0.8 / 12,500 = 1.024.
    // WETH −10 % (900): C = 9,000 + 6,000 = 15,000, HF = 12,000 / 12,500 = 0.96 > 0.95: close factor 50 %.
    // Round 1: the largest collateral is WETH (9,000 > 6,000), the debt USDC: 6,250 repaid, for
    // 6,250 / 900 × 1.05 = 7.2917 WETH, which the liquidator sells into a 20-WETH pool: re-centred at
    // 900, x0 = √(4e5 / 900) = 21.082; after the sale the price is 4e5 / (x0 + 7.2917)² = 496.85.
    // HF = (2.7083 × 496.85 + 6,000) × 0.8 / 6,250 = 0.9402 < 0.95: close factor 100 %.
    // Round 2: WETH is now 1,345.6 < 6,000 of WBTC, so the WBTC goes: 6,250 / 10,000 × 1.05 = 0.65625
    // > 0.6 held, so all 0.6 is taken and 0.6 × 10,000 / 1.05 = 5,714.29 repaid. 535.71 left, backed by
    // 1,345.6 × 0.8 of WETH: HF 2.01, the cascade stops. No bad debt.
    const pool: LiquidityModel = { kind: "constantProduct", baseReserve: 20, quoteReserve: 20_000 };
    const s = lendingBook(pool);
    expect(accountHealth(s)[0].health).to.be.closeTo(1.024, 1e-12);
    const r = runScenario(s, { WETH: -0.1 });
    const x0 = Math.sqrt(4e5 / 900);
    const seized1 = (6250 / 900) * 1.05;
    const price1 = 4e5 / (x0 + seized1) ** 2;
    expect(price1).to.be.closeTo(496.85, 0.01);
    expect((((10 - seized1) * price1 + 6000) * 0.8) / 6250).to.be.closeTo(0.9402, 1e-4);
    expect(r.rounds).to.equal(2);
    expect(r.liquidatedPositions).to.equal(2);
    expect(close(r.liquidatedNotional, 6250 + (0.6 * 10_000) / 1.05)).to.equal(true);
    expect(r.shortfall).to.equal(0);
    expect(close(r.finalPrices.WETH, price1)).to.equal(true);
    expect(r.finalPrices.WBTC).to.equal(10_000);
    // Without the pool's price impact the first liquidation leaves HF = (2.7083 × 900 + 6,000) × 0.8 /
    // 6,250 = 1.08: one round, and the WBTC stays.
    const calm = runScenario(lendingBook({ kind: "none" }), { WETH: -0.1 });
    expect(calm.rounds).to.equal(1);
    expect(close(calm.liquidatedNotional, 6250)).to.equal(true);
  });

  it("turns what the collateral cannot cover into bad debt", () => {
    // WETH −70 % (300), no pool: C = 3,000 + 6,000 = 9,000, HF = 7,200 / 12,500 = 0.576: close factor 100 %.
    // Round 1: WBTC (6,000) is the largest: 12,500 / 10,000 × 1.05 = 1.3125 > 0.6, so 0.6 taken for 5,714.29.
    // Round 2: 6,785.71 owed against 10 WETH (3,000): 6,785.71 / 300 × 1.05 = 23.75 > 10, so 10 taken for
    // 3,000 / 1.05 = 2,857.14. Nothing is left to seize: 6,785.71 − 2,857.14 = 3,928.57 is bad debt.
    const r = runScenario(lendingBook({ kind: "none" }), { WETH: -0.7 });
    const left = 12_500 - 6000 / 1.05 - 3000 / 1.05;
    expect(r.rounds).to.equal(2);
    expect(close(r.shortfall, left)).to.equal(true);
    expect(r.svr).to.equal(null);
  });

  it("applies Aave's rules: average threshold rounded down to whole bps, close factor at HF 0.95, bonus capped by the balance", () => {
    // 1,000 at 8,250 bps and 1,000 at 7,501 bps: average 7,875.5 bps, Aave keeps 7,875.
    expect(aaveHealthFactor([1000, 1000], [8250, 7501], 1000)).to.equal(1.575 * 1.0);
    expect(aaveHealthFactor([1000, 1000], [8250, 7501], 1000)).to.not.equal((1000 * 0.825 + 1000 * 0.7501) / 1000);
    const base = { debtAmount: 1000, debtPrice: 1, collateralAmount: 10, collateralPrice: 100, bonus: 0.1, protocolFee: 0.2 };
    // HF 0.951: half the debt, 500 × 1.1 / 100 = 5.5 taken; the bonus part 0.5 splits 0.1 to the treasury.
    const half = aaveLiquidation({ ...base, healthFactor: 0.951 });
    expect(half.debtCovered).to.equal(500);
    expect(close(half.collateralTaken, 5.5)).to.equal(true);
    expect(close(half.protocolFeeAmount, 0.1)).to.equal(true);
    expect(close(half.collateralToLiquidator, 5.4)).to.equal(true);
    // HF 0.95: all of it: 1,100 / 100 = 11 > 10 held, so 10 taken for 10 × 100 / 1.1 = 909.09.
    const full = aaveLiquidation({ ...base, healthFactor: 0.95 });
    expect(full.collateralTaken).to.equal(10);
    expect(close(full.debtCovered, 1000 / 1.1)).to.equal(true);
  });

  it("uses the eMode category's threshold for collateral in the account's category", () => {
    const s = lendingBook({ kind: "none" });
    s.lending!.reserves.find((r) => r.asset === "WETH")!.eModeCategory = 1;
    s.lending!.eModeCategories = [{ id: 1, liquidationThreshold: 0.93, liquidationBonus: 0.01 }];
    s.accounts![0].eModeCategory = 1;
    // (10,000 × 9,300 + 6,000 × 8,000) / 16,000 = 8,812.5 → 8,812 bps: HF = 16,000 × 0.8812 / 12,500.
    expect(accountHealth(s)[0].health).to.be.closeTo((16_000 * 0.8812) / 12_500, 1e-12);
  });

  it("refuses bad accounts with the field named", () => {
    const field = (mutate: (s: Snapshot) => void): string => {
      const s = lendingBook({ kind: "none" });
      mutate(s);
      try {
        compileBook(s);
      } catch (e) {
        expect(e).to.be.instanceOf(SnapshotValidationError);
        return (e as SnapshotValidationError).field;
      }
      throw new Error("accepted");
    };
    expect(field((s) => (s.accounts![0].debts![0].asset = "DOGE"))).to.equal("accounts[0].debts[0].asset");
    expect(field((s) => (s.accounts![0].collateral[1].amount = Number.NaN))).to.equal("accounts[0].collateral[1].amount");
    expect(field((s) => (s.accounts![0].positions = [{ market: "WETH", side: 1, size: 1, entryPrice: 1 }]))).to.equal("accounts[0].positions");
    expect(field((s) => (s.accounts![0].eModeCategory = 7))).to.equal("accounts[0].eModeCategory");
    expect(field((s) => (s.lending!.reserves[1].liquidationBonus = 0.3))).to.equal("lending.reserves[1].liquidationBonus");
  });
});

describe("account cascade: columns and layout against a naive object walk", () => {
  it("gives the same figures over the whole stress grid on seeded random books", () => {
    for (const seed of [1, 2, 3]) {
      const s = syntheticAccountSnapshot(600, seed, seed === 3 ? 0.05 : 1);
      const grid = stressGrid(compileBook(s), { step: 0.05 });
      const betas = defaultBetas(compileBook(s));
      for (const g of grid) {
        const naive = naiveAccountScenario(s, correlatedShocks(g.delta, betas));
        for (const k of ["shortfall", "liquidatedNotional", "deficit"] as const) expect(close(g[k], naive[k], 1e-9), `seed ${seed} δ ${g.delta} ${k}: ${g[k]} vs ${naive[k]}`).to.equal(true);
        expect(g.rounds).to.equal(naive.rounds);
        expect(g.liquidatedPositions).to.equal(naive.liquidatedPositions);
      }
    }
  });

  it("gives an isolated book the same figures through the account cascade as through the isolated fast path", () => {
    const s = syntheticAccountSnapshot(1, 9);
    const positions = syntheticAccountSnapshot(400, 4).accounts!.flatMap((a) =>
      (a.positions ?? []).map((p, i) => ({ account: a.id, id: `${a.id}:${i}`, market: p.market, side: p.side, size: p.size, entryPrice: p.entryPrice, collateral: p.size * p.entryPrice * 0.15 })),
    );
    const isolated: Snapshot = { ...s, positions, accounts: undefined };
    // One idle account routes the whole book through the account cascade.
    const mixed: Snapshot = { ...s, positions, accounts: [{ id: "idle", family: "crossMarginPerp", collateral: [{ asset: "USDC", amount: 1 }] }] };
    const a = stressGrid(compileBook(isolated), { step: 0.05 });
    const b = stressGrid(compileBook(mixed), { step: 0.05 });
    a.forEach((g, i) => {
      expect(close(b[i].shortfall, g.shortfall)).to.equal(true);
      expect(close(b[i].liquidatedNotional, g.liquidatedNotional)).to.equal(true);
      expect(b[i].liquidatedPositions).to.equal(g.liquidatedPositions);
      expect(b[i].rounds).to.equal(g.rounds);
    });
  });
});
