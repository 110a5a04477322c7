import { expect } from "chai";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { KeeperMetrics } from "../../../src/service/metrics";

const DASHBOARD = join(__dirname, "..", "..", "..", "deploy", "grafana", "svr-keeper.json");

interface Panel {
  title: string;
  targets?: { expr: string }[];
}

/** Every svr_keeper_* series a PromQL expression reads (a histogram's _bucket/_sum/_count name its metric). */
function seriesOf(expr: string): string[] {
  return [...expr.matchAll(/\bsvr_keeper_[a-z_]+/g)].map((m) => m[0].replace(/_(bucket|sum|count)$/, ""));
}

describe("the Grafana dashboard", () => {
  it("queries only metrics the keeper's registry exports, and shows every one of them", async () => {
    const dashboard = JSON.parse(readFileSync(DASHBOARD, "utf8")) as { panels: Panel[]; templating: { list: { query?: unknown }[] } };
    const exported = new Set((await new KeeperMetrics().registry.getMetricsAsJSON()).map((m) => m.name));
    const exprs = [...dashboard.panels.flatMap((p) => (p.targets ?? []).map((t) => t.expr)), ...dashboard.templating.list.map((v) => (typeof v.query === "string" ? v.query : ""))];
    const queried = new Set(exprs.flatMap(seriesOf));
    expect(queried.size).to.be.greaterThan(0);
    for (const name of queried) expect(exported.has(name), `${name} is queried but not exported`).to.equal(true);
    for (const name of exported) expect(queried.has(name), `${name} is exported but on no panel`).to.equal(true);
  });
});
