import { expect } from "chai";
import { firstPassageProbability, forecast, normalCdf, RiskInputError } from "../../../src/risk";
import { close } from "./books";

describe("forecast signals", () => {
  it("computes Φ to double precision at known points", () => {
    expect(close(normalCdf(-1), 0.15865525393145707, 1e-13)).to.equal(true);
    expect(close(normalCdf(1.96), 0.9750021048517795, 1e-13)).to.equal(true);
    expect(close(normalCdf(-5), 2.866515718791939e-7, 1e-10)).to.equal(true);
    expect(close(normalCdf(-8), 6.22096057427178e-16, 1e-9)).to.equal(true);
  });

  it("recovers the slope and time to threshold of a straight decline", () => {
    // svr = 2 − 0.001·t for t = 0…99: slope −0.001; latest 1.901; reaches 1.5 in 401 s.
    const series = Array.from({ length: 100 }, (_, t) => ({ t, svr: 2 - 0.001 * t }));
    const f = forecast(series, { threshold: 1.5, horizon: 60, window: 100 });
    expect(close(f.slope, -0.001)).to.equal(true);
    expect(close(f.latest, 1.901)).to.equal(true);
    expect(close(f.timeToThreshold, 401)).to.equal(true);
    const rising = forecast(
      series.map((o) => ({ t: o.t, svr: 1 + 0.001 * o.t })),
      { threshold: 0.5, horizon: 60 },
    );
    expect(rising.timeToThreshold).to.equal(null);
  });

  it("weights recent observations in the EWMA", () => {
    const f = forecast(
      [
        { t: 0, svr: 1 },
        { t: 1, svr: 2 },
        { t: 2, svr: 4 },
      ],
      { threshold: 0.5, horizon: 1, alpha: 0.5 },
    );
    expect(f.ewma).to.equal(2.75); // 1 → 1.5 → 2.75
  });

  it("fits drift and volatility of log svr exactly on a constructed series", () => {
    // Increments μΔt ± σ√Δt alternating, Δt = 2: the estimator returns μ and σ exactly.
    const mu = -0.002;
    const sigma = 0.01;
    const series = [{ t: 0, svr: 1.5 }];
    for (let i = 1; i <= 40; i++) {
      const prev = series[i - 1];
      const step = mu * 2 + (i % 2 ? 1 : -1) * sigma * Math.SQRT2;
      series.push({ t: i * 2, svr: prev.svr * Math.exp(step) });
    }
    const f = forecast(series, { threshold: 1.2, horizon: 100, window: 41 });
    expect(close(f.drift, mu, 1e-9)).to.equal(true);
    expect(close(f.volatility, sigma, 1e-9)).to.equal(true);
  });

  it("gives the first-passage probability of the log-normal model", () => {
    // No drift: P = 2Φ(−a/(σ√H)); with a = σ√H that is 2Φ(−1).
    expect(close(firstPassageProbability(0.1, 0, 0.01, 100), 2 * 0.15865525393145707, 1e-12)).to.equal(true);
    // No volatility: a certain breach iff the drift covers the distance within the horizon.
    expect(firstPassageProbability(0.1, -0.001, 0, 99)).to.equal(0);
    expect(firstPassageProbability(0.1, -0.001, 0, 100)).to.equal(1);
    // Already through the barrier.
    expect(firstPassageProbability(-0.01, 0, 0.1, 1)).to.equal(1);
    // Drift toward the barrier raises the probability, away lowers it.
    const base = firstPassageProbability(0.1, 0, 0.01, 100);
    expect(firstPassageProbability(0.1, -0.0005, 0.01, 100)).to.be.greaterThan(base);
    expect(firstPassageProbability(0.1, 0.0005, 0.01, 100)).to.be.lessThan(base);
  });

  it("refuses a series with bad points, naming the field", () => {
    expect(() => forecast([{ t: 0, svr: Number.NaN }], { threshold: 1, horizon: 1 })).to.throw(RiskInputError, "series[0].svr");
    expect(() =>
      forecast(
        [
          { t: 5, svr: 1 },
          { t: 5, svr: 1 },
        ],
        { threshold: 1, horizon: 1 },
      ),
    ).to.throw(RiskInputError, "series[1].t");
  });
});
