import { expect } from "chai";
import { assessDanger, DEFAULT_MARKET_POLICY, projectedMove, rememberMark, type MarkPoint } from "../../../src/policy";

const p = DEFAULT_MARKET_POLICY.judgment; // live under 180 s to break, 60 s lookback
const base = { now: 10_000, mark: 1000, breakingShock: { down: 0.058, up: 0.056 }, svrAtAct: false, forecastBreach: false };

describe("live danger: is the market moving toward the break, or is the book merely fragile?", () => {
  it("calls an ordinary hour's chop calm: −1 % in two minutes on a book 5.8 % from breaking is 696 s away", () => {
    // 1000 / 1010.1 − 1 = −1.0 % over 120 s: 0.01 / 120 per second; 0.058 / that = 696 s > 180 s.
    const d = assessDanger({ ...base, recent: [[9_880, 1010.10101]] }, p);
    expect(d.live).to.equal(false);
    expect(d.reason).to.match(/in 696 s/);
  });

  it("calls a crash live: −3.5 % in 24 s on the same book reaches the break in 40 s", () => {
    const d = assessDanger({ ...base, recent: [[9_976, 1000 / 0.965]] }, p);
    expect(d.live).to.equal(true);
    if (!d.live) return;
    expect(d.direction).to.equal("down");
    expect(d.secondsToBreak).to.be.closeTo((0.058 / 0.035) * 24, 1e-6);
  });

  it("measures the speed from the newest mark at least the lookback old, so a one-block blip does not count alone", () => {
    // Marks 100, 60 and 12 s ago: the newest at least 60 s old is the reference (1 % in 60 s → 348 s: calm), not the 12 s one (1 % in 12 s → 70 s).
    const recent: MarkPoint[] = [
      [9_900, 1020],
      [9_940, 1010.10101],
      [9_988, 1010.10101],
    ];
    const d = assessDanger({ ...base, recent }, p);
    expect(d.live).to.equal(false);
    expect(d.reason).to.match(/in 348 s/);
  });

  it("looks the way the market moves: a rally is measured against the up breaking shock", () => {
    const d = assessDanger({ ...base, recent: [[9_940, 1000 / 1.03]] }, p);
    expect(d.live).to.equal(true);
    if (d.live) {
      expect(d.direction).to.equal("up");
      expect(d.secondsToBreak).to.be.closeTo((0.056 / 0.03) * 60, 1e-6);
    }
    expect(assessDanger({ ...base, breakingShock: { down: 0.058, up: null }, recent: [[9_940, 1000 / 1.03]] }, p).live).to.equal(false);
  });

  it("is live whatever the price does when svr itself is at act or forecast to be, and calm without history", () => {
    expect(assessDanger({ ...base, recent: [], svrAtAct: true }, p).live).to.equal(true);
    expect(assessDanger({ ...base, recent: [], forecastBreach: true }, p).live).to.equal(true);
    expect(assessDanger({ ...base, recent: [] }, p).live).to.equal(false);
  });

  it("calls a break due before the keeper looks again live, whatever the configured horizon", () => {
    // −6.1 % in 300 s (the worst leg of March 2020, one observation every five minutes): the 5.8 % break is
    // 285 s away. Past 180 s, but the keeper will not look again for 300 s: live, and the move is projected
    // over those 300 s (−6.1 %), not 180 s.
    const d = assessDanger({ ...base, recent: [[9_700, 1000 / 0.939]] }, p);
    expect(d.live).to.equal(true);
    if (!d.live) return;
    expect(d.secondsToBreak).to.be.closeTo((0.058 / 0.061) * 300, 1e-6);
    expect(d.observationGap).to.equal(300);
    expect(projectedMove(d, { ...p, projectionSeconds: 180 })).to.be.closeTo(0.061, 1e-9);
    expect(projectedMove(d, p)).to.equal(0); // the projection is off by default
    // The same speed seen every 12 s: the keeper has time to look again; 285 s is past the 180 s horizon.
    const dense: MarkPoint[] = [];
    for (let t = 9_700; t < 10_000; t += 12) dense.push([t, 1000 / (1 - 0.061 * ((10_000 - t) / 300))]);
    expect(assessDanger({ ...base, recent: dense }, p).live).to.equal(false);
  });

  it("remembers only what the next lookback can need", () => {
    let recent: MarkPoint[] = [];
    for (let t = 0; t <= 120; t += 12) recent = rememberMark(recent, t, 1000 + t, 60);
    // At t = 120 the newest mark at least 60 s old is t = 60; everything before it is dropped.
    expect(recent.map(([t]) => t)).to.deep.equal([60, 72, 84, 96, 108, 120]);
    // A replayed observation (same time) replaces nothing twice.
    expect(rememberMark(recent, 120, 1120, 60).map(([t]) => t)).to.deep.equal([60, 72, 84, 96, 108, 120]);
  });
});
