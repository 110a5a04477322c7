import type { Command } from "commander";
import { assess, type Assessment } from "../../keeper/assess";
import { policyFor } from "../../config/policy";
import { createAdapter } from "../../protocols/factory";
import { renderValueAtRisk } from "../../report/value-at-risk";
import { headOf } from "../../rpc/reads";
import { openContext } from "../context";
import { duration, marketName, percent, ratio, renderTable, toJson, usd, type Column } from "../../report/format";
import type { MarketAssessment } from "../../keeper/assess";

export function registerStatus(program: Command): void {
  program
    .command("status")
    .description("metrics table per market: collateral, open interest, svr, buffer, breaking shocks, oracle age; Value at Risk")
    .requiredOption("-c, --config <file>", "keeper config (YAML or JSON)")
    .option("--block <number>", "read at this block instead of the latest", (v) => Number.parseInt(v, 10))
    .option("--protocol <id>", "only this protocol")
    .option("--json", "machine-readable output")
    .action(async (opts: { config: string; block?: number; protocol?: string; json?: boolean }, cmd: Command) => {
      const ctx = await openContext({ configPath: opts.config, needSigner: false, logLevel: cmd.optsWithGlobals().logLevel ?? "warn" });
      try {
        const block = opts.block ?? (await headOf(ctx.provider));
        const reports: Assessment[] = [];
        for (const [i, p] of ctx.config.protocols.entries()) {
          if (opts.protocol && p.id !== opts.protocol) continue;
          const adapter = await createAdapter(p, ctx.provider, BigInt(ctx.config.chain.chainId));
          reports.push(assess(await adapter.readSnapshot(block), policyFor(p, i).valueAtRisk));
        }
        process.stdout.write(opts.json ? `${toJson(reports)}\n` : `${reports.map(renderAssessment).join("\n\n")}\n`);
        const stale = reports.flatMap((r) => r.staleOracles.map((m) => `${r.protocol}/${m}`));
        if (stale.length) {
          process.stderr.write(`svr-keeper: stale oracle${stale.length > 1 ? "s" : ""}: ${stale.join(", ")} (older than the protocol's heartbeat)\n`);
          process.exitCode = 2;
        }
      } finally {
        await ctx.close();
      }
    });
}

type Row = { name: string; m: MarketAssessment["metrics"]; bs: MarketAssessment["breakingShock"]; age: number | null; stale: boolean };

const COLUMNS: Column<Row>[] = [
  { header: "market", value: (r) => r.name, align: "left" },
  { header: "collateral", value: (r) => usd(r.m.collateralValue) },
  { header: "notional OI", value: (r) => usd(r.m.notionalOpenInterest) },
  { header: "svr", value: (r) => ratio(r.m.svr) },
  { header: "adj svr", value: (r) => ratio(r.m.adjustedSvr) },
  { header: "buffer", value: (r) => usd(r.m.systemicBuffer) },
  { header: "buffer/OI", value: (r) => percent(r.m.bufferRatio) },
  { header: "breaks ↓", value: (r) => (r.bs.down === null ? "none" : `-${percent(r.bs.down)}`) },
  { header: "breaks ↑", value: (r) => (r.bs.up === null ? "none" : `+${percent(r.bs.up)}`) },
  { header: "oracle age", value: (r) => (r.age === null ? "—" : `${duration(r.age)}${r.stale ? " STALE" : ""}`) },
];

export function renderAssessment(a: Assessment): string {
  const rows: Row[] = a.markets.map((m) => ({ name: marketName(m.market, m.label), m: m.metrics, bs: m.breakingShock, age: m.oracleAgeSeconds, stale: m.oracleStale }));
  rows.push({ name: "protocol", m: a.metrics, bs: a.breakingShock, age: null, stale: false });
  const head = `${a.protocol} at block ${a.block} (${new Date(a.timestamp * 1000).toISOString()}), ${a.metrics.positions} positions\n${renderTable(rows, COLUMNS)}`;
  return a.valueAtRisk ? `${head}\n\n${renderValueAtRisk(a.valueAtRisk)}` : head;
}
