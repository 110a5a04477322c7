import { expect } from "chai";
import { naiveActions } from "../../../src/evaluate/naive";
import { acrossSeeds, dominates, scoreScenario, summarize, type StrategyName } from "../../../src/evaluate/scorecard";
import type { ProtocolSnapshot } from "../../../src/domain/protocol-state";
import { DEFAULT_POLICY, type Plan } from "../../../src/policy";
import type { PassRecord, ProtocolObservation } from "../../../src/rehearse/rehearse";
import { parameterRule, resolveBounds, type ParameterKind } from "../../../src/steward/profiles";

/** A pass that ended with `badDebt` recorded, having liquidated `liquidated` USD of these accounts. */
function pass(name: string, badDebt: number, liquidated: number, accounts: string[], extra: Partial<PassRecord["final"]> = {}, gas: number[] = []): PassRecord {
  const obs = { protocol: "p", badDebtUsd: badDebt, recordsBadDebt: true, shortfallNowUsd: 0 } as ProtocolObservation;
  return {
    pass: name,
    steps: [{ step: 0, effects: {} as never, protocols: [obs] }],
    actions: gas.map((g, i) => ({
      step: i,
      protocol: "p",
      market: "m",
      kind: "setMarginRatios",
      description: "",
      urgency: "act",
      reason: "",
      note: "",
      idempotencyKey: `${i}`,
      evidenceHash: "",
      outcome: "included",
      txHash: `0x${i}`,
      gasUsed: g,
    })),
    warnings: [],
    final: {
      badDebtUsd: badDebt,
      shortfallNowUsd: 0,
      liquidations: accounts.length,
      liquidatedNotionalUsd: liquidated,
      liquidatedAccounts: accounts,
      liquidationFeesUsd: 0,
      opened: 0,
      refused: 0,
      refusedNotionalUsd: 0,
      protocols: [],
      ...extra,
    },
  };
}

const scenario = { name: "s", description: "d", steps: 1, secondsPerStep: 12, seed: 1 };

describe("evaluate scorecard (pure)", () => {
  it("Pareto: better on one axis and no worse on the other dominates; float dust is a tie", () => {
    expect(dominates({ badDebtUsd: 0, forcedLiquidationUsd: 10 }, { badDebtUsd: 5, forcedLiquidationUsd: 10 })).to.equal(true);
    expect(dominates({ badDebtUsd: 0, forcedLiquidationUsd: 20 }, { badDebtUsd: 5, forcedLiquidationUsd: 10 })).to.equal(false);
    expect(dominates({ badDebtUsd: 0.3, forcedLiquidationUsd: 10 }, { badDebtUsd: 0, forcedLiquidationUsd: 10 })).to.equal(false);
    expect(dominates({ badDebtUsd: 0, forcedLiquidationUsd: 10 }, { badDebtUsd: 0.3, forcedLiquidationUsd: 10 })).to.equal(false);
  });

  it("counts forced liquidations beyond none, in USD, % of open interest and accounts none did not liquidate", () => {
    const s = scoreScenario(
      scenario,
      1_000_000,
      [
        { strategy: "none", record: pass("none", 100, 50_000, ["a", "b"]) },
        { strategy: "keeper", record: pass("keeper", 40, 80_000, ["a", "c", "d"], { liquidationFeesUsd: 900, refusedNotionalUsd: 2_000 }, [90_000, 96_000]) },
        { strategy: "naive", record: pass("naive", 40, 300_000, ["a", "b", "c", "d", "e"]) },
        { strategy: "static", record: pass("static", 100, 10_000, []), governance: { actions: 2, gasUsed: 60_000 } },
      ],
      5,
    );
    const k = s.strategies.find((x) => x.strategy === "keeper")!;
    expect(k).to.deep.include({
      badDebtUsd: 40,
      forcedLiquidationUsd: 30_000,
      forcedLiquidationPct: 3,
      accountsAffected: 2,
      traderLossUsd: 900,
      refusedOpeningsUsd: 2_000,
      actionsSent: 2,
      gasUsed: 186_000,
    });
    expect(s.strategies.find((x) => x.strategy === "static")).to.deep.include({ forcedLiquidationUsd: 0, actionsSent: 2, gasUsed: 60_000 });
    // static: more bad debt, fewer forced liquidations — neither dominates; naive: same bad debt, more forced.
    expect(s.keeperDominatedBy).to.deep.equal([]);
    expect(s.keeperDominatesNaive).to.equal(true);
  });

  it("summarizes the suite in the issue's names: added bad debt, calm forced liquidations, domination", () => {
    const calm = scoreScenario(
      scenario,
      1_000_000,
      [
        { strategy: "none", record: pass("none", 0, 0, []) },
        { strategy: "keeper", record: pass("keeper", 0, 25_000, ["x"]) },
        { strategy: "naive", record: pass("naive", 0, 0, []) },
      ],
      1,
    );
    const storm = scoreScenario(
      { ...scenario, name: "t" },
      1_000_000,
      [
        { strategy: "none", record: pass("none", 100, 0, []) },
        { strategy: "keeper", record: pass("keeper", 150, 0, []) },
        { strategy: "naive", record: pass("naive", 200, 0, []) },
      ],
      1,
    );
    expect(calm.keeperDominatedBy).to.deep.equal(["naive"]);
    const sum = summarize([calm, storm], "permissive", ["none", "naive", "keeper"] as StrategyName[], 12_345);
    expect(sum).to.deep.equal({
      scenarios: 2,
      seeds: 1,
      profile: "permissive",
      strategies: ["none", "naive", "keeper"],
      keeper_added_bad_debt: 1,
      keeper_calm_forced_liquidation_max_pct: 2.5,
      keeper_dominated: 1,
      keeper_dominates_naive_pct: 50,
      wall_s: 12.3,
    });
  });

  it("over noise seeds: each strategy's spread, and the summary judged on the means (one seed alone cannot decide it)", () => {
    // On seed 1 naive dominates the keeper (same bad debt, fewer forced); on seed 102 the keeper's
    // bad debt is lower. On the means (keeper 60 / 0, naive 75 / 0) the keeper dominates naive.
    const play = (seed: number, keeper: number, naive: number) =>
      scoreScenario(
        { ...scenario, name: seed === 1 ? "s" : `s-seed${seed}`, seed, variantOf: "s" },
        1_000_000,
        [
          { strategy: "none", record: pass("none", 100, 10_000, ["a"]) },
          { strategy: "keeper", record: pass("keeper", keeper, 10_000, ["a"]) },
          { strategy: "naive", record: pass("naive", naive, 10_000, ["a"]) },
        ],
        1_000,
      );
    const plays = [play(1, 100, 50), play(102, 20, 100)];
    expect(plays.map((p) => p.keeperDominatedBy)).to.deep.equal([["naive"], []]);
    const [spread] = acrossSeeds(plays);
    expect(spread.scenario).to.equal("s");
    expect(spread.seeds).to.deep.equal([1, 102]);
    expect(spread.strategies.find((x) => x.strategy === "keeper")!.badDebtUsd).to.deep.equal({ mean: 60, min: 20, max: 100 });
    expect(spread.strategies.find((x) => x.strategy === "naive")!.badDebtUsd).to.deep.equal({ mean: 75, min: 50, max: 100 });
    expect(spread).to.deep.include({ keeperDominatedBy: [], keeperDominatesNaive: true, keeperDominatedOnSeeds: 1, keeperDominatesNaiveOnSeeds: 1 });
    const sum = summarize(plays, "permissive", ["none", "naive", "keeper"] as StrategyName[], 2_000);
    expect(sum).to.deep.include({ scenarios: 1, seeds: 2, keeper_added_bad_debt: 0, keeper_dominated: 0, keeper_dominates_naive_pct: 100 });
    // One seed: no spread, the summary as before.
    expect(acrossSeeds([scoreScenario(scenario, 1, [{ strategy: "none", record: pass("none", 0, 0, []) }], 1)])).to.deep.equal([]);
  });

  it("the naive bot tightens every lever of a breaching market by the steward's maximum step, once its delay allows", () => {
    const bounds = (min: bigint, max: bigint, lastUpdate = 0n) => ({ min, max, mode: "relative" as const, maxTighten: 5000n, maxLoosen: 1000n, tightenDelay: 60n, loosenDelay: 21600n, lastUpdate });
    const snapshot = {
      risk: { protocol: "p" },
      block: { number: 10, hash: "0x", timestamp: 1_000 },
      markets: [
        { id: "ETH-USD", params: { IMR: 1000n, MMR: 500n, LONG_CAP: 1000n, SHORT_CAP: 800n }, oracle: {} },
        { id: "BTC-USD", params: { IMR: 1000n, MMR: 500n, LONG_CAP: 1000n, SHORT_CAP: 1000n }, oracle: {} },
      ],
      steward: {
        address: "0x",
        frozen: false,
        deleverage: {},
        bounds: { "ETH-USD": { IMR: bounds(500n, 1200n), MMR: bounds(250n, 4000n), LONG_CAP: bounds(10n, 2000n, 990n), SHORT_CAP: bounds(10n, 2000n) }, "BTC-USD": {} },
      },
    } as unknown as ProtocolSnapshot;
    const plan = {
      markets: [
        { market: "ETH-USD", level: "ok", svr: 1.1, breakingShock: { down: 0.1, up: 0.4 } }, // breaking shock under act (0.15): a breach
        { market: "BTC-USD", level: "ok", svr: 1.1, breakingShock: { down: 0.3, up: 0.4 } },
      ],
      evidence: { encoding: "", hash: "0xevidence" },
    } as unknown as Plan;
    const actions = naiveActions(snapshot, plan, DEFAULT_POLICY);
    expect(actions.map((a) => a.action)).to.deep.equal([
      { kind: "setMarginRatios", market: "ETH-USD", imrBps: 1200n, mmrBps: 750n, expected: { imrBps: 1000n, mmrBps: 500n } }, // IMR capped at its max
      { kind: "setOpenInterestCaps", market: "ETH-USD", longCap: 1000n, shortCap: 400n, expected: { longCap: 1000n, shortCap: 800n } }, // the long cap's delay has not passed
    ]);
    expect(actions.every((a) => a.provenance.evidenceHash === "0xevidence" && a.reason.metric === "breakingShock")).to.equal(true);
    expect(actions.every((a) => a.provenance.validUntil === BigInt(1_000 + DEFAULT_POLICY.defaults.urgentValiditySeconds))).to.equal(true);
  });

  it("under aave-production the naive bot's maximum step on an Aave reserve is the profile's: 50 bps on LTV and threshold, the cap to its floor, then nothing for 3 days", () => {
    const WETH = "0x00000000000000000000000000000000000000e1";
    const current = { LTV: 8000n, LIQ_THRESHOLD: 8250n, LIQ_BONUS: 10_500n, SUPPLY_CAP: 100_000n, BORROW_CAP: 80_000n };
    const installed = (lastUpdate: bigint) =>
      Object.fromEntries(
        Object.entries(current).map(([k, v]) => {
          const r = resolveBounds(parameterRule("aave-production", k as ParameterKind), v);
          return [
            k,
            {
              min: r.min,
              max: r.max,
              mode: r.relative ? "relative" : "absolute",
              maxTighten: r.maxTighten,
              maxLoosen: r.maxLoosen,
              tightenDelay: r.tightenDelay,
              loosenDelay: r.loosenDelay,
              lastUpdate,
            },
          ];
        }),
      );
    const snapshot = (now: number, lastUpdate: bigint) =>
      ({
        risk: { protocol: "aave" },
        block: { number: 10, hash: "0x", timestamp: now },
        markets: [{ id: "WETH", params: current, oracle: {} }],
        steward: { address: "0x", frozen: false, deleverage: {}, bounds: { WETH: installed(lastUpdate) } },
      }) as unknown as ProtocolSnapshot;
    const plan = { markets: [{ market: "WETH", level: "critical", svr: 0.1, breakingShock: { down: 0.1, up: null } }], evidence: { encoding: "", hash: "0xe" } } as unknown as Plan;
    const first = naiveActions(snapshot(1_000_000, 0n), plan, DEFAULT_POLICY, () => WETH).map((a) => a.action);
    expect(first).to.deep.equal([
      {
        kind: "setReserveRisk",
        market: WETH,
        ltvBps: 7950n,
        liquidationThresholdBps: 8200n,
        liquidationBonusBps: 10_500n,
        expected: { ltvBps: 8000n, liquidationThresholdBps: 8250n, liquidationBonusBps: 10_500n },
      },
      // A relative step of 100 % would reach 0: the range's floor, 1 % of the cap at install, is as far as it goes.
      { kind: "setReserveCaps", market: WETH, supplyCap: 1_000n, borrowCap: 800n, expected: { supplyCap: 100_000n, borrowCap: 80_000n } },
    ]);
    // Changed a day ago: the steward would refuse every one with UpdateTooSoon, so the bot sends none.
    expect(naiveActions(snapshot(1_000_000, BigInt(1_000_000 - 86_400)), plan, DEFAULT_POLICY, () => WETH)).to.deep.equal([]);
    expect(naiveActions(snapshot(1_000_000, BigInt(1_000_000 - 3 * 86_400)), plan, DEFAULT_POLICY, () => WETH)).to.have.length(2);
  });
});
