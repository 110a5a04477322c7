import type { ValueAtRiskReport } from "../risk";
import { renderTable, usd } from "./format";

/** The Value at Risk table under a status or plan: per market and protocol, bad debt before and after the insurance fund. */
export function renderValueAtRisk(r: ValueAtRiskReport): string {
  const rows = [
    ...r.markets.map((m) => ({ scope: m.market, fund: r.protocols.find((p) => p.protocol === m.protocol)?.insuranceFund, loss: m.loss, shortfall: m.shortfall })),
    ...r.protocols.map((p) => ({ scope: r.protocols.length > 1 ? p.protocol : "protocol", fund: p.insuranceFund, loss: p.loss, shortfall: p.shortfall })),
  ];
  const path = r.cascade.path === "prefix" ? "prefix-sum cascades" : r.cascade.path === "walk" ? `the walk (${r.cascade.reason})` : "the account cascade";
  return [
    `Value at Risk — ${r.model}; by ${path}. Loss: bad debt before the insurance fund; shortfall: after it.`,
    renderTable(rows, [
      { header: "scope", value: (x) => x.scope, align: "left" },
      { header: "p95 loss", value: (x) => usd(x.loss.p95) },
      { header: "p99 loss", value: (x) => usd(x.loss.p99) },
      { header: "ES99 loss", value: (x) => usd(x.loss.es99) },
      { header: "insurance", value: (x) => usd(x.fund) },
      { header: "p99 shortfall", value: (x) => usd(x.shortfall.p99) },
      { header: "ES99 shortfall", value: (x) => usd(x.shortfall.es99) },
    ]),
  ].join("\n");
}
