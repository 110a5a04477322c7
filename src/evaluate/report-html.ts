import { usd } from "../report/format";
import type { Scorecard } from "./evaluate";
import { seedVerdict, strategyTotals, usdRange } from "./report-text";
import type { ScenarioScore, StrategyName } from "./scorecard";

const COLORS: Record<StrategyName, string> = { none: "#777777", static: "#1f5fbf", naive: "#c0392b", keeper: "#1b7f3b" };
const W = 300;
const H = 220;
const M = { left: 58, right: 14, top: 26, bottom: 34 };

const esc = (s: string) => s.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);

/**
 * The scorecard as one self-contained page: a Pareto panel per scenario (bad debt against forced
 * liquidations, a point per strategy: lower-left is better), a summary row per strategy, and the
 * table; the JSON embedded. No script, no network.
 */
export function renderScorecardHtml(card: Scorecard): string {
  const s = card.summary;
  const panels = card.scenarios.map(panel).join("\n");
  const totals = strategyTotals(card);
  const row = (cells: string[], tag = "td") => `<tr>${cells.map((c) => `<${tag}>${c}</${tag}>`).join("")}</tr>`;
  const summaryRows = totals
    .map((t) =>
      row([
        `<span class="dot" style="background:${COLORS[t.strategy]}"></span>${t.strategy}`,
        usd(t.badDebtUsd),
        usd(t.forcedLiquidationUsd),
        String(t.accountsAffected),
        usd(t.traderLossUsd),
        usd(t.refusedOpeningsUsd),
        String(t.actionsSent),
        t.gasUsed.toLocaleString("en-US"),
      ]),
    )
    .join("");
  const detail = card.scenarios
    .flatMap((sc) =>
      sc.strategies.map((x) =>
        row([
          esc(sc.scenario),
          x.strategy,
          usd(x.badDebtUsd),
          usd(x.forcedLiquidationUsd),
          `${x.forcedLiquidationPct.toFixed(2)}%`,
          String(x.accountsAffected),
          usd(x.traderLossUsd),
          usd(x.refusedOpeningsUsd),
          String(x.actionsSent),
          x.gasUsed.toLocaleString("en-US"),
        ]),
      ),
    )
    .join("");
  const seeds = card.acrossSeeds?.length
    ? `<h2>Over noise seeds</h2>
<p class="note">Each scenario with noise replayed at ${s.seeds} noise seeds (the panels below show each); the summary above is on the means. Mean (min–max) per strategy.</p>
<table id="seeds">${row(["scenario", "seeds", "strategy", "bad debt", "forced liquidations", "keeper"], "th")}${card.acrossSeeds
        .flatMap((x) =>
          x.strategies.map((st) =>
            row([esc(x.scenario), x.seeds.join(" "), st.strategy, usdRange(st.badDebtUsd), usdRange(st.forcedLiquidationUsd), st.strategy === "keeper" ? esc(seedVerdict(x)) : ""]),
          ),
        )
        .join("")}</table>`
    : "";
  const { passes: _passes, ...compact } = card;
  const data = JSON.stringify(compact).replace(/</g, "\\u003c");
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>svr-keeper scorecard</title>
<style>
body{font-family:system-ui,sans-serif;margin:2rem;max-width:1300px;color:#222}
.grid{display:flex;flex-wrap:wrap;gap:12px}.panel{border:1px solid #ddd;border-radius:4px}
table{border-collapse:collapse;font-size:.85rem;margin:1rem 0}td,th{border-bottom:1px solid #eee;padding:.25rem .6rem;text-align:right}td:first-child,th:first-child{text-align:left}
svg text{font-size:10px;fill:#444}.dot{display:inline-block;width:.7rem;height:.7rem;border-radius:50%;margin-right:.4rem}
.note{color:#555;font-size:.85rem}
</style></head><body>
<h1>Scorecard: the keeper against three baselines</h1>
<p>${s.scenarios} scenarios, each played from one chain state under ${s.strategies.map((x) => `<b style="color:${COLORS[x]}">${x}</b>`).join(", ")}. Governance profile <b>${esc(card.profile.name)}</b>: ${esc(card.profile.description)}. Wall time ${s.wall_s} s.</p>
<p class="note"><b>Real:</b> ${card.provenance.real.map(esc).join("; ")}.<br><b>Synthetic:</b> ${card.provenance.synthetic.map(esc).join("; ")}.</p>
<p>Keeper ends with more bad debt than none on <b>${s.keeper_added_bad_debt}</b> scenario(s); its largest forced liquidation where none has no bad debt is <b>${s.keeper_calm_forced_liquidation_max_pct}%</b> of open interest; static or naive Pareto-dominates it on <b>${s.keeper_dominated}</b>; it dominates naive on <b>${s.keeper_dominates_naive_pct}%</b>.</p>
<h2>Summary per strategy (sum over ${s.seeds > 1 ? "every play, each seed counted" : "the suite"})</h2>
<table id="summary">${row(["strategy", "bad debt", "forced liquidations", "accounts", "trader fees", "refused openings", "actions", "gas"], "th")}${summaryRows}</table>
${seeds}
<h2>Bad debt against forced liquidations, per scenario</h2>
<p class="note">Forced liquidations: notional liquidated beyond what none liquidated. Lower and further left is better; a point is Pareto-dominated when another is no worse on both and better on one.</p>
<div class="grid">${panels}</div>
<h2>Every figure</h2>
<table id="detail">${row(["scenario", "strategy", "bad debt", "forced liq.", "% of OI", "accounts", "trader fees", "refused", "actions", "gas"], "th")}${detail}</table>
<script type="application/json" id="scorecard-data">${data}</script>
</body></html>
`;
}

/** One scenario's Pareto panel; coincident points are fanned out a little so each stays visible. */
function panel(sc: ScenarioScore): string {
  const xs = sc.strategies.map((x) => x.forcedLiquidationUsd);
  const ys = sc.strategies.map((x) => x.badDebtUsd);
  const xMax = Math.max(1, ...xs) * 1.15;
  const yMax = Math.max(1, ...ys) * 1.15;
  const px = (v: number) => M.left + (v / xMax) * (W - M.left - M.right);
  const py = (v: number) => H - M.bottom - (v / yMax) * (H - M.top - M.bottom);
  const seen = new Map<string, number>();
  const points = sc.strategies
    .map((x) => {
      const key = `${Math.round(px(x.forcedLiquidationUsd))},${Math.round(py(x.badDebtUsd))}`;
      const n = seen.get(key) ?? 0;
      seen.set(key, n + 1);
      const cx = px(x.forcedLiquidationUsd) + n * 7;
      const cy = py(x.badDebtUsd) - n * 7;
      return `<circle class="point" data-strategy="${x.strategy}" cx="${cx.toFixed(1)}" cy="${cy.toFixed(1)}" r="5" fill="${COLORS[x.strategy]}"><title>${x.strategy}: bad debt ${usd(x.badDebtUsd)}, forced ${usd(x.forcedLiquidationUsd)}</title></circle><text x="${(cx + 7).toFixed(1)}" y="${(cy + 3).toFixed(1)}">${x.strategy}</text>`;
    })
    .join("");
  const axes = `<line x1="${M.left}" y1="${H - M.bottom}" x2="${W - M.right}" y2="${H - M.bottom}" stroke="#999"/><line x1="${M.left}" y1="${M.top}" x2="${M.left}" y2="${H - M.bottom}" stroke="#999"/>`;
  const ticks = [0, 0.5, 1]
    .map(
      (f) =>
        `<text x="${px((f * xMax) / 1.15).toFixed(1)}" y="${H - M.bottom + 13}" text-anchor="middle">${usd((f * xMax) / 1.15)}</text><text x="${M.left - 4}" y="${(py((f * yMax) / 1.15) + 3).toFixed(1)}" text-anchor="end">${usd((f * yMax) / 1.15)}</text>`,
    )
    .join("");
  const verdict = sc.keeperDominatedBy.length ? `keeper dominated by ${sc.keeperDominatedBy.join(", ")}` : sc.keeperDominatesNaive ? "keeper dominates naive" : "keeper not dominated";
  return `<div class="panel"><svg class="pareto" data-scenario="${esc(sc.scenario)}" width="${W}" height="${H}" viewBox="0 0 ${W} ${H}" role="img" aria-label="${esc(sc.scenario)}: bad debt against forced liquidations">
<text x="${M.left}" y="14" style="font-weight:bold;font-size:11px">${esc(sc.scenario)}</text><text x="${W - M.right}" y="14" text-anchor="end">${verdict}</text>
${axes}${ticks}<text x="${(W + M.left) / 2}" y="${H - 6}" text-anchor="middle">forced liquidations</text><text transform="translate(12 ${(H - M.bottom + M.top) / 2}) rotate(-90)" text-anchor="middle">bad debt</text>
${points}</svg></div>`;
}
