import { expect } from "chai";
import { bestGatedRaise, buysSomething, candidateMmrs, deepensNow, MIN_REALISED_NOW_CUT, passesCostBenefit, projectedMove, raiseCostBenefit, shockFromImpact } from "../../../src/policy";
import { runScenario, type Position } from "../../../src/risk";
import { fragileBookNoSlippage, perpsBook, WEAK_LONG_COLLATERAL } from "./fixtures";

// fragileBook at MMR 8 %: 40 weak longs (10 ETH at $1,000, collateral 1111 × (1 + 0.002 i)), 40 longs at 2x, 20 shorts.
// At the −25 % target shock a weak long's equity is c − 2,500 and the liquidator's fee 1 % × 7,500 = 75:
// it leaves 2,575 − c of bad debt. The 2x longs keep 2,500 ≥ 8 % × 7,500; the shorts gain.
const risk = fragileBookNoSlippage();
const input = { snapshot: risk, market: risk.markets[0], mmrBps: 800n, targetShock: 0.25, direction: "down" as const };
const allWeakBadDebt = 40 * 2575 - WEAK_LONG_COLLATERAL; // 56,826.84

describe("the cost–benefit gate on an MMR raise", () => {
  it("weighs the bad debt a raise avoids at the target shock against the notional it forces out now", () => {
    // 1198 bps forces out every weak long (the thickest has 1111 × 1.078 = 1197.66 of margin on 10,000).
    const c = raiseCostBenefit(input, 1198n);
    expect(c.forcedPositions).to.equal(40);
    expect(c.forcedNotional).to.be.closeTo(400_000, 1e-6);
    expect(c.shortfallBefore).to.be.closeTo(allWeakBadDebt, 1e-6);
    expect(c.shortfallAfter).to.equal(0);
    expect(c.shortfallNow).to.equal(0); // each pays its 100 fee out of ≥ 1,111 of equity
    expect(c.avoidedBadDebt).to.be.closeTo(allWeakBadDebt, 1e-6);
    // 56,826.84 / 400,000 = 0.142: passes a bar of 0.1, fails one of 0.15.
    expect(passesCostBenefit(c, 0.1)).to.equal(true);
    expect(passesCostBenefit(c, 0.15)).to.equal(false);
  });

  it("counts only the positions a raise forces out: 1115 bps takes the two thinnest weak longs", () => {
    // Weak long i has margin 0.1111 (1 + 0.002 i): 1111 bps (i = 0), 1113.2 (i = 1), 1115.4 (i = 2): 1115 forces i = 0, 1.
    const c = raiseCostBenefit(input, 1115n);
    expect(c.forcedPositions).to.equal(2);
    expect(c.avoidedBadDebt).to.be.closeTo(2 * 2575 - 1111 * 2.002, 1e-6);
  });

  it("raises nothing for a book whose target shock leaves no bad debt", () => {
    const safe = { ...risk, positions: risk.positions.filter((p) => p.collateral >= 4000) };
    const c = raiseCostBenefit({ ...input, snapshot: safe }, 1200n);
    expect(c.forcedPositions).to.equal(0);
    expect(c.avoidedBadDebt).to.equal(0);
    expect("fail" in bestGatedRaise({ ...input, snapshot: safe }, 1200n, 0.1)).to.equal(true);
  });

  it("picks the raise with the largest net benefit that clears the bar, and refuses when none does", () => {
    // Each weak long forced out avoids 2,575 − c ≥ 1,377 for 10,000 of notional: above a 0.1 bar every time,
    // so the best is to force all of them out (1198); at 0.15 not even the thinnest one clears it.
    const best = bestGatedRaise(input, 1198n, 0.1);
    expect("pass" in best && best.pass.mmrBps).to.equal(1198n);
    const none = bestGatedRaise(input, 1198n, 0.15);
    expect("fail" in none).to.equal(true);
  });

  it("costs at most 24 candidate values plus the upper end, each where one more position becomes liquidatable", () => {
    const c = candidateMmrs(risk, risk.markets[0], 800n, 1198n);
    expect(c.length).to.equal(24); // 40 distinct thresholds thinned to 24 by rank; the thickest is 1198 itself
    expect(c[0] > 1111n && c[c.length - 1] === 1198n).to.equal(true);
    expect(candidateMmrs(risk, risk.markets[0], 800n, 1112n)).to.deep.equal([1112n]);
  });
});

describe("the projected move: what it liquidates anyway is not a cost of the raise", () => {
  // Under today's 8 % MMR a weak long (margin 1111–1198 on 10,000) is liquidated once ETH falls below 966.2–956.8
  // (c − 10 × (1000 − P) < 0.08 × 10 × P): a −3.4 % to −4.3 % move. The 2x longs hold to about $543.
  it("costs nothing for positions the projected move liquidates anyway: a −5 % move dooms every weak long", () => {
    const c = raiseCostBenefit({ ...input, projectedMove: 0.05 }, 1198n);
    expect(c.doomedPositions).to.equal(40);
    expect(c.doomedNotional).to.be.closeTo(400_000, 1e-6);
    expect(c.forcedPositions).to.equal(0);
    expect(c.forcedNotional).to.equal(0);
    expect(c.benefitShock).to.equal(0.25); // the target shock is the larger
    expect(c.avoidedBadDebt).to.be.closeTo(allWeakBadDebt, 1e-6);
    // The same raise fails a 0.15 bar in a calm market (56,826.84 / 400,000 = 0.142); closing the doomed sooner passes any bar.
    expect("pass" in bestGatedRaise({ ...input, projectedMove: 0.05 }, 1198n, 0.15)).to.equal(true);
    expect("fail" in bestGatedRaise(input, 1198n, 0.15)).to.equal(true);
  });

  it("still counts what a slower move spares: at −3.5 % only the thinnest weak longs are doomed", () => {
    // At $965 a weak long is liquidated while c < 8,889 + ... : 1111 × (1 + 0.002 i) < 10,000 − 9.2 × 965 = 1,122, i.e. i ≤ 4.
    const c = raiseCostBenefit({ ...input, projectedMove: 0.035 }, 1198n);
    expect(c.doomedPositions).to.equal(5);
    expect(c.forcedPositions).to.equal(35);
    expect(c.forcedNotional).to.be.closeTo(350_000, 1e-6);
  });

  it("takes the benefit at the projected move when it is larger than the target shock", () => {
    // At −40 % the 2x longs (margin 5,000) are still clear: 5,000 − 4,000 = 1,000 ≥ 8 % × 6,000 = 480, so the
    // shortfall avoided is the weak longs' at −40 %: each leaves 4,000 + 60 − c.
    const c = raiseCostBenefit({ ...input, projectedMove: 0.4 }, 1198n);
    expect(c.benefitShock).to.equal(0.4);
    expect(c.shortfallBefore).to.be.closeTo(40 * 4060 - WEAK_LONG_COLLATERAL, 1e-6);
    expect(c.forcedPositions).to.equal(0);
  });

  it("projects nothing in a calm market or when svr is the danger, and carries a live move at its speed, capped", () => {
    const j = { projectionSeconds: 180, maxProjectedMove: 0.5 };
    expect(projectedMove({ live: false, reason: "calm" }, j)).to.equal(0);
    expect(projectedMove({ live: true, reason: "svr is at act" }, j)).to.equal(0);
    expect(projectedMove({ live: true, direction: "down", speed: 0.001, reason: "" }, j)).to.be.closeTo(0.18, 1e-12);
    expect(projectedMove({ live: true, direction: "down", speed: 0.01, reason: "" }, j)).to.equal(0.5);
  });
});

describe("a raise that buys nothing", () => {
  it("is not made: forcing no one out avoids no bad debt at the target shock, and only liquidates sooner later", () => {
    // 1100 bps is under every weak long's margin (≥ 1111): no one is forced, nothing avoided, whatever the bar.
    const c = raiseCostBenefit(input, 1100n);
    expect(c.forcedPositions).to.equal(0);
    expect(buysSomething(c)).to.equal(false);
    expect("fail" in bestGatedRaise(input, 1100n, 0.0001)).to.equal(true);
  });
});

describe("the forced closes' price impact, priced into the gate", () => {
  const long = (id: string, collateral: number): Position => ({ account: id, id, market: "ETH-USD", side: 1, size: 10, entryPrice: 1000, collateral });
  // Two 10 ETH longs at $1,000, MMR 5 %: "thin" has 700 of margin (7 %), "survivor" 2,700 (27 %). A raise to 701 bps forces thin out.
  const book = (poolEth: number) => perpsBook([long("thin", 700), long("survivor", 2700)], { poolEth });
  const gateInput = (poolEth: number) => {
    const s = book(poolEth);
    return { snapshot: s, market: s.markets[0], mmrBps: 500n, targetShock: 0.25, direction: "down" as const };
  };

  it("compounds the target shock with the price the forced closes leave", () => {
    // From $980 the −25 % shock lands at 735, i.e. −26.5 % of today's $1,000.
    expect(shockFromImpact(1000, 980, -0.25)).to.be.closeTo(-0.265, 1e-12);
    expect(shockFromImpact(1000, 1000, -0.25)).to.equal(-0.25);
    expect(shockFromImpact(1000, 1020, 0.25)).to.be.closeTo(0.275, 1e-12);
  });

  it("counts the survivors' bad debt where the forced closes pushed a thin pool: the shock starts from there", () => {
    // Pool of 1,000 ETH: selling thin's 10 ETH takes the spot to 1000 × (1000/1010)² = $980.30. From there the −25 %
    // shock lands at $735.2, where survivor's equity is 2,700 − 10 × 264.8 = 52, short of the 73.5 fee and the slippage
    // of selling its 10 ETH: bad debt. From today's $1,000 it would land at $750 with 200 of equity and none.
    const c = raiseCostBenefit(gateInput(1000), 701n);
    expect(c.forcedPositions).to.equal(1);
    expect(c.shortfallNow).to.equal(0);
    const survivorOnly = perpsBook([long("survivor", 2700)], { poolEth: 1000, mmr: 0.0701 });
    expect(runScenario(survivorOnly, { ETH: -0.25 }).shortfall).to.equal(0); // what the gate counted before
    expect(c.shortfallAfter).to.be.greaterThan(21.5); // at least 73.5 − 52
    expect(c.shortfallAfter).to.be.closeTo(runScenario(survivorOnly, { ETH: shockFromImpact(1000, 1000 * (1000 / 1010) ** 2, -0.25) }).shortfall, 0.01);
    expect(c.avoidedBadDebt).to.be.closeTo(c.shortfallBefore - c.shortfallAfter, 1e-9);
    // A pool deep enough that the close moves nothing: the survivor ends clear, as before.
    expect(raiseCostBenefit(gateInput(1e9), 701n).shortfallAfter).to.equal(0);
  });

  it("refuses a raise whose forced closes leave bad debt now, however much they avoid at the target shock", () => {
    // Pool of 50 ETH: selling thin's 10 ETH takes the spot to 1000 × (50/60)² = $694, far below thin's margin (−7 %):
    // thin closes underwater, survivor follows. The target shock's figures favour the raise (it avoids more than
    // 0.1 × its forced notional), but it makes now the loss it was meant to avoid.
    const c = raiseCostBenefit(gateInput(50), 701n);
    expect(c.shortfallNow).to.be.greaterThan(1);
    expect(passesCostBenefit(c, 0.1)).to.equal(true);
    expect(deepensNow(c)).to.equal(true);
    expect(buysSomething(c)).to.equal(false);
    expect("fail" in bestGatedRaise(gateInput(50), 701n, 0.1)).to.equal(true);
  });

  it("takes bad debt realised now only for positions the projected move dooms, and only when it is clearly less than the move's own", () => {
    // The same 50 ETH pool. A −1 % projection spares both longs: their closes are forced, refused as above.
    const spared = raiseCostBenefit({ ...gateInput(50), projectedMove: 0.01 }, 701n);
    expect(spared.forcedPositions).to.equal(2);
    expect(deepensNow(spared)).to.equal(true);
    // −10 %: both are doomed, and the cascade the move itself sets off (the longs sold into the pool from $900)
    // leaves about half as much again as closing them now: taken.
    const fast = raiseCostBenefit({ ...gateInput(50), projectedMove: 0.1 }, 701n);
    expect([fast.forcedPositions, fast.doomedPositions]).to.deep.equal([0, 2]);
    expect(fast.shortfallNow).to.be.greaterThan(1);
    expect(fast.realisedNowCut).to.be.closeTo(0.498, 0.001);
    expect(deepensNow(fast)).to.equal(false);
    // −5 %: both doomed still, closing them now saves 24.8 % of what it realises: past the default tenth, short of a quarter.
    const slow = raiseCostBenefit({ ...gateInput(50), projectedMove: 0.05 }, 701n);
    expect(slow.doomedPositions).to.equal(2);
    expect(slow.realisedNowCut).to.be.closeTo(0.248, 0.001);
    expect(MIN_REALISED_NOW_CUT).to.equal(0.1);
    expect(deepensNow(slow)).to.equal(false);
    expect(deepensNow(slow, 0.25)).to.equal(true);
  });
});
