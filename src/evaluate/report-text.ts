import { renderTable, usd } from "../report/format";
import type { Scorecard } from "./evaluate";
import { STRATEGIES, type SeedRange, type SeedSpread, type StrategyScore } from "./scorecard";

type Row = StrategyScore & { scenario: string; mark: string };

const pct = (v: number) => `${v.toFixed(2)}%`;

/** The scorecard as a terminal table: a row per scenario and strategy, then a row per strategy over the suite. */
export function renderScorecard(card: Scorecard): string {
  const rows: Row[] = card.scenarios.flatMap((s) =>
    s.strategies.map((x) => ({
      ...x,
      scenario: s.scenario,
      mark: x.strategy !== "keeper" ? "" : s.keeperDominatedBy.length ? `dominated by ${s.keeperDominatedBy.join(", ")}` : s.keeperDominatesNaive ? "dominates naive" : "",
    })),
  );
  const table = renderTable(rows, [
    { header: "scenario", value: (r) => r.scenario, align: "left" },
    { header: "strategy", value: (r) => r.strategy, align: "left" },
    { header: "bad debt", value: (r) => usd(r.badDebtUsd) },
    { header: "forced liq.", value: (r) => usd(r.forcedLiquidationUsd) },
    { header: "% of OI", value: (r) => pct(r.forcedLiquidationPct) },
    { header: "accounts", value: (r) => String(r.accountsAffected) },
    { header: "trader fees", value: (r) => usd(r.traderLossUsd) },
    { header: "refused", value: (r) => usd(r.refusedOpeningsUsd) },
    { header: "actions", value: (r) => String(r.actionsSent) },
    { header: "gas", value: (r) => r.gasUsed.toLocaleString("en-US") },
    { header: "", value: (r) => r.mark, align: "left" },
  ]);
  const totals = renderTable(strategyTotals(card), [
    { header: card.summary.seeds > 1 ? "over every play" : "over the suite", value: (r) => r.strategy, align: "left" },
    { header: "bad debt", value: (r) => usd(r.badDebtUsd) },
    { header: "forced liq.", value: (r) => usd(r.forcedLiquidationUsd) },
    { header: "accounts", value: (r) => String(r.accountsAffected) },
    { header: "trader fees", value: (r) => usd(r.traderLossUsd) },
    { header: "refused", value: (r) => usd(r.refusedOpeningsUsd) },
    { header: "actions", value: (r) => String(r.actionsSent) },
    { header: "gas", value: (r) => r.gasUsed.toLocaleString("en-US") },
  ]);
  const s = card.summary;
  const seeds = card.acrossSeeds?.length ? ["", `over noise seeds (the summary below is on these means):`, renderSeedSpread(card.acrossSeeds)] : [];
  return [
    `scorecard: ${s.scenarios} scenarios${s.seeds > 1 ? ` (those with noise at ${s.seeds} noise seeds)` : ""} × ${s.strategies.join(", ")}; governance profile ${card.profile.name} (${card.profile.description}); ${s.wall_s} s`,
    `real: ${card.provenance.real.join("; ")}`,
    `synthetic: ${card.provenance.synthetic.join("; ")}`,
    "",
    table,
    ...seeds,
    "",
    totals,
    "",
    `keeper ends with more bad debt than none on ${s.keeper_added_bad_debt} scenario(s); largest forced liquidation where none has no bad debt: ${s.keeper_calm_forced_liquidation_max_pct}% of open interest; Pareto-dominated by static or naive on ${s.keeper_dominated}; dominates naive on ${s.keeper_dominates_naive_pct}%`,
  ].join("\n");
}

/** "mean (min–max)" of a figure over seeds, in USD. */
export const usdRange = (r: SeedRange) => (r.min === r.max ? usd(r.mean) : `${usd(r.mean)} (${usd(r.min)}–${usd(r.max)})`);

/** The keeper's verdict on a scenario's means, and on how many of its seeds it held. */
export function seedVerdict(x: SeedSpread): string {
  const n = x.seeds.length;
  const on = x.keeperDominatedBy.length ? `dominated by ${x.keeperDominatedBy.join(", ")}` : x.keeperDominatesNaive ? "dominates naive" : "not dominated";
  return `${on} (dominated on ${x.keeperDominatedOnSeeds}/${n} seeds, dominates naive on ${x.keeperDominatesNaiveOnSeeds}/${n})`;
}

function renderSeedSpread(spread: SeedSpread[]): string {
  const rows = spread.flatMap((x) => x.strategies.map((st) => ({ ...st, scenario: x.scenario, seeds: x.seeds.join(" "), mark: st.strategy === "keeper" ? seedVerdict(x) : "" })));
  return renderTable(rows, [
    { header: "scenario", value: (r) => r.scenario, align: "left" },
    { header: "seeds", value: (r) => r.seeds, align: "left" },
    { header: "strategy", value: (r) => r.strategy, align: "left" },
    { header: "bad debt: mean (min–max)", value: (r) => usdRange(r.badDebtUsd) },
    { header: "forced liq.: mean (min–max)", value: (r) => usdRange(r.forcedLiquidationUsd) },
    { header: "", value: (r) => r.mark, align: "left" },
  ]);
}

/** Each strategy summed over the suite (the HTML page's summary rows too). */
export function strategyTotals(card: Scorecard): StrategyScore[] {
  return STRATEGIES.filter((name) => card.scenarios.some((s) => s.strategies.some((x) => x.strategy === name))).map((strategy) => {
    const all = card.scenarios.flatMap((s) => s.strategies.filter((x) => x.strategy === strategy));
    const sum = (f: (x: StrategyScore) => number) => all.reduce((t, x) => t + f(x), 0);
    return {
      strategy,
      badDebtUsd: sum((x) => x.badDebtUsd),
      liquidatedNotionalUsd: sum((x) => x.liquidatedNotionalUsd),
      forcedLiquidationUsd: sum((x) => x.forcedLiquidationUsd),
      forcedLiquidationPct: Math.max(0, ...all.map((x) => x.forcedLiquidationPct)),
      accountsAffected: sum((x) => x.accountsAffected),
      traderLossUsd: sum((x) => x.traderLossUsd),
      refusedOpeningsUsd: sum((x) => x.refusedOpeningsUsd),
      actionsSent: sum((x) => x.actionsSent),
      gasUsed: sum((x) => x.gasUsed),
    };
  });
}
