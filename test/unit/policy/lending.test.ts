import { expect } from "chai";
import {
  backingOf,
  candidateThresholds,
  liquidateUnder,
  planLending,
  planReserveRelax,
  recoveredLevers,
  reserveBreakingShock,
  thresholdCut,
  type LendingAccount,
  type LendingBook,
  type LendingContext,
  type ReserveParams,
} from "../../../src/policy/lending";
import type { ParamBounds } from "../../../src/domain/protocol-state";
import type { Snapshot } from "../../../src/risk";

const WETH = "0x00000000000000000000000000000000000000e1";
const USDC = "0x00000000000000000000000000000000000000c1";

const rule = (min: bigint, max: bigint): ParamBounds => ({ min, max, mode: "relative", maxTighten: 1500n, maxLoosen: 500n, tightenDelay: 60n, loosenDelay: 21_600n, lastUpdate: 0n });
const bounds = {
  [WETH]: { LTV: rule(1000n, 8000n), LIQ_THRESHOLD: rule(2000n, 8250n), LIQ_BONUS: rule(10_100n, 11_500n), SUPPLY_CAP: rule(1n, 10n ** 9n), BORROW_CAP: rule(1n, 10n ** 9n) },
  [USDC]: { LTV: rule(1000n, 7700n), LIQ_THRESHOLD: rule(2000n, 8000n), LIQ_BONUS: rule(10_100n, 11_500n), SUPPLY_CAP: rule(1n, 10n ** 12n), BORROW_CAP: rule(1n, 10n ** 12n) },
};
const reserves: Record<string, ReserveParams> = {
  [WETH]: { ltvBps: 8000n, liquidationThresholdBps: 8250n, liquidationBonusBps: 10_500n, supplyCap: 100_000n, borrowCap: 80_000n, debt: 0n, decimals: 18 },
  [USDC]: { ltvBps: 7700n, liquidationThresholdBps: 8000n, liquidationBonusBps: 10_450n, supplyCap: 10n ** 9n, borrowCap: 1_000_000n, debt: 198_000n * 10n ** 6n, decimals: 6 },
};

/** A borrower of USDC against WETH, in USD; `eMode` holdings follow their category (93 %, 1 % bonus), not the reserve. */
const borrower = (account: string, wethUsd: number, usdcDebt: number, eMode = false): LendingAccount => ({
  account,
  collateral: [{ reserve: WETH, usd: wethUsd, liquidationThreshold: eMode ? 0.93 : 0.825, liquidationBonus: eMode ? 1.01 : 1.05, reserveGoverned: !eMode }],
  debt: [{ reserve: USDC, usd: usdcDebt }],
});

// A: health 1.18; B: health 1.06, broken by a 18 % fall of WETH; C: in eMode, far from danger.
const book: LendingBook = { accounts: [borrower("A", 100_000, 70_000), borrower("B", 100_000, 78_000), borrower("C", 100_000, 50_000, true)] };

/** The same book as the account engine reads it: WETH at $1,000 (beta 1), USDC at $1 (beta 0), Aave's rules; eMode category 1 is 93 % / 1 %. */
function engineBook(b: LendingBook): Snapshot {
  const units = (reserve: string, usd: number) => (reserve === WETH ? usd / 1000 : usd);
  return {
    protocol: "aave",
    block: 1,
    timestamp: 1,
    assets: [
      { id: WETH, price: 1000, amount: 0, haircut: 0.175, liquidity: { kind: "none" } },
      { id: USDC, price: 1, amount: 0, haircut: 0.2, liquidity: { kind: "none" }, beta: 0 },
    ],
    markets: [],
    positions: [],
    insuranceFund: 0,
    accounts: b.accounts.map((a) => ({
      id: a.account,
      family: "aaveV3" as const,
      eModeCategory: a.collateral.some((c) => !c.reserveGoverned) ? 1 : 0,
      collateral: a.collateral.map((c) => ({ asset: c.reserve, amount: units(c.reserve, c.usd) })),
      debts: a.debt.map((d) => ({ asset: d.reserve, amount: units(d.reserve, d.usd) })),
    })),
    lending: {
      reserves: [
        { asset: WETH, liquidationThreshold: 0.825, liquidationBonus: 0.05, protocolFee: 0, eModeCategory: 1 },
        { asset: USDC, liquidationThreshold: 0.8, liquidationBonus: 0.045, protocolFee: 0, eModeCategory: 0 },
      ],
      eModeCategories: [{ id: 1, liquidationThreshold: 0.93, liquidationBonus: 0.01 }],
    },
  };
}

const live = () => ({ live: true as const, reason: "WETH is falling fast" });
const calm = () => ({ live: false as const, reason: "the mark is not moving toward a breaking shock" });
const critical = (b: LendingBook, targetShock: number, extra: Partial<LendingContext> = {}): LendingContext => ({
  book: b,
  breached: [{ market: USDC, level: "critical", targetShock }],
  reserves,
  bounds,
  now: 1_000,
  risk: engineBook(b),
  danger: live,
  ...extra,
});

describe("lending planner (Aave V3 levers, gentle first)", () => {
  it("finds the collateral backing a debt market and the smallest WETH fall that leaves bad debt", () => {
    expect(backingOf(book, USDC)).to.deep.equal([WETH]);
    // B: collateral ÷ bonus = 95,238 against 78,000 of debt → (95,238 − 78,000) / 95,238.
    expect(reserveBreakingShock(book, WETH)).to.be.closeTo(1 - 78_000 / (100_000 / 1.05), 1e-12);
  });

  it("at act: cuts WETH's LTV to where a loan at the maximum survives the target move, and USDC's borrow cap toward its debt; the threshold is not touched", () => {
    const plan = planLending({ book, breached: [{ market: USDC, level: "act", targetShock: 0.25 }], reserves, bounds, now: 1_000 });
    const kinds = plan.decisions.map((d) => d.action);
    // (1 − 0.25) / 1.05 = 0.71428… → 7142 bps, within one 15 % step of 8000 (floor 6800).
    // Compare-and-set: each action names the values it replaces.
    expect(kinds).to.deep.include({
      kind: "setReserveRisk",
      market: WETH,
      ltvBps: 7142n,
      liquidationThresholdBps: 8250n,
      liquidationBonusBps: 10_500n,
      expected: { ltvBps: 8000n, liquidationThresholdBps: 8250n, liquidationBonusBps: 10_500n },
    });
    // Debt is 198,000 USDC; one step takes the cap from 1,000,000 to 850,000 at most. Supply cap unchanged.
    expect(kinds).to.deep.include({ kind: "setReserveCaps", market: USDC, supplyCap: 10n ** 9n, borrowCap: 850_000n, expected: { supplyCap: 10n ** 9n, borrowCap: 1_000_000n } });
    expect(plan.decisions).to.have.length(2);
  });

  it("at critical, against live danger: lowers WETH's threshold to force out the borrower the move would bankrupt, costed by the account engine", () => {
    const plan = planLending(critical(book, 0.25));
    const risk = plan.decisions.find((d) => d.action.kind === "setReserveRisk")!;
    // B's health is exactly 1 at 7800 bps: 7799 is the smallest cut that puts it under, and A (under at 6999) stays.
    expect(candidateThresholds(book, WETH, 8250n, 7013n)).to.deep.equal([7799n, 7013n]);
    expect(risk.action).to.deep.include({ ltvBps: 7142n, liquidationThresholdBps: 7799n });
    const c = thresholdCut(engineBook(book), WETH, 7799n, 0.25);
    expect(c.forcedAccounts).to.deep.equal(["B"]);
    // B repays half its debt now; at −25 % it would have left 78,000 − 75,000 / 1.05 = $6,571 of bad debt, and now leaves none.
    expect(c.forcedNowUsd).to.be.closeTo(39_000, 1e-6);
    expect(c.badDebtBeforeUsd).to.be.closeTo(78_000 - 75_000 / 1.05, 1e-6);
    expect(c.badDebtAfterUsd).to.equal(0);
    expect(c.avoidedUsd).to.be.closeTo(c.badDebtBeforeUsd, 1e-6);
    // The cost is the debt forced out now (certain), the larger figure here: $6,571 for $39,000 clears the 0.1 bar.
    expect(c.costUsd).to.equal(Math.max(c.forcedNowUsd, c.forcedBeyondMoveUsd));
    expect(c.costUsd).to.equal(c.forcedNowUsd);
    expect(c.avoidedUsd).to.be.at.least(0.1 * c.costUsd);
    expect(risk.note).to.match(/forces 1 borrower\(s\) out now/);
    expect(risk.before!).to.be.lessThan(0.25);
    expect(risk.after!).to.be.at.least(0.25);
    // The eMode holder (C) keeps its category's 93 %: the reserve's threshold does not reach it.
    expect(liquidateUnder(book, WETH, 0.3).accounts[2]).to.equal(book.accounts[2]);
    expect(reserveBreakingShock(liquidateUnder(book, WETH, 0.78), WETH)).to.equal(reserveBreakingShock(book, WETH));
  });

  it("a fragile book in a calm market gets no threshold cut: the LTV cut goes, the deferral says the danger is not live", () => {
    const plan = planLending(critical(book, 0.25, { danger: calm }));
    const risk = plan.decisions.find((d) => d.action.kind === "setReserveRisk")!;
    expect(risk.action).to.deep.include({ ltvBps: 7142n, liquidationThresholdBps: 8250n });
    expect(plan.deferred.map((d) => d.reason).join(" ")).to.match(/danger is not live \(the mark is not moving/);
    // Without a danger judge at all, never live either.
    expect(planLending(critical(book, 0.25, { danger: undefined })).decisions.find((d) => d.action.kind === "setReserveRisk")!.action).to.deep.include({ liquidationThresholdBps: 8250n });
  });

  it("refuses a threshold cut whose lower threshold makes the move liquidate more than the bad debt it avoids is worth", () => {
    // X breaks at a 16 % fall and leaves $952 of bad debt at the 17 % target. Forcing it out now (7999 bps, or the
    // step's floor, 7013) avoids that, but under the lower threshold the move then liquidates A in full instead of
    // half, and X again: $16,000 or more of debt liquidated beyond what the move alone would, for $952.
    const thin: LendingBook = { accounts: [borrower("X", 100_000, 80_000), borrower("A", 100_000, 70_000)] };
    const plan = planLending(critical(thin, 0.17));
    const risk = plan.decisions.find((d) => d.action.kind === "setReserveRisk");
    expect(risk?.action).to.deep.include({ liquidationThresholdBps: 8250n }); // the LTV cut still goes
    const c = thresholdCut(engineBook(thin), WETH, 7999n, 0.17);
    expect(c.forcedAccounts).to.deep.equal(["X"]);
    expect(c.avoidedUsd).to.be.closeTo(80_000 - 83_000 / 1.05, 1e-6);
    expect(c.forcedBeyondMoveUsd).to.be.greaterThan(10 * c.avoidedUsd);
    expect(plan.deferred.map((d) => d.reason).join(" ")).to.match(/no threshold cut passes the gate: 7999 bps forces 1 borrower/);
  });

  it("weighs the bad debt a cut avoids against the debt it forces out now, not only what it liquidates beyond the move", () => {
    // Y (health 1.13) would be liquidated by the 25 % move anyway and leave 73,000 − 75,000 / 1.05 = $1,571 of bad debt:
    // forcing it out now (7299 bps) avoids that, and liquidates beyond the move only what it avoids. But it repays
    // $36,500 now, for certain, for a move that may not come: 0.04 per dollar, under the 0.1 bar.
    const y: LendingBook = { accounts: [borrower("Y", 100_000, 73_000)] };
    const c = thresholdCut(engineBook(y), WETH, 7299n, 0.25);
    expect(c.forcedAccounts).to.deep.equal(["Y"]);
    expect(c.avoidedUsd).to.be.closeTo(73_000 - 75_000 / 1.05, 1e-6);
    expect(c.forcedBeyondMoveUsd).to.be.closeTo(c.avoidedUsd, 1e-6);
    expect(c.forcedNowUsd).to.be.closeTo(36_500, 1e-6);
    expect(c.costUsd).to.equal(c.forcedNowUsd);
    const plan = planLending(critical(y, 0.25));
    expect(plan.decisions.find((d) => d.action.kind === "setReserveRisk")?.action).to.deep.include({ liquidationThresholdBps: 8250n });
    expect(plan.deferred.map((d) => d.reason).join(" ")).to.match(/no threshold cut passes the gate: .* per dollar of cost/);
  });

  it("under the aave-production profile's steps a threshold cut stops at an LTV that cannot come down with it", () => {
    const abs = (min: bigint, max: bigint, lastUpdate = 0n): ParamBounds => ({
      min,
      max,
      mode: "absolute",
      maxTighten: 50n,
      maxLoosen: 50n,
      tightenDelay: 259_200n,
      loosenDelay: 259_200n,
      lastUpdate,
    });
    // T's health is 1.0036 at 8250 bps: 8219 puts it under, within one 50 bps step.
    const tight: LendingBook = { accounts: [borrower("T", 100_000, 82_200)] };
    const at8230 = { ...reserves, [WETH]: { ...reserves[WETH], ltvBps: 8230n } };
    const free = { ...bounds, [WETH]: { ...bounds[WETH], LTV: abs(1000n, 8230n), LIQ_THRESHOLD: abs(2000n, 8250n) } };
    const moved = planLending(critical(tight, 0.25, { bounds: free, reserves: at8230 })).decisions.find((d) => d.action.kind === "setReserveRisk");
    // The LTV comes down its own 50 bps step, the threshold to 8219.
    expect(moved?.action).to.deep.include({ ltvBps: 8180n, liquidationThresholdBps: 8219n });
    // The LTV was cut at t = 900 and its 3-day delay runs: the threshold may not pass it (Aave requires LTV ≤ threshold), so T cannot be reached.
    const waiting = { ...free, [WETH]: { ...free[WETH], LTV: abs(1000n, 8230n, 900n) } };
    const plan = planLending(critical(tight, 0.25, { bounds: waiting, reserves: at8230 }));
    expect(plan.decisions.filter((d) => d.action.kind === "setReserveRisk")).to.deep.equal([]);
    expect(plan.deferred.map((d) => d.reason).join(" ")).to.match(/tightening delay for LTV has 259100s left; no threshold cut passes the gate: 8230 bps forces 0 borrower/);
  });

  it("waits for the steward's tightening delay and never lifts an unset (0 = unlimited) cap", () => {
    const recent = { ...bounds, [WETH]: { ...bounds[WETH], LTV: { ...bounds[WETH].LTV, lastUpdate: 990n } } };
    const plan = planLending({
      book,
      breached: [{ market: USDC, level: "act", targetShock: 0.25 }],
      reserves: { ...reserves, [USDC]: { ...reserves[USDC], borrowCap: 0n } },
      bounds: recent,
      now: 1_000,
    });
    expect(plan.decisions).to.deep.equal([]);
    expect(plan.deferred.map((d) => d.reason)).to.deep.equal([
      "the borrow cap is unset (0 means unlimited on Aave): only governance can set a first cap",
      "the steward's tightening delay for LTV has 50s left",
    ]);
  });

  describe("relaxation after a recovery", () => {
    const baseline = { ltvBps: 8000n, liquidationThresholdBps: 8250n, borrowCap: 80_000n };
    const cut = { ...reserves[WETH], ltvBps: 7142n, liquidationThresholdBps: 7500n, borrowCap: 40_000n };
    const now = 100_000;
    const both = { risk: true, borrowCap: true };

    it("gives back the threshold, the LTV and the borrow cap one loosening step (5 %) each, with the values it expects to replace", () => {
      const relax = planReserveRelax(WETH, cut, baseline, bounds[WETH], now, both);
      expect(relax.map((r) => r.action)).to.deep.equal([
        {
          kind: "setReserveRisk",
          market: WETH,
          ltvBps: 7499n, // 7142 × 1.05, rounded down
          liquidationThresholdBps: 7875n,
          liquidationBonusBps: 10_500n,
          expected: { ltvBps: 7142n, liquidationThresholdBps: 7500n, liquidationBonusBps: 10_500n },
        },
        { kind: "setReserveCaps", market: WETH, supplyCap: 100_000n, borrowCap: 42_000n, expected: { supplyCap: 100_000n, borrowCap: 40_000n } },
      ]);
      expect(relax[0].note).to.equal("recovered: LTV 7142 → 7499 bps, threshold 7500 → 7875 bps, one loosening step toward 8000 / 8250");
    });

    it("stops at the baseline, and does nothing once there", () => {
      const near = { ...cut, ltvBps: 7900n, liquidationThresholdBps: 8200n, borrowCap: 79_000n };
      const [risk, caps] = planReserveRelax(WETH, near, baseline, bounds[WETH], now, both).map((r) => r.action);
      expect(risk.kind === "setReserveRisk" && [risk.ltvBps, risk.liquidationThresholdBps]).to.deep.equal([8000n, 8250n]);
      expect(caps.kind === "setReserveCaps" && caps.borrowCap).to.equal(80_000n);
      expect(planReserveRelax(WETH, { ...reserves[WETH] }, baseline, bounds[WETH], now, both)).to.deep.equal([]);
    });

    it("waits out each parameter's own loosening delay, and never lifts the LTV above a threshold still waiting", () => {
      const waiting = { ...bounds[WETH], LIQ_THRESHOLD: { ...bounds[WETH].LIQ_THRESHOLD, lastUpdate: BigInt(now - 60) }, BORROW_CAP: { ...bounds[WETH].BORROW_CAP, lastUpdate: BigInt(now - 60) } };
      const low = { ...cut, liquidationThresholdBps: 7200n };
      const relax = planReserveRelax(WETH, low, baseline, waiting, now, both).map((r) => r.action);
      expect(relax).to.have.length(1);
      expect(relax[0].kind === "setReserveRisk" && [relax[0].ltvBps, relax[0].liquidationThresholdBps]).to.deep.equal([7200n, 7200n]);
      expect(planReserveRelax(WETH, low, baseline, waiting, now - 60 + 21_600, both).map((r) => r.action.kind)).to.deep.equal(["setReserveRisk", "setReserveCaps"]);
    });

    it("never gives back a cap that is unset (0, unlimited), nor a threshold that would make threshold × bonus pass 100 %", () => {
      const unset = planReserveRelax(WETH, { ...cut, borrowCap: 0n }, baseline, bounds[WETH], now, both).map((r) => r.action.kind);
      expect(unset).to.deep.equal(["setReserveRisk"]);
      const generous = { ...bounds[WETH], LIQ_THRESHOLD: { ...bounds[WETH].LIQ_THRESHOLD, max: 10_000n, maxLoosen: 5000n } };
      const [risk] = planReserveRelax(WETH, { ...cut, liquidationBonusBps: 11_000n }, { ...baseline, liquidationThresholdBps: 9800n }, generous, now, both).map((r) => r.action);
      expect(risk.kind === "setReserveRisk" && risk.liquidationThresholdBps).to.equal(9090n); // 10,000 ÷ 1.10, rounded down
    });

    it("pulls back only the levers it is told have recovered", () => {
      expect(planReserveRelax(WETH, cut, baseline, bounds[WETH], now, { risk: true, borrowCap: false }).map((r) => r.action.kind)).to.deep.equal(["setReserveRisk"]);
      expect(planReserveRelax(WETH, cut, baseline, bounds[WETH], now, { risk: false, borrowCap: true }).map((r) => r.action.kind)).to.deep.equal(["setReserveCaps"]);
    });

    it("keeps a collateral's LTV and threshold down while a debt market it backs is still fragile, and a borrow cap while its own reserve is", () => {
      // WETH backs USDC's debt: USDC not recovered keeps WETH's risk levers and USDC's cap down.
      const usdcFragile = recoveredLevers(
        book,
        new Map([
          [WETH, true],
          [USDC, false],
        ]),
      );
      expect(usdcFragile.get(WETH)).to.deep.equal({ risk: false, borrowCap: true });
      expect(usdcFragile.get(USDC)).to.deep.equal({ risk: false, borrowCap: false });
      // WETH fragile: its own levers stay; USDC, backed by WETH but backing nothing, gets its cap back.
      const wethFragile = recoveredLevers(
        book,
        new Map([
          [WETH, false],
          [USDC, true],
        ]),
      );
      expect(wethFragile.get(WETH)).to.deep.equal({ risk: false, borrowCap: false });
      expect(wethFragile.get(USDC)).to.deep.equal({ risk: true, borrowCap: true });
      expect(
        recoveredLevers(
          book,
          new Map([
            [WETH, true],
            [USDC, true],
          ]),
        ).get(WETH),
      ).to.deep.equal({ risk: true, borrowCap: true });
    });
  });
});
