import { mulberry32, normal } from "../util/prng";

/** One synthetic borrower: one collateral, one debt, optionally in an eMode category, at a target health factor. */
export interface SyntheticLoan {
  collateral: string;
  /** Collateral value, USD. */
  collateralUsd: number;
  debt: string;
  /** Debt value, USD: collateral × the threshold that applies ÷ the target health factor. */
  debtUsd: number;
  eMode: number;
  healthFactor: number;
  kind: BorrowerKind;
}

export type BorrowerKind = "eth-collateral" | "btc-collateral" | "eth-looper" | "stable-looper" | "alt-collateral" | "eth-short";

interface Segment {
  kind: BorrowerKind;
  share: number;
  collateral: [string, number][];
  debt: [string, number][];
  /** The category loopers use (its LT/LTV), 0 for none. */
  eMode: number;
  hf: [number, number];
}

/**
 * The replica's borrower book. SYNTHETIC: the configuration file holds no positions, so this is a
 * stated, seeded distribution, not mainnet's borrowers.
 */
export const BOOK_SEGMENTS: Segment[] = [
  {
    kind: "eth-collateral",
    share: 0.3,
    collateral: [
      ["WETH", 0.5],
      ["wstETH", 0.3],
      ["weETH", 0.2],
    ],
    debt: [
      ["USDC", 0.5],
      ["USDT", 0.3],
      ["DAI", 0.2],
    ],
    eMode: 0,
    hf: [1.08, 2.5],
  },
  {
    kind: "btc-collateral",
    share: 0.15,
    collateral: [
      ["WBTC", 0.6],
      ["cbBTC", 0.4],
    ],
    debt: [
      ["USDC", 0.6],
      ["USDT", 0.4],
    ],
    eMode: 0,
    hf: [1.08, 2.5],
  },
  {
    kind: "eth-looper",
    share: 0.2,
    collateral: [
      ["wstETH", 0.6],
      ["weETH", 0.4],
    ],
    debt: [["WETH", 1]],
    eMode: 1,
    hf: [1.025, 1.1],
  },
  {
    kind: "stable-looper",
    share: 0.1,
    collateral: [
      ["sUSDe", 0.7],
      ["USDe", 0.3],
    ],
    debt: [
      ["USDC", 0.5],
      ["USDT", 0.5],
    ],
    eMode: 2,
    hf: [1.025, 1.1],
  },
  {
    kind: "alt-collateral",
    share: 0.15,
    collateral: [
      ["LINK", 0.5],
      ["AAVE", 0.5],
    ],
    debt: [
      ["USDC", 0.7],
      ["WETH", 0.3],
    ],
    eMode: 0,
    hf: [1.15, 2.5],
  },
  {
    kind: "eth-short",
    share: 0.1,
    collateral: [
      ["USDC", 0.6],
      ["DAI", 0.4],
    ],
    debt: [["WETH", 1]],
    eMode: 0,
    hf: [1.3, 2.5],
  },
];

/** Median collateral per borrower and the lognormal spread of sizes (σ of ln). */
export const MEDIAN_COLLATERAL_USD = 100_000;
const SIZE_SIGMA = 1.2;
const MAX_COLLATERAL_USD = 20_000_000;

/** What the book is, in one line, wherever it is shown. */
export function describeBook(count: number, seed: number): string {
  const mix = BOOK_SEGMENTS.map((s) => `${Math.round(s.share * 100)} % ${s.kind}${s.eMode ? ` (eMode ${s.eMode})` : ""} HF ${s.hf[0]}–${s.hf[1]}`).join(", ");
  return `SYNTHETIC borrower book (seed ${seed}): ${count} borrowers, one collateral and one debt each, collateral lognormal around $${MEDIAN_COLLATERAL_USD.toLocaleString("en-US")} (σ ${SIZE_SIGMA}, ≤ $20M); ${mix}; health factors uniform in each range; loopers hold the end state of their loop`;
}

/**
 * `count` borrowers drawn from BOOK_SEGMENTS. `terms(symbol, eMode)` gives the threshold and LTV that
 * apply: a target health factor is raised to what the LTV allows, so every loan can be opened.
 */
export function syntheticBook(count: number, seed: number, terms: (symbol: string, eMode: number) => { lt: number; ltv: number }): SyntheticLoan[] {
  const rand = mulberry32(seed);
  const pick = (options: [string, number][]) => {
    let u = rand();
    for (const [s, w] of options) if ((u -= w) <= 0) return s;
    return options[options.length - 1][0];
  };
  const loans: SyntheticLoan[] = [];
  for (let i = 0; i < count; i++) {
    let u = rand();
    const seg = BOOK_SEGMENTS.find((s) => (u -= s.share) <= 0) ?? BOOK_SEGMENTS[BOOK_SEGMENTS.length - 1];
    const collateral = pick(seg.collateral);
    const debt = pick(seg.debt);
    const { lt, ltv } = terms(collateral, seg.eMode);
    const floor = (lt / ltv) * 1.002; // a hair inside the LTV
    const hf = Math.max(floor, seg.hf[0] + rand() * (seg.hf[1] - seg.hf[0]));
    const collateralUsd = Math.min(MAX_COLLATERAL_USD, MEDIAN_COLLATERAL_USD * Math.exp(SIZE_SIGMA * normal(rand)));
    loans.push({ collateral, collateralUsd, debt, debtUsd: (collateralUsd * lt) / hf, eMode: seg.eMode, healthFactor: hf, kind: seg.kind });
  }
  return loans;
}
