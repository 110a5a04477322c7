/**
 * Value at Risk over sampled, correlated, fat-tailed shock vectors, each run through its cascade.
 *
 * The stated model: log returns over the horizon are multivariate Student-t with ν degrees of freedom,
 * scaled so that their covariance is diag(σ)·R·diag(σ) whatever ν (r = σ ⊙ L·z · √((ν − 2)/W), z
 * standard normal, L the Cholesky factor of R, W ~ χ²_ν shared by all assets: when one asset has a
 * tail day, they all do). A sample's shock to an asset is e^r − 1 (never −100 %). Seeded (mulberry32),
 * so a report replays. Assets the model does not name do not move.
 *
 * Tail figures over n samples: the tail at confidence α is the k = ⌈(1 − α)·n⌉ largest losses; VaR
 * (p95, p99) is the smallest of them, expected shortfall (es95, es99) their mean.
 */
import type { CompiledBook } from "./book";
import { RiskInputError } from "./errors";
import { prefixEngine } from "./prefix-cascade";
import { runScenario, type ScenarioResult } from "./cascade";
import { mulberry32, normal } from "../util/prng";

export interface ShockModel {
  /** Asset ids that move. */
  assets: string[];
  /** Standard deviation of each asset's log return over the horizon (0.05: 5 %). */
  volatility: number[];
  /** Correlation matrix, assets × assets: symmetric, unit diagonal, positive definite. */
  correlation: number[][];
  /** Student-t degrees of freedom (> 2); smaller is fatter-tailed. */
  degreesOfFreedom: number;
  samples: number;
  seed: number;
  /** What the horizon is, for the description (e.g. "1 day"). */
  horizon: string;
}

export interface TailFigures {
  p95: number;
  p99: number;
  es95: number;
  es99: number;
}

export interface ValueAtRiskReport {
  /** The model in one sentence, as shown to operators. */
  model: string;
  samples: number;
  seed: number;
  cascade: ScenarioResult["cascade"];
  protocols: {
    protocol: string;
    insuranceFund: number;
    /** Bad debt the cascades leave before the insurance fund. */
    loss: TailFigures;
    /** What the insurance fund does not cover. */
    shortfall: TailFigures;
  }[];
  /**
   * Per market: its own positions' bad debt in the joint cascades (every market shocked together),
   * and what is left of it after its protocol's whole insurance fund. Empty when the walk ran (the
   * walk keeps deficits per protocol only).
   */
  markets: { market: string; protocol: string; loss: TailFigures; shortfall: TailFigures }[];
}

/** n sampled shock vectors, row-major: sample s moves model.assets[a] by out[s·A + a]. */
export function sampleShocks(model: ShockModel): Float64Array {
  validateModel(model);
  const A = model.assets.length;
  const L = cholesky(model.correlation);
  const nu = model.degreesOfFreedom;
  const rand = mulberry32(model.seed);
  const out = new Float64Array(model.samples * A);
  const z = new Float64Array(A);
  for (let s = 0; s < model.samples; s++) {
    for (let a = 0; a < A; a++) z[a] = normal(rand);
    const w = 2 * gamma(nu / 2, rand); // χ²_ν
    const scale = Math.sqrt((nu - 2) / w);
    for (let a = 0; a < A; a++) {
      let x = 0;
      for (let b = 0; b <= a; b++) x += L[a * A + b] * z[b];
      out[s * A + a] = Math.expm1(model.volatility[a] * x * scale);
    }
  }
  return out;
}

/** Cascades every sampled shock vector over the book; tail figures per protocol and market. */
export function valueAtRisk(book: CompiledBook, model: ShockModel, shocks: Float64Array = sampleShocks(model)): ValueAtRiskReport {
  validateModel(model);
  const A = model.assets.length;
  const n = model.samples;
  if (shocks.length !== n * A) throw new RiskInputError("shocks", `expected ${n} × ${A} values, got ${shocks.length}`);
  const assetIndex = model.assets.map((id, i) => {
    const k = book.assets.findIndex((a) => a.id === id);
    if (k < 0) throw new RiskInputError(`valueAtRisk.assets[${i}]`, `"${id}" is not an asset of the book`);
    return k;
  });
  const P = book.protocols.length;
  const M = book.markets.length;
  const protocolLoss = Array.from({ length: P }, () => new Float64Array(n));
  const marketLoss = Array.from({ length: M }, () => new Float64Array(n));
  const base = Float64Array.from(book.assets, (a) => a.price);
  const prices = new Float64Array(book.assets.length);

  let cascade: ValueAtRiskReport["cascade"];
  if (book.prefix.kind === "ready") {
    cascade = { path: "prefix" };
    const engine = prefixEngine(book, book.prefix);
    for (let s = 0; s < n; s++) {
      prices.set(base);
      for (let a = 0; a < A; a++) prices[assetIndex[a]] = base[assetIndex[a]] * (1 + shocks[s * A + a]);
      const t = engine.run(prices, book.n);
      for (let p = 0; p < P; p++) protocolLoss[p][s] = t.deficit[p];
      for (let m = 0; m < M; m++) marketLoss[m][s] = t.marketDeficit[m];
    }
  } else {
    cascade = book.accounts ? { path: "accounts" } : { path: "walk", reason: book.prefix.reason };
    for (let s = 0; s < n; s++) {
      const vector: Record<string, number> = {};
      for (let a = 0; a < A; a++) vector[model.assets[a]] = shocks[s * A + a];
      const r = runScenario(book, vector);
      for (let p = 0; p < P; p++) protocolLoss[p][s] = r.protocols[p].deficit;
    }
  }

  return {
    model: describeModel(model),
    samples: n,
    seed: model.seed,
    cascade,
    protocols: book.protocols.map((pr, p) => ({ protocol: pr.id, insuranceFund: pr.insuranceFund, ...tails(protocolLoss[p], pr.insuranceFund) })),
    markets:
      cascade.path === "prefix" ? book.markets.map((mk, m) => ({ market: mk.id, protocol: book.protocols[mk.protocol].id, ...tails(marketLoss[m], book.protocols[mk.protocol].insuranceFund) })) : [],
  };
}

/** Tail figures of a loss sample and of what is left of it after a fund (sorts `losses` in place). */
export function tails(losses: Float64Array, fund: number): { loss: TailFigures; shortfall: TailFigures } {
  losses.sort();
  const n = losses.length;
  const at = (alpha: number) => {
    const k = Math.max(1, Math.ceil((1 - alpha) * n - 1e-9));
    let loss = 0;
    let short = 0;
    for (let i = n - k; i < n; i++) {
      loss += losses[i];
      short += Math.max(0, losses[i] - fund);
    }
    return { varLoss: losses[n - k], esLoss: loss / k, varShort: Math.max(0, losses[n - k] - fund), esShort: short / k };
  };
  if (n === 0) return { loss: { p95: 0, p99: 0, es95: 0, es99: 0 }, shortfall: { p95: 0, p99: 0, es95: 0, es99: 0 } };
  const a = at(0.95);
  const b = at(0.99);
  return {
    loss: { p95: a.varLoss, p99: b.varLoss, es95: a.esLoss, es99: b.esLoss },
    shortfall: { p95: a.varShort, p99: b.varShort, es95: a.esShort, es99: b.esShort },
  };
}

export function describeModel(m: ShockModel): string {
  const vols = m.assets.map((a, i) => `${a} ${(m.volatility[i] * 100).toFixed(1)} %`).join(", ");
  const corr = m.assets.length > 1 ? `, correlation ${offDiagonal(m.correlation)}` : "";
  return `multivariate Student-t (ν = ${m.degreesOfFreedom}) log returns over ${m.horizon}, σ ${vols}${corr}; ${m.samples} samples, seed ${m.seed}; other assets do not move`;
}

function offDiagonal(r: number[][]): string {
  const values = new Set<number>();
  for (let i = 0; i < r.length; i++) for (let j = 0; j < i; j++) values.add(r[i][j]);
  return values.size === 1 ? `${[...values][0]} between every pair` : "as configured";
}

function validateModel(m: ShockModel): void {
  const A = m.assets.length;
  if (new Set(m.assets).size !== A) throw new RiskInputError("valueAtRisk.assets", "an asset is named twice");
  if (!Number.isInteger(m.samples) || m.samples < 1) throw new RiskInputError("valueAtRisk.samples", `must be an integer ≥ 1 (got ${m.samples})`);
  if (!Number.isInteger(m.seed)) throw new RiskInputError("valueAtRisk.seed", `must be an integer (got ${m.seed})`);
  if (!(m.degreesOfFreedom > 2) || !Number.isFinite(m.degreesOfFreedom))
    throw new RiskInputError("valueAtRisk.degreesOfFreedom", `must be > 2 (got ${m.degreesOfFreedom}): the variance is infinite at 2 and below`);
  if (m.volatility.length !== A) throw new RiskInputError("valueAtRisk.volatility", `needs one value per asset (${A})`);
  m.volatility.forEach((v, i) => {
    if (!(v >= 0) || !Number.isFinite(v)) throw new RiskInputError(`valueAtRisk.volatility[${i}]`, `must be ≥ 0 (got ${v})`);
  });
  if (m.correlation.length !== A || m.correlation.some((row) => row.length !== A)) throw new RiskInputError("valueAtRisk.correlation", `must be ${A} × ${A}`);
  for (let i = 0; i < A; i++) {
    if (m.correlation[i][i] !== 1) throw new RiskInputError(`valueAtRisk.correlation[${i}][${i}]`, "the diagonal must be 1");
    for (let j = 0; j < i; j++) {
      const c = m.correlation[i][j];
      if (c !== m.correlation[j][i] || !(c >= -1 && c <= 1)) throw new RiskInputError(`valueAtRisk.correlation[${i}][${j}]`, `must be in [−1, 1] and symmetric (got ${c})`);
    }
  }
}

/** Lower-triangular L with L·Lᵀ = R, row-major; refuses a matrix that is not positive definite. */
function cholesky(r: number[][]): Float64Array {
  const A = r.length;
  const L = new Float64Array(A * A);
  for (let i = 0; i < A; i++) {
    for (let j = 0; j <= i; j++) {
      let s = r[i][j];
      for (let k = 0; k < j; k++) s -= L[i * A + k] * L[j * A + k];
      if (i === j) {
        if (!(s > 1e-12)) throw new RiskInputError("valueAtRisk.correlation", "must be positive definite");
        L[i * A + i] = Math.sqrt(s);
      } else L[i * A + j] = s / L[j * A + j];
    }
  }
  return L;
}

/** Gamma(shape, 1) by Marsaglia and Tsang (shape ≥ 1 here: ν > 2). */
function gamma(shape: number, rand: () => number): number {
  const d = shape - 1 / 3;
  const c = 1 / Math.sqrt(9 * d);
  for (;;) {
    const x = normal(rand);
    const v = (1 + c * x) ** 3;
    if (v <= 0) continue;
    const u = rand();
    if (Math.log(Math.max(u, 1e-300)) < 0.5 * x * x + d - d * v + d * Math.log(v)) return d * v;
  }
}

/** What an operator may set; the rest defaults to DEFAULT_SHOCK_SETTINGS. */
export interface ShockModelSettings {
  samples?: number;
  seed?: number;
  degreesOfFreedom?: number;
  horizon?: string;
  /** σ of the log return over the horizon, per asset id; assets not named take `defaultVolatility`. */
  volatility?: Record<string, number>;
  defaultVolatility?: number;
  /** One correlation between every pair of moving assets. */
  correlation?: number;
}

/**
 * Defaults: one day; σ 5 % a day for every traded asset (ETH's realised daily volatility is
 * typically 3–5 %); ρ 0.8 between every pair (correlations approach one in a crash); ν = 4 (crypto's
 * daily returns have tails about that heavy); 10,000 samples, seed 1.
 */
export const DEFAULT_SHOCK_SETTINGS: Required<Omit<ShockModelSettings, "volatility">> = {
  samples: 10_000,
  seed: 1,
  degreesOfFreedom: 4,
  horizon: "1 day",
  defaultVolatility: 0.05,
  correlation: 0.8,
};

/** The model for a book: every asset a market trades moves; assets held only as collateral (stablecoins) do not. */
export function shockModelFor(book: CompiledBook, settings: ShockModelSettings = {}): ShockModel {
  const s = { ...DEFAULT_SHOCK_SETTINGS, ...settings };
  const assets = [...new Set(book.markets.map((m) => book.assets[m.asset].id))];
  for (const id of Object.keys(settings.volatility ?? {})) {
    if (!book.assets.some((a) => a.id === id)) throw new RiskInputError(`valueAtRisk.volatility.${id}`, "not an asset of the book");
  }
  return {
    assets,
    volatility: assets.map((id) => settings.volatility?.[id] ?? s.defaultVolatility),
    correlation: assets.map((_, i) => assets.map((__, j) => (i === j ? 1 : s.correlation))),
    degreesOfFreedom: s.degreesOfFreedom,
    samples: s.samples,
    seed: s.seed,
    horizon: s.horizon,
  };
}
