import { paramValue, percent, ratio, usd } from "../report/format";
import type { PassRecord, RehearsalReport } from "./rehearse";
import { lastObservation, outcome } from "./report-text";

/**
 * A self-contained HTML report (inline CSS and SVG, no script, nothing fetched) that a governance
 * forum post can link to: svr over the scenario with thresholds and the keeper's actions marked,
 * bad debt with and without the keeper, and the stress curve before and after.
 */
export function renderHtmlReport(r: RehearsalReport): string {
  const sections = r.before.map((before) => {
    const p = before.protocol;
    const after = r.after.find((a) => a.protocol === p)!;
    const thresholds = r.thresholds[p]?.svr;
    // The policy's thresholds apply per market: the line to read against them is the weakest market's.
    const svrOf = (pass: PassRecord) => pass.steps.map((s) => [s.step, weakestSvr(s.protocols.find((x) => x.protocol === p))] as const);
    const debtOf = (pass: PassRecord) => pass.steps.map((s) => [s.step, debtAt(s.protocols.find((x) => x.protocol === p))] as const);
    const actions = r.keeperRun.actions.filter((a) => a.protocol === p);
    const svrChart = lineChart({
      id: `svr-${p}`,
      title: "svr of the weakest market over the scenario",
      xLabel: "step",
      yFormat: (v) => v.toFixed(2),
      series: [
        { name: "with the keeper", color: "#1b7f3b", points: svrOf(r.keeperRun) },
        { name: "without the keeper", color: "#b3261e", points: svrOf(r.counterfactual), dashed: true },
      ],
      hlines: thresholds
        ? [
            { y: thresholds.warn, label: `warn ${thresholds.warn}`, color: "#c98a00" },
            { y: thresholds.act, label: `act ${thresholds.act}`, color: "#d35400" },
            { y: thresholds.critical, label: `critical ${thresholds.critical}`, color: "#8e0000" },
          ]
        : [],
      markers: actions.map((a) => ({ x: a.step, label: `step ${a.step}: ${a.market} ${a.description} — ${a.outcome}${a.gasUsed ? `, ${a.gasUsed} gas` : ""}` })),
    });
    const debtChart = lineChart({
      id: `debt-${p}`,
      title: "bad debt (on-chain, or left if liquidated now), USD",
      xLabel: "step",
      yFormat: compactUsd,
      series: [
        { name: "with the keeper", color: "#1b7f3b", points: debtOf(r.keeperRun) },
        { name: "without the keeper", color: "#b3261e", points: debtOf(r.counterfactual), dashed: true },
      ],
      hlines: [],
      markers: actions.map((a) => ({ x: a.step, label: `step ${a.step}: ${a.description}` })),
    });
    const stressChart = lineChart({
      id: `stress-${p}`,
      title: "stress curve: shortfall after a protocol-wide move and its cascade",
      xLabel: "price move",
      xFormat: (v) => `${Math.round(v * 100)}%`,
      yFormat: compactUsd,
      series: [
        { name: "before", color: "#555", points: before.stress.map((g) => [g.delta, g.shortfallUsd] as const), dashed: true },
        { name: "after the keeper's run", color: "#1b5fa8", points: after.stress.map((g) => [g.delta, g.shortfallUsd] as const) },
      ],
      hlines: [],
      markers: [],
    });
    const withK = lastObservation(r.keeperRun, p);
    const without = lastObservation(r.counterfactual, p);
    return `<section>
<h2>${esc(p)}</h2>
<table class="summary"><tr><th></th><th>before</th><th>after, no keeper</th><th>after, keeper</th></tr>
<tr><td>svr</td><td>${ratio(before.svr)}</td><td>${ratio(without?.svr)}</td><td>${ratio(withK?.svr)}</td></tr>
<tr><td>systemic buffer</td><td>${usd(before.bufferUsd)}</td><td>${usd(without?.bufferUsd)}</td><td>${usd(withK?.bufferUsd)}</td></tr>
<tr><td>svr of the weakest market</td><td>${ratio(weakestSvr(r.counterfactual.steps[0]?.protocols.find((x) => x.protocol === p)))}</td><td>${ratio(weakestSvr(without))}</td><td>${ratio(weakestSvr(withK))}</td></tr>
<tr><td>bad debt (on-chain)</td><td>${usd(0)}</td><td${(without?.badDebtUsd ?? 0) > (withK?.badDebtUsd ?? 0) ? ' class="bad"' : ""}>${usd(without?.badDebtUsd)}</td><td>${usd(withK?.badDebtUsd)}</td></tr>
<tr><td>liquidations</td><td></td><td>${outcome(r.counterfactual, p)?.liquidations ?? 0}</td><td>${outcome(r.keeperRun, p)?.liquidations ?? 0}</td></tr>
<tr><td>liquidated (USD)</td><td></td><td>${usd(outcome(r.counterfactual, p)?.liquidatedNotionalUsd)}</td><td>${usd(outcome(r.keeperRun, p)?.liquidatedNotionalUsd)}</td></tr>
<tr><td>shortfall if liquidated now</td><td></td><td>${usd(without?.shortfallNowUsd)}</td><td>${usd(withK?.shortfallNowUsd)}</td></tr>
<tr><td>breaking shock ↓</td><td>${shock(before.breakingShockDown)}</td><td></td><td>${shock(after.breakingShockDown)}</td></tr>
<tr><td>p99 shortfall (Value at Risk)</td><td>${usd(before.valueAtRisk?.protocols[0].shortfall.p99)}</td><td${(without?.valueAtRiskP99ShortfallUsd ?? 0) > (withK?.valueAtRiskP99ShortfallUsd ?? 0) ? ' class="bad"' : ""}>${usd(without?.valueAtRiskP99ShortfallUsd)}</td><td>${usd(withK?.valueAtRiskP99ShortfallUsd)}</td></tr>
</table>
${before.valueAtRisk ? `<p>Value at Risk: ${esc(before.valueAtRisk.model)} — a synthetic model over the real book.</p>` : ""}
<div class="charts">${svrChart}${debtChart}${stressChart}</div>
${paramsTable(before.params, after.params)}
</section>`;
  });
  const sent = r.keeperRun.actions;
  const txs = sent.length
    ? `<table class="txs"><tr><th>step</th><th>protocol</th><th>market</th><th>action</th><th>because</th><th>outcome</th><th>gas</th><th>transaction</th><th>evidence</th></tr>${sent
        .map(
          (a) =>
            `<tr><td>${a.step}</td><td>${esc(a.protocol)}</td><td>${esc(short(a.market))}</td><td>${esc(a.description)}</td><td>${esc(a.reason)}</td><td>${esc(a.outcome)}</td><td>${a.gasUsed?.toLocaleString("en-US") ?? ""}</td><td><code>${esc(a.txHash ?? "")}</code></td><td><code title="${esc(a.evidenceHash)}">${esc(a.evidenceHash.slice(0, 12))}…</code></td></tr>`,
        )
        .join("")}</table>`
    : "<p>The keeper sent no transaction.</p>";
  const where = r.chain.fork ? `a fork of ${esc(r.chain.fork.url)} at block ${r.chain.fork.block}` : "the embedded chain (reference protocol and Aave V3 deployed and populated)";
  const data = JSON.stringify(r, (_k, v) => (typeof v === "bigint" ? v.toString() : v)).replace(/</g, "\\u003c");
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>svr-keeper rehearsal — ${esc(r.scenario.name)}</title>
<style>
body{font:15px/1.45 system-ui,-apple-system,Segoe UI,Roboto,sans-serif;margin:2rem auto;max-width:1100px;color:#1d1d1f;padding:0 1rem}
h1{font-size:1.6rem;margin-bottom:.2rem}h2{margin-top:2.5rem;border-bottom:1px solid #ddd;padding-bottom:.3rem}
.lede{color:#555;margin-top:0}table{border-collapse:collapse;margin:1rem 0;font-variant-numeric:tabular-nums}
th,td{padding:.3rem .7rem;border-bottom:1px solid #eee;text-align:right}th:first-child,td:first-child{text-align:left}
.txs{width:100%;table-layout:fixed}.txs td,.txs th{text-align:left;font-size:.85rem;overflow-wrap:anywhere;word-break:break-word}.bad{color:#b3261e;font-weight:600}
.charts{display:grid;grid-template-columns:repeat(auto-fit,minmax(340px,1fr));gap:1rem}
figure{margin:0;border:1px solid #eee;border-radius:8px;padding:.5rem}figcaption{font-weight:600;font-size:.9rem;margin-bottom:.3rem}
svg text{font-size:11px;fill:#444}.legend span{display:inline-block;margin-right:1rem;font-size:.8rem}
code{font-size:.8rem}
</style></head><body>
<h1>Rehearsal: ${esc(r.scenario.name)}</h1>
<p class="lede">${esc(r.scenario.description)}</p>
<p>Played on ${where}: ${r.scenario.steps} steps of ${r.scenario.secondsPerStep} s (seed ${r.scenario.seed}), twice from the same state — once with the keeper acting through its steward, once observing only. Keeper <code>${esc(r.keeper)}</code>; stewards bounded by the <strong>${esc(r.governanceProfile.name)}</strong> governance profile, by ${esc(r.governanceProfile.chosenBy)} (${esc(r.governanceProfile.description)}): ${r.stewards.map((s) => `<code>${esc(s.protocol)}: ${esc(s.steward)}</code>`).join(", ")}. Wall time ${(r.wallMs / 1000).toFixed(1)} s.</p>
${r.replica ? `<section><h2>Replica: ${esc(r.replica.name)}</h2><p>${r.replica.reserves} reserves from ${esc(r.replica.source)}.</p><p><strong>${esc(r.replica.book)}</strong></p><details><summary>Differences from the source (${r.replica.differences.length})</summary><ul>${r.replica.differences.map((d) => `<li>${esc(d)}</li>`).join("")}</ul></details></section>` : ""}
<p>Without the keeper: ${passLine(r.counterfactual)}. With the keeper: ${passLine(r.keeperRun)}.</p>
${sections.join("\n")}
<h2>Transactions the keeper sent</h2>
${txs}
<script type="application/json" id="report-data">${data}</script>
</body></html>
`;
}

interface Series {
  name: string;
  color: string;
  points: readonly (readonly [number, number | null])[];
  dashed?: boolean;
}

interface ChartSpec {
  id: string;
  title: string;
  xLabel: string;
  xFormat?: (v: number) => string;
  yFormat: (v: number) => string;
  series: Series[];
  hlines: { y: number; label: string; color: string }[];
  markers: { x: number; label: string }[];
}

const W = 520;
const H = 260;
const M = { left: 64, right: 16, top: 12, bottom: 36 };

/** An SVG line chart; null points break the line (no svr when nothing is open). */
function lineChart(c: ChartSpec): string {
  const pts = c.series.flatMap((s) => s.points.filter((p): p is readonly [number, number] => p[1] !== null && Number.isFinite(p[1])));
  const xs = pts.map((p) => p[0]);
  const ys = [...pts.map((p) => p[1]), ...c.hlines.map((h) => h.y)];
  const [x0, x1] = xs.length ? [Math.min(...xs), Math.max(...xs)] : [0, 1];
  let [y0, y1] = ys.length ? [Math.min(0, ...ys), Math.max(...ys)] : [0, 1];
  if (y1 === y0) y1 = y0 + 1;
  y1 += (y1 - y0) * 0.05;
  const sx = (x: number) => M.left + ((x - x0) / (x1 - x0 || 1)) * (W - M.left - M.right);
  const sy = (y: number) => H - M.bottom - ((y - y0) / (y1 - y0)) * (H - M.top - M.bottom);
  const xf = c.xFormat ?? ((v: number) => String(Math.round(v)));
  const ticks = (a: number, b: number, n: number) => Array.from({ length: n + 1 }, (_, i) => a + ((b - a) * i) / n);
  const grid = ticks(y0, y1, 4)
    .map(
      (y) =>
        `<line x1="${M.left}" x2="${W - M.right}" y1="${sy(y).toFixed(1)}" y2="${sy(y).toFixed(1)}" stroke="#eee"/><text x="${M.left - 6}" y="${(sy(y) + 4).toFixed(1)}" text-anchor="end">${esc(c.yFormat(y))}</text>`,
    )
    .join("");
  const xticks = ticks(x0, x1, 5)
    .map((x) => `<text x="${sx(x).toFixed(1)}" y="${H - M.bottom + 16}" text-anchor="middle">${esc(xf(x))}</text>`)
    .join("");
  const lines = c.series
    .map((s) => {
      const segments: string[] = [];
      let current = "";
      for (const [x, y] of s.points) {
        if (y === null || !Number.isFinite(y)) {
          if (current) segments.push(current);
          current = "";
          continue;
        }
        current += `${current ? "L" : "M"}${sx(x).toFixed(1)},${sy(y).toFixed(1)}`;
      }
      if (current) segments.push(current);
      const count = s.points.filter((p) => p[1] !== null && Number.isFinite(p[1])).length;
      return `<path data-series="${esc(s.name)}" data-points="${count}" d="${segments.join(" ")}" fill="none" stroke="${s.color}" stroke-width="2"${s.dashed ? ' stroke-dasharray="6 4"' : ""}/>`;
    })
    .join("");
  const hlines = c.hlines
    .filter((h) => h.y >= y0 && h.y <= y1)
    .map(
      (h) =>
        `<line x1="${M.left}" x2="${W - M.right}" y1="${sy(h.y).toFixed(1)}" y2="${sy(h.y).toFixed(1)}" stroke="${h.color}" stroke-dasharray="2 3"/><text x="${W - M.right - 4}" y="${(sy(h.y) - 4).toFixed(1)}" text-anchor="end" style="fill:${h.color}">${esc(h.label)}</text>`,
    )
    .join("");
  const markers = c.markers
    .map(
      (m) =>
        `<g class="action-marker"><title>${esc(m.label)}</title><line x1="${sx(m.x).toFixed(1)}" x2="${sx(m.x).toFixed(1)}" y1="${M.top}" y2="${H - M.bottom}" stroke="#1b5fa8" stroke-opacity=".35"/><circle cx="${sx(m.x).toFixed(1)}" cy="${M.top + 6}" r="5" fill="#1b5fa8"/></g>`,
    )
    .join("");
  const legend =
    c.series.map((s) => `<span style="color:${s.color}">${s.dashed ? "╌╌" : "━━"} ${esc(s.name)}</span>`).join("") + (c.markers.length ? `<span style="color:#1b5fa8">● keeper action</span>` : "");
  return `<figure><figcaption>${esc(c.title)}</figcaption><svg data-chart="${esc(c.id)}" viewBox="0 0 ${W} ${H}" width="100%" role="img" aria-label="${esc(c.title)}">
<rect x="0" y="0" width="${W}" height="${H}" fill="#fff"/>${grid}${xticks}${hlines}${lines}${markers}
<text x="${(W + M.left) / 2}" y="${H - 4}" text-anchor="middle">${esc(c.xLabel)}</text></svg><div class="legend">${legend}</div></figure>`;
}

function paramsTable(before: Record<string, Record<string, string>>, after: Record<string, Record<string, string>>): string {
  const rows: string[] = [];
  for (const [market, values] of Object.entries(before)) {
    for (const [param, v] of Object.entries(values)) {
      const a = after[market]?.[param] ?? "—";
      rows.push(`<tr><td>${esc(short(market))}</td><td>${esc(param)}</td><td>${esc(paramValue(param, v))}</td><td${a !== v ? ' class="bad"' : ""}>${esc(paramValue(param, a))}</td></tr>`);
    }
  }
  return `<details><summary>Parameters before and after (changed ones highlighted)</summary><table><tr><th>market</th><th>parameter</th><th>before</th><th>after</th></tr>${rows.join("")}</table></details>`;
}

function weakestSvr(o: { markets: { svr: number | null }[] } | undefined): number | null {
  const values = (o?.markets ?? []).map((m) => m.svr).filter((v): v is number => v !== null && Number.isFinite(v));
  return values.length ? Math.min(...values) : null;
}

const debtAt = (o: { badDebtUsd: number; shortfallNowUsd: number } | undefined) => (o ? Math.max(o.badDebtUsd, o.shortfallNowUsd) : null);
const passLine = (p: PassRecord) =>
  `${p.final.liquidations} liquidations (${usd(p.final.liquidatedNotionalUsd)}), ${p.final.opened} positions opened and ${p.final.refused} refused, ${usd(p.final.badDebtUsd)} bad debt on-chain`;
const shock = (v: number | null) => (v === null ? "none" : `−${percent(v)}`);
const short = (m: string) => (m.length > 14 ? `${m.slice(0, 8)}…${m.slice(-4)}` : m);

function compactUsd(v: number): string {
  const a = Math.abs(v);
  if (a >= 1e9) return `$${(v / 1e9).toFixed(1)}B`;
  if (a >= 1e6) return `$${(v / 1e6).toFixed(1)}M`;
  if (a >= 1e3) return `$${(v / 1e3).toFixed(0)}k`;
  return `$${v.toFixed(0)}`;
}

function esc(s: string): string {
  return s.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;").replace(/"/g, "&quot;");
}
