import type { Command } from "commander";
import { Wallet } from "ethers";
import { simulate, type SimulationResult } from "../../chain/simulate";
import { keeperRevertDecoder } from "../../protocols/revert-decoder";
import { policyFor } from "../../config/policy";
import { planActions, type Plan } from "../../policy";
import { createAdapter } from "../../protocols/factory";
import { describeAction, describeReason } from "../../policy/describe";
import { headOf } from "../../rpc/reads";
import { openContext } from "../context";
import { marketLabels } from "../../domain/protocol-state";
import { marketName, percent, ratio, renderTable, toJson, usd } from "../../report/format";
import { renderValueAtRisk } from "../../report/value-at-risk";

interface PlannedOutput {
  plan: Plan;
  calls: { to: string; data: string; simulation: SimulationResult }[];
  /** Market id → what a person calls it (a reserve's symbol), where the adapter knows. */
  labels: Record<string, string>;
}

/** `svr-keeper plan`: what the keeper would do now, with calldata and the simulated outcome; sends nothing. */
export function registerPlan(program: Command): void {
  program
    .command("plan")
    .description("dry run: the actions the policy would take now, their calldata and simulated outcome; changes nothing")
    .requiredOption("-c, --config <file>", "keeper config (YAML or JSON)")
    .option("--from <address>", "simulate from this keeper address (default: the address of the configured signing key)")
    .option("--protocol <id>", "only this protocol")
    .option("--json", "machine-readable output, with the evidence encoding in full")
    .action(async (opts: { config: string; from?: string; protocol?: string; json?: boolean }, cmd: Command) => {
      const ctx = await openContext({ configPath: opts.config, needSigner: false, logLevel: cmd.optsWithGlobals().logLevel ?? "warn" });
      try {
        const from = opts.from ?? (ctx.secrets.signerKey ? new Wallet(ctx.secrets.signerKey).address : undefined);
        if (!from) throw new Error(`plan simulates from the keeper's address: pass --from or set ${ctx.config.keeper.signerKeyEnv}`);
        const decoder = keeperRevertDecoder();
        const block = await headOf(ctx.provider);
        const outputs: PlannedOutput[] = [];
        for (const [i, p] of ctx.config.protocols.entries()) {
          if (opts.protocol && p.id !== opts.protocol) continue;
          const policy = policyFor(p, i);
          const adapter = await createAdapter(p, ctx.provider, BigInt(ctx.config.chain.chainId));
          const snapshot = await adapter.readSnapshot(block);
          // A dry run has no history: each market is judged on this one observation.
          const plan = planActions({ snapshot, history: {}, state: { markets: {} }, config: { ...policy, defaults: { ...policy.defaults, confirmations: 1 } } });
          const calls = [];
          for (const a of plan.actions) {
            const tx = adapter.buildAction(a.action, a.provenance);
            calls.push({ to: tx.to, data: tx.data, simulation: await simulate(ctx.provider, from, tx, decoder) });
          }
          outputs.push({ plan, calls, labels: marketLabels(snapshot.markets) });
        }
        process.stdout.write(opts.json ? `${toJson(outputs)}\n` : `${outputs.map(renderPlan).join("\n\n")}\n`);
      } finally {
        await ctx.close();
      }
    });
}

function renderPlan({ plan, calls, labels }: PlannedOutput): string {
  const name = (id: string) => marketName(id, labels[id]);
  const levels = renderTable(plan.markets, [
    { header: "market", value: (m) => name(m.market), align: "left" },
    { header: "level", value: (m) => m.level, align: "left" },
    { header: "svr", value: (m) => ratio(m.svr) },
    { header: "breaks ↓", value: (m) => (m.breakingShock.down === null ? "none" : `-${percent(m.breakingShock.down)}`) },
    { header: "breaks ↑", value: (m) => (m.breakingShock.up === null ? "none" : `+${percent(m.breakingShock.up)}`) },
    { header: "P(breach act)", value: (m) => (m.forecast ? percent(m.forecast.breachProbability) : "—") },
    { header: "p99 loss", value: (m) => (m.valueAtRisk ? `${usd(m.valueAtRisk.loss.p99)}${m.valueAtRisk.breach ? " OVER LIMIT" : ""}` : "—") },
  ]);
  const rows = plan.actions.map((a, i) => ({ a, call: calls[i] }));
  const actions = rows.length
    ? renderTable(rows, [
        { header: "market", value: (r) => name(r.a.action.market), align: "left" },
        { header: "action", value: (r) => describeAction(r.a.action), align: "left" },
        { header: "urgency", value: (r) => r.a.urgency, align: "left" },
        { header: "because", value: (r) => describeReason(r.a.reason), align: "left" },
        { header: "expected", value: (r) => `${r.a.expected.metric} ${fmt(r.a.expected.before)} → ${fmt(r.a.expected.after)}`, align: "left" },
        { header: "simulation", value: (r) => simText(r.call.simulation), align: "left" },
      ])
    : "no action";
  const deferred = plan.deferred.map((d) => `  ${name(d.market)}: ${d.reason}`).join("\n");
  return [
    `${plan.protocol} at block ${plan.block} — evidence ${plan.evidence.hash}`,
    levels,
    ...(plan.valueAtRisk ? ["", renderValueAtRisk(plan.valueAtRisk)] : []),
    "",
    actions,
    ...(deferred ? ["", "deferred:", deferred] : []),
    ...calls.map((c, i) => `  call ${i + 1}: to ${c.to} data ${c.data.slice(0, 74)}… key ${plan.actions[i].provenance.idempotencyKey}`),
  ].join("\n");
}

const fmt = (v: number | null) => (v === null ? "—" : v.toFixed(4));

function simText(s: SimulationResult): string {
  if (s.status === "ok") return `ok, ~${s.gasEstimate} gas`;
  if (s.status === "reverted") return `REVERTS ${s.description}`;
  return `not simulated: ${s.reason}`;
}
