import { RiskInputError } from "./errors";
import { logNormalCdf, normalCdf } from "./normal";

/** One observation of the ratio; `t` in seconds (block timestamps). */
export interface SvrObservation {
  t: number;
  svr: number;
}

export interface ForecastOptions {
  /** Threshold whose breach is forecast (e.g. the policy's `act` level). */
  threshold: number;
  /** Seconds ahead for the breach probability. */
  horizon: number;
  /** Observations used for the slope and the log-normal fit (the latest ones). Default 30. */
  window?: number;
  /** EWMA weight of the newest observation. Default 0.2. */
  alpha?: number;
}

export interface Forecast {
  latest: number;
  ewma: number;
  /** Least-squares slope of svr over the window, per second. */
  slope: number;
  /** Seconds until the fitted line reaches the threshold; 0 if already at or below; null if not heading there. */
  timeToThreshold: number | null;
  /** Drift and volatility of log svr per second, fitted to the window. */
  drift: number;
  volatility: number;
  /** P(svr touches the threshold within the horizon) under the fitted log-normal model. */
  breachProbability: number;
  observations: number;
}

/**
 * Forecast signals from a series of svr observations, oldest first.
 *
 * The probability of a breach treats log svr as Brownian motion with drift μ and volatility σ
 * (fitted to the window's log increments, each weighted by its time step) and gives the
 * first-passage probability of the level b = ln(threshold) from x₀ = ln(svr) within horizon H:
 * with a = x₀ − b > 0,  P = Φ((−a − μH)/(σ√H)) + exp(−2μa/σ²) · Φ((−a + μH)/(σ√H)).
 */
export function forecast(series: readonly SvrObservation[], opts: ForecastOptions): Forecast {
  if (!(opts.threshold > 0)) throw new RiskInputError("threshold", "must be > 0");
  if (!(opts.horizon > 0)) throw new RiskInputError("horizon", "must be > 0");
  if (series.length === 0) throw new RiskInputError("series", "needs at least one observation");
  series.forEach((o, i) => {
    if (!Number.isFinite(o.t)) throw new RiskInputError(`series[${i}].t`, "must be a finite number");
    if (!Number.isFinite(o.svr) || o.svr <= 0) throw new RiskInputError(`series[${i}].svr`, "must be a finite number > 0");
    if (i > 0 && o.t <= series[i - 1].t) throw new RiskInputError(`series[${i}].t`, "timestamps must increase");
  });
  const alpha = opts.alpha ?? 0.2;
  if (!(alpha > 0 && alpha <= 1)) throw new RiskInputError("alpha", "must be in (0, 1]");
  const window = series.slice(-Math.max(2, opts.window ?? 30));

  let ewma = series[0].svr;
  for (let i = 1; i < series.length; i++) ewma = alpha * series[i].svr + (1 - alpha) * ewma;

  const latest = series[series.length - 1].svr;
  const slope = leastSquaresSlope(window);
  let timeToThreshold: number | null;
  if (latest <= opts.threshold) timeToThreshold = 0;
  else if (slope < 0) timeToThreshold = (latest - opts.threshold) / -slope;
  else timeToThreshold = null;

  const { drift, volatility } = fitLogBrownian(window);
  const breachProbability = firstPassageProbability(Math.log(latest) - Math.log(opts.threshold), drift, volatility, opts.horizon);
  return { latest, ewma, slope, timeToThreshold, drift, volatility, breachProbability, observations: series.length };
}

export function leastSquaresSlope(points: readonly SvrObservation[]): number {
  const n = points.length;
  if (n < 2) return 0;
  let mt = 0;
  let my = 0;
  for (const p of points) {
    mt += p.t;
    my += p.svr;
  }
  mt /= n;
  my /= n;
  let num = 0;
  let den = 0;
  for (const p of points) {
    num += (p.t - mt) * (p.svr - my);
    den += (p.t - mt) ** 2;
  }
  return den > 0 ? num / den : 0;
}

/** μ = Σ Δx / Σ Δt; σ² = Σ (Δx − μΔt)² / Σ Δt — maximum likelihood for irregular steps. */
export function fitLogBrownian(points: readonly SvrObservation[]): { drift: number; volatility: number } {
  if (points.length < 2) return { drift: 0, volatility: 0 };
  let dx = 0;
  let dt = 0;
  for (let i = 1; i < points.length; i++) {
    dx += Math.log(points[i].svr) - Math.log(points[i - 1].svr);
    dt += points[i].t - points[i - 1].t;
  }
  const drift = dx / dt;
  let ss = 0;
  for (let i = 1; i < points.length; i++) {
    const step = points[i].t - points[i - 1].t;
    const e = Math.log(points[i].svr) - Math.log(points[i - 1].svr) - drift * step;
    ss += e * e; // each residual has variance σ²·step, so Σ e² / Σ step estimates σ²
  }
  return { drift, volatility: Math.sqrt(ss / dt) };
}

/** P(min over [0, H] of x₀ + μt + σW_t ≤ x₀ − a), for a distance a ≥ 0 to the barrier. */
export function firstPassageProbability(a: number, mu: number, sigma: number, horizon: number): number {
  if (a <= 0) return 1;
  const s = sigma * Math.sqrt(horizon);
  // A volatility that is noise next to the drift: the path is the drift line.
  if (!(s > 1e-12 * Math.max(a, Math.abs(mu) * horizon))) return mu * horizon <= -a ? 1 : 0;
  // The second term multiplies a possibly huge exponential by a tiny tail: add them as logarithms.
  const second = Math.exp(logNormalCdf((-a + mu * horizon) / s) - (2 * mu * a) / (sigma * sigma));
  const p = normalCdf((-a - mu * horizon) / s) + second;
  return Math.min(1, Math.max(0, Number.isFinite(p) ? p : 1));
}
