import { expect } from "chai";
import { backingOf, liquidateUnder, planLending, reserveBreakingShock, type LendingAccount, type LendingBook, type ReserveParams } from "../../../src/policy/lending";
import type { ParamBounds } from "../../../src/domain/protocol-state";

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

  it("at critical: lowers WETH's threshold by the least that makes the book survive the target, once the borrowers it forces out are liquidated at the close factor", () => {
    const plan = planLending({ book, breached: [{ market: USDC, level: "critical", targetShock: 0.25 }], reserves, bounds, now: 1_000 });
    const risk = plan.decisions.find((d) => d.action.kind === "setReserveRisk")!;
    expect(risk.action).to.deep.include({ ltvBps: 7142n, liquidationThresholdBps: 7799n });
    // 7799 bps puts B at health 0.99987: liquidated for half its debt, it then survives a 30 % fall.
    expect(risk.before!).to.be.lessThan(0.25);
    expect(risk.after!).to.be.at.least(0.25);
    // One bps less cut (7800) leaves B at exactly 1: not liquidatable, nothing restored.
    const at7800 = reserveBreakingShock(liquidateUnder(book, WETH, 0.78), WETH);
    expect(at7800).to.equal(reserveBreakingShock(book, WETH));
    // The eMode holder (C) keeps its category's 93 %: the reserve's threshold does not reach it.
    expect(liquidateUnder(book, WETH, 0.3).accounts[2]).to.equal(book.accounts[2]);
  });

  it("refuses a threshold cut that would cost the borrowers it liquidates more than the bad debt it avoids", () => {
    // X breaks at a 16 % fall; at the 17 % target it leaves ~$952 of bad debt, but forcing it out costs it
    // 5 % of the $40,000 repaid. Y is healthy at any cut that does not also reach it.
    const thin: LendingBook = { accounts: [borrower("X", 100_000, 80_000), borrower("Y", 100_000, 60_000)] };
    const plan = planLending({ book: thin, breached: [{ market: USDC, level: "critical", targetShock: 0.17 }], reserves, bounds, now: 1_000 });
    const risk = plan.decisions.find((d) => d.action.kind === "setReserveRisk");
    expect(risk?.action).to.deep.include({ liquidationThresholdBps: 8250n }); // the LTV cut still goes
    expect(plan.deferred.map((d) => d.reason).join(" ")).to.match(/cost the borrowers|survive a larger move/);
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
});
