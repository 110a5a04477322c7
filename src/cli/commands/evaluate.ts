import { existsSync, mkdirSync, readdirSync, writeFileSync } from "node:fs";
import { join, resolve } from "node:path";
import type { Command } from "commander";
import { Presets, SingleBar } from "cli-progress";
import { evaluate } from "../../evaluate/evaluate";
import { renderScorecardHtml } from "../../evaluate/report-html";
import { renderScorecard } from "../../evaluate/report-text";
import { STRATEGIES, type StrategyName } from "../../evaluate/scorecard";
import { createLogger } from "../../log/logger";
import { redactUrl, Redactor } from "../../log/redact";
import { DEFAULT_GOVERNANCE_PROFILE, GOVERNANCE_PROFILE_NAMES, governanceProfile } from "../../steward/profiles";
import { ScenarioError, totalSteps } from "../../rehearse/scenario";
import { toJson } from "../../report/format";
import { openRehearsalChain, REHEARSAL_CHAIN_ID } from "./rehearsal-chain";
import { loadScenario } from "./rehearse";

const SUITE_DIR = join(__dirname, "..", "..", "..", "scenarios");

/**
 * `svr-keeper evaluate`: every scenario of a suite, from one chain state, under none, static,
 * naive and the keeper — the scorecard (table, JSON, HTML with a Pareto panel per scenario).
 * With --json the last line of stdout is the one-line summary.
 */
export function registerEvaluate(program: Command): void {
  program
    .command("evaluate")
    .description("score the keeper against baselines (none, static, naive) over a suite of scenarios: bad debt against forced liquidations")
    .option("--suite <dir>", "directory of scenario files (JSON or YAML)", SUITE_DIR)
    .option("--profile <name>", `governance profile the stewards are bounded by (${GOVERNANCE_PROFILE_NAMES.join(", ")})`, DEFAULT_GOVERNANCE_PROFILE)
    .option("--strategies <list>", `comma-separated, from ${STRATEGIES.join(", ")}`, STRATEGIES.join(","))
    .option("-c, --config <file>", "keeper config naming the chain to fork and its protocols; without it, the embedded chain")
    .option("--block <n>", "fork at this block", (v) => Number.parseInt(v, 10))
    .option("--out <dir>", "write scorecard.json and scorecard.html here", "scorecard")
    .option("--positions <n>", "embedded chain: positions in the reference protocol's book", (v) => Number.parseInt(v, 10), 150)
    .option("--seed <n>", "embedded chain: seed of the synthetic book", (v) => Number.parseInt(v, 10), 7)
    .option("--json", "print the scorecard as JSON; its last line is the one-line summary")
    .action(async (opts: { suite: string; profile: string; strategies: string; config?: string; block?: number; out: string; positions: number; seed: number; json?: boolean }, cmd: Command) => {
      for (const [flag, v] of [
        ["--block", opts.block],
        ["--positions", opts.positions],
        ["--seed", opts.seed],
      ] as const) {
        if (v !== undefined && !(Number.isSafeInteger(v) && v >= 0)) throw new Error(`${flag} must be a whole number ≥ 0`);
      }
      const profile = governanceProfile(opts.profile).name;
      const strategies = parseStrategies(opts.strategies);
      const suite = resolve(opts.suite);
      if (!existsSync(suite)) throw new ScenarioError(`--suite ${suite}: no such directory`);
      const files = readdirSync(suite)
        .filter((f) => /\.(json|ya?ml)$/.test(f))
        .sort();
      if (!files.length) throw new ScenarioError(`--suite ${suite}: no scenario files (.json, .yaml) in it`);
      const scenarios = files.map((f) => loadScenario(join(suite, f)));
      const redactor = new Redactor();
      const logger = createLogger({ redactor, level: cmd.optsWithGlobals().logLevel as string });
      const chain = await openRehearsalChain({ config: opts.config, block: opts.block, positions: opts.positions, seed: opts.seed, redactor });
      try {
        const total = scenarios.reduce((n, s) => n + (totalSteps(s) + 1) * strategies.length, 0);
        const bar = new SingleBar({ format: "evaluating [{bar}] {value}/{total} steps, {what}", hideCursor: true, stream: process.stderr }, Presets.shades_classic);
        bar.start(total, 0, { what: "" });
        let done = 0;
        const card = await evaluate({
          provider: chain.provider,
          chainId: REHEARSAL_CHAIN_ID,
          targets: chain.targets,
          policies: chain.policies,
          scenarios,
          profile,
          strategies,
          logger,
          fork: chain.fork && { url: redactUrl(chain.fork.url), block: chain.fork.block },
          onStep: (scenario, strategy) => bar.update(++done, { what: `${scenario} × ${strategy}` }),
        });
        bar.stop();
        const out = resolve(opts.out);
        mkdirSync(out, { recursive: true });
        writeFileSync(join(out, "scorecard.json"), `${toJson(card)}\n`);
        writeFileSync(join(out, "scorecard.html"), renderScorecardHtml(card));
        if (opts.json) {
          const { passes: _passes, ...compact } = card;
          process.stdout.write(`${toJson(compact)}\n${JSON.stringify(card.summary)}\n`);
        } else process.stdout.write(`${renderScorecard(card)}\n\nscorecard: ${join(out, "scorecard.html")} (and scorecard.json)\n`);
      } finally {
        await chain.close();
        logger.close();
      }
    });
}

function parseStrategies(list: string): StrategyName[] {
  const names = list
    .split(",")
    .map((s) => s.trim())
    .filter(Boolean);
  const unknown = names.filter((n) => !(STRATEGIES as readonly string[]).includes(n));
  if (unknown.length || !names.length) throw new Error(`--strategies ${list}: ${unknown.length ? `no strategy ${unknown.join(", ")}` : "none given"} (there are ${STRATEGIES.join(", ")})`);
  if (names.includes("static") && !names.includes("keeper")) throw new Error("--strategies: static needs keeper (it sets the parameters the keeper ends with)");
  return STRATEGIES.filter((s) => names.includes(s));
}
