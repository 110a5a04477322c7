import type { Command } from "commander";
import { createAdapter } from "../../protocols/factory";
import { breakingShock, runScenario, stressGrid, type BreakingShock, type ShockVector } from "../../risk";
import { percent, ratio, renderTable, toJson, usd } from "../../report/format";
import { headOf } from "../../rpc/reads";
import { openContext } from "../context";

interface StressRow {
  delta: number;
  svr: number | null;
  liquidatedNotionalUsd: number;
  rounds: number;
  shortfallUsd: number;
  finalPrices: Record<string, number>;
}

interface StressOutput {
  protocol: string;
  block: number;
  /** What is real here: the protocol's on-chain state at the block; the shocks are hypothetical. */
  source: string;
  breakingShock: BreakingShock;
  grid?: StressRow[];
  scenario?: StressRow & { shocks: ShockVector };
}

/** `--shock ETH=-0.3,BTC=-0.25`: one scenario vector, each asset's move as a fraction. */
export function parseShockVector(text: string): ShockVector {
  const shocks: ShockVector = {};
  for (const part of text
    .split(",")
    .map((s) => s.trim())
    .filter(Boolean)) {
    const m = /^([A-Za-z0-9._-]+)=(-?[0-9]*\.?[0-9]+)$/.exec(part);
    if (!m) throw new Error(`--shock: "${part}" is not ASSET=fraction (e.g. ETH=-0.3)`);
    const v = Number(m[2]);
    if (!(v > -1)) throw new Error(`--shock: ${m[1]} moves ${v}: a price cannot fall by 100 % or more`);
    shocks[m[1]] = v;
  }
  if (!Object.keys(shocks).length) throw new Error("--shock needs at least one ASSET=fraction");
  return shocks;
}

/** `svr-keeper stress`: the stress grid and breaking shocks of every configured protocol at a block (SPEC §7); sends nothing. */
export function registerStress(program: Command): void {
  program
    .command("stress")
    .description("stress grid and breaking shocks of the configured protocols at a block; --shock for one scenario vector")
    .requiredOption("-c, --config <file>", "keeper config (YAML or JSON)")
    .option("--block <n>", "block to read (default: the node's head)", (v) => {
      if (!/^[0-9]+$/.test(v)) throw new Error(`--block must be a whole number (got ${v})`);
      return Number(v);
    })
    .option("--protocol <id>", "only this protocol")
    .option("--shock <vector>", "one scenario: ASSET=fraction,... (e.g. ETH=-0.3,BTC=-0.25) instead of the grid")
    .option("--json", "machine-readable output")
    .action(async (opts: { config: string; block?: number; protocol?: string; shock?: string; json?: boolean }, cmd: Command) => {
      const shocks = opts.shock === undefined ? undefined : parseShockVector(opts.shock);
      const ctx = await openContext({ configPath: opts.config, needSigner: false, logLevel: cmd.optsWithGlobals().logLevel ?? "warn" });
      try {
        const block = opts.block ?? (await headOf(ctx.provider));
        const outputs: StressOutput[] = [];
        for (const p of ctx.config.protocols) {
          if (opts.protocol && p.id !== opts.protocol) continue;
          const adapter = await createAdapter(p, ctx.provider, BigInt(ctx.config.chain.chainId));
          const risk = (await adapter.readSnapshot(block)).risk;
          const out: StressOutput = { protocol: p.id, block, source: "on-chain state at the block (real); price moves hypothetical", breakingShock: breakingShock(risk) };
          if (shocks) {
            const unknown = Object.keys(shocks).filter((a) => !risk.assets.some((x) => x.id === a));
            if (unknown.length) throw new Error(`--shock: ${p.id} has no asset ${unknown.join(", ")} (it has ${risk.assets.map((a) => a.id).join(", ")})`);
            out.scenario = { ...row(0, runScenario(risk, shocks)), shocks };
          } else {
            out.grid = stressGrid(risk).map((g) => row(g.delta, g));
          }
          outputs.push(out);
        }
        process.stdout.write(opts.json ? `${toJson(outputs)}\n` : `${outputs.map(render).join("\n\n")}\n`);
      } finally {
        await ctx.close();
      }
    });
}

function row(delta: number, r: { svr: number | null; liquidatedNotional: number; rounds: number; shortfall: number; finalPrices: Record<string, number> }): StressRow {
  return { delta, svr: r.svr, liquidatedNotionalUsd: r.liquidatedNotional, rounds: r.rounds, shortfallUsd: r.shortfall, finalPrices: r.finalPrices };
}

function render(o: StressOutput): string {
  const head = `${o.protocol} at block ${o.block} (${o.source})\nbreaking shock: down ${percent(o.breakingShock.down)}, up ${percent(o.breakingShock.up)}`;
  const rows = o.scenario ? [o.scenario] : (o.grid ?? []).filter((g) => Math.round(g.delta * 100) % 5 === 0);
  const table = renderTable(rows, [
    {
      header: o.scenario ? "shocks" : "move",
      value: (r) =>
        o.scenario
          ? Object.entries(o.scenario.shocks)
              .map(([a, v]) => `${a} ${percent(v)}`)
              .join(", ")
          : percent(r.delta),
      align: "left",
    },
    { header: "svr after", value: (r) => ratio(r.svr) },
    { header: "liquidated", value: (r) => usd(r.liquidatedNotionalUsd) },
    { header: "rounds", value: (r) => String(r.rounds) },
    { header: "bad debt", value: (r) => usd(r.shortfallUsd) },
  ]);
  return `${head}\n${table}`;
}
