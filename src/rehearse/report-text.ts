import { marketName, paramValue, percent, ratio, renderTable, usd } from "../report/format";
import type { PassRecord, ProtocolObservation, RehearsalReport } from "./rehearse";

/** A protocol's observation at the last step of a pass: where the pass left it. */
export const lastObservation = (pass: PassRecord, protocol: string): ProtocolObservation | undefined => pass.steps[pass.steps.length - 1]?.protocols.find((p) => p.protocol === protocol);

/** A protocol's liquidations and bad debt over a pass. */
export const outcome = (pass: PassRecord, protocol: string) => pass.final.protocols.find((x) => x.protocol === protocol);

/** The terminal summary: before and after, with and without the keeper, what it sent and what it left. */
export function renderSummary(r: RehearsalReport): string {
  const where = r.chain.fork ? `fork of ${r.chain.fork.url} at block ${r.chain.fork.block}` : "embedded chain";
  const lines = [
    `rehearsal "${r.scenario.name}": ${r.scenario.description}`,
    `${where}; ${r.scenario.steps} steps of ${r.scenario.secondsPerStep} s; keeper ${r.keeper}; ${(r.wallMs / 1000).toFixed(1)} s`,
    `governance profile: ${r.governanceProfile.name}, by ${r.governanceProfile.chosenBy} (${r.governanceProfile.description})`,
    ...(r.replica
      ? [
          `replica ${r.replica.name}: ${r.replica.reserves} reserves from ${r.replica.source}`,
          r.replica.book,
          `differences from the source (${r.replica.differences.length}):`,
          ...r.replica.differences.map((d) => `  - ${d}`),
        ]
      : []),
    "",
  ];
  for (const before of r.before) {
    const p = before.protocol;
    const after = r.after.find((a) => a.protocol === p)!;
    const withK = lastObservation(r.keeperRun, p);
    const without = lastObservation(r.counterfactual, p);
    const rows = [
      { metric: "svr", before: ratio(before.svr), without: ratio(without?.svr), with: ratio(withK?.svr) },
      { metric: "systemic buffer", before: usd(before.bufferUsd), without: usd(without?.bufferUsd), with: usd(withK?.bufferUsd) },
      { metric: "bad debt (on-chain)", before: usd(0), without: usd(without?.badDebtUsd), with: usd(withK?.badDebtUsd) },
      { metric: "liquidations", before: "", without: String(outcome(r.counterfactual, p)?.liquidations ?? 0), with: String(outcome(r.keeperRun, p)?.liquidations ?? 0) },
      { metric: "liquidated (USD)", before: "", without: usd(outcome(r.counterfactual, p)?.liquidatedNotionalUsd), with: usd(outcome(r.keeperRun, p)?.liquidatedNotionalUsd) },
      { metric: "shortfall if liquidated now", before: "", without: usd(without?.shortfallNowUsd), with: usd(withK?.shortfallNowUsd) },
      { metric: "breaking shock ↓", before: shock(before.breakingShockDown), without: "", with: shock(after.breakingShockDown) },
      { metric: "p99 shortfall (VaR)", before: usd(before.valueAtRisk?.protocols[0].shortfall.p99), without: usd(without?.valueAtRiskP99ShortfallUsd), with: usd(withK?.valueAtRiskP99ShortfallUsd) },
    ];
    lines.push(
      p,
      renderTable(rows, [
        { header: "", value: (x) => x.metric, align: "left" },
        { header: "before", value: (x) => x.before },
        { header: "after, no keeper", value: (x) => x.without },
        { header: "after, keeper", value: (x) => x.with },
      ]),
      ...(before.valueAtRisk ? [`VaR: ${before.valueAtRisk.model} (synthetic model, real book)`] : []),
      "",
    );
  }
  const t = (pass: PassRecord) => `${pass.final.liquidations} liquidations (${usd(pass.final.liquidatedNotionalUsd)}), ${pass.final.opened} positions opened, ${pass.final.refused} refused`;
  lines.push(`without the keeper: ${t(r.counterfactual)}; it would have planned ${r.counterfactual.actions.length} action(s)`);
  lines.push(`with the keeper:    ${t(r.keeperRun)}`, "");
  const name = (protocol: string, market: string) => marketName(market, r.before.find((p) => p.protocol === protocol)?.labels?.[market]);
  const sent = r.keeperRun.actions;
  lines.push(
    sent.length
      ? renderTable(sent, [
          { header: "step", value: (a) => String(a.step) },
          { header: "protocol", value: (a) => a.protocol, align: "left" },
          { header: "market", value: (a) => name(a.protocol, a.market), align: "left" },
          { header: "action", value: (a) => a.description, align: "left" },
          { header: "because", value: (a) => a.reason, align: "left" },
          { header: "outcome", value: (a) => (a.outcome.length > 60 ? `${a.outcome.slice(0, 59)}…` : a.outcome), align: "left" },
          { header: "gas", value: (a) => (a.gasUsed === undefined ? "" : a.gasUsed.toLocaleString("en-US")) },
          { header: "tx", value: (a) => (a.txHash ? `${a.txHash.slice(0, 12)}…` : ""), align: "left" },
        ])
      : "the keeper sent no transaction",
    "",
  );
  const warnings = r.keeperRun.warnings ?? [];
  if (warnings.length) lines.push(`warnings to governance (${warnings.length}):`, ...warnings.map((w) => `  step ${w.step}, ${w.protocol}/${w.message}`), "");
  const params: { protocol: string; market: string; param: string; before: string; after: string }[] = [];
  for (const b of r.before) {
    const a = r.after.find((x) => x.protocol === b.protocol)!;
    for (const [market, values] of Object.entries(b.params)) {
      for (const [param, v] of Object.entries(values)) if (a.params[market]?.[param] !== v) params.push({ protocol: b.protocol, market, param, before: v, after: a.params[market]?.[param] ?? "—" });
    }
  }
  lines.push(
    params.length
      ? `parameters the keeper left changed:\n${renderTable(params, [
          { header: "protocol", value: (x) => x.protocol, align: "left" },
          { header: "market", value: (x) => name(x.protocol, x.market), align: "left" },
          { header: "parameter", value: (x) => x.param, align: "left" },
          { header: "before", value: (x) => paramValue(x.param, x.before) },
          { header: "after", value: (x) => paramValue(x.param, x.after) },
        ])}`
      : "no parameter changed",
  );
  return lines.join("\n");
}

const shock = (v: number | null) => (v === null ? "none" : `-${percent(v)}`);
