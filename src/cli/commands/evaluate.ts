import { existsSync, mkdirSync, readdirSync, writeFileSync } from "node:fs";
import { join, resolve } from "node:path";
import type { Command } from "commander";
import { Presets, SingleBar } from "cli-progress";
import { availableParallelism } from "node:os";
import { evaluate, type Scorecard } from "../../evaluate/evaluate";
import { renderScorecardHtml } from "../../evaluate/report-html";
import { renderScorecard } from "../../evaluate/report-text";
import { STRATEGIES, type StrategyName } from "../../evaluate/scorecard";
import { acrossNoiseSeeds, type SuiteScenario } from "../../evaluate/seeds";
import { createLogger } from "../../log/logger";
import { redactUrl, Redactor } from "../../log/redact";
import { DEFAULT_GOVERNANCE_PROFILE, GOVERNANCE_PROFILE_NAMES, governanceProfile } from "../../steward/profiles";
import { ScenarioError, totalSteps } from "../../rehearse/scenario";
import { toJson } from "../../report/format";
import { checkChainFlags, openRehearsalChain, REHEARSAL_CHAIN_ID } from "./rehearsal-chain";
import { loadScenario } from "./rehearse";
import { evaluateInWorkers, splitSuite, WORKER_ENV, type WorkerStep } from "./evaluate-workers";

const SUITE_DIR = join(__dirname, "..", "..", "..", "scenarios");
/** Each worker holds its own chain (~1.5 GB): more than a few cost memory for little. */
const MAX_DEFAULT_WORKERS = 4;

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
    .option("--only <names>", "play only these scenarios of the suite (comma-separated names)")
    .option("--seeds <n>", "play each scenario with noise at n noise seeds (its own, then +101, +202…) and judge on the means over them; the table shows each seed and the spread", "1")
    .option(
      "--workers <n>",
      `embedded chain: play the scenarios in n processes at once, each on its own chain deployed from the same seed (default: the CPU count, at most ${MAX_DEFAULT_WORKERS}); with --config, 1`,
      (v) => Number.parseInt(v, 10),
    )
    .option("--json", "print the scorecard as JSON; its last line is the one-line summary")
    .action(
      async (
        opts: {
          suite: string;
          profile: string;
          strategies: string;
          config?: string;
          block?: number;
          out: string;
          positions: number;
          seed: number;
          only?: string;
          seeds: string;
          workers?: number;
          json?: boolean;
        },
        cmd: Command,
      ) => {
        checkChainFlags(opts);
        const profile = governanceProfile(opts.profile).name;
        const strategies = parseStrategies(opts.strategies);
        const suite = resolve(opts.suite);
        if (!existsSync(suite)) throw new ScenarioError(`--suite ${suite}: no such directory`);
        const files = readdirSync(suite)
          .filter((f) => /\.(json|ya?ml)$/.test(f))
          .sort();
        if (!files.length) throw new ScenarioError(`--suite ${suite}: no scenario files (.json, .yaml) in it`);
        if (opts.workers !== undefined && !(Number.isSafeInteger(opts.workers) && opts.workers >= 1)) throw new Error("--workers must be a whole number ≥ 1");
        const all = acrossNoiseSeeds(
          files.map((f) => loadScenario(join(suite, f))),
          opts.seeds,
        );
        const scenarios = opts.only === undefined ? all : onlyThese(all, opts.only, suite);
        const logLevel = cmd.optsWithGlobals().logLevel as string | undefined;
        const total = scenarios.reduce((n, s) => n + (totalSteps(s) + 1) * strategies.length, 0);
        // A worker reports each step to its parent, which draws the one bar.
        const worker = process.env[WORKER_ENV] === "1" && process.send !== undefined;
        const bar = new SingleBar({ format: "evaluating [{bar}] {value}/{total} steps, {what}", hideCursor: true, stream: process.stderr }, Presets.shades_classic);
        let done = 0;
        const onStep = (scenario: string, strategy: StrategyName) => {
          if (worker) process.send!({ kind: "step", scenario, strategy } satisfies WorkerStep);
          else bar.update(++done, { what: `${scenario} × ${strategy}` });
        };
        const workers = opts.config ? 1 : Math.min(opts.workers ?? Math.min(availableParallelism(), MAX_DEFAULT_WORKERS), scenarios.length);
        if (workers > 1) {
          if (!worker) bar.start(total, 0, { what: "" });
          const card = await evaluateInWorkers({
            groups: splitSuite(
              scenarios.map((s) => ({ name: s.name, steps: totalSteps(s) })),
              workers,
            ),
            order: scenarios.map((s) => s.name),
            globalArgs: logLevel ? ["--log-level", logLevel] : [],
            args: ["--suite", suite, "--profile", profile, "--strategies", strategies.join(","), "--positions", String(opts.positions), "--seed", String(opts.seed), "--seeds", opts.seeds],
            strategies,
            onStep: (s) => onStep(s.scenario, s.strategy),
          });
          bar.stop();
          writeScorecard(card, opts.out, opts.json);
          return;
        }
        const redactor = new Redactor();
        const logger = createLogger({ redactor, level: logLevel as string });
        const chain = await openRehearsalChain({ config: opts.config, block: opts.block, positions: opts.positions, seed: opts.seed, redactor });
        try {
          if (!worker) bar.start(total, 0, { what: "" });
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
            onStep,
          });
          bar.stop();
          writeScorecard(card, opts.out, opts.json);
        } finally {
          await chain.close();
          logger.close();
        }
      },
    );
}

/** Writes scorecard.json and scorecard.html to `dir` and prints the table, or with --json the JSON and the one-line summary last. */
function writeScorecard(card: Scorecard, dir: string, json: boolean | undefined): void {
  const out = resolve(dir);
  mkdirSync(out, { recursive: true });
  writeFileSync(join(out, "scorecard.json"), `${toJson(card)}\n`);
  writeFileSync(join(out, "scorecard.html"), renderScorecardHtml(card));
  if (json) {
    const { passes: _passes, ...compact } = card;
    process.stdout.write(`${toJson(compact)}\n${JSON.stringify(card.summary)}\n`);
  } else process.stdout.write(`${renderScorecard(card)}\n\nscorecard: ${join(out, "scorecard.html")} (and scorecard.json)\n`);
}

/**
 * The scenarios --only names, in the suite's order: a suite scenario's name takes all its noise-seed
 * variants, a variant's name that one (how workers are given their share). A name the suite does not
 * have is an error naming what it has.
 */
function onlyThese(all: SuiteScenario[], list: string, suite: string): SuiteScenario[] {
  const names = list
    .split(",")
    .map((s) => s.trim())
    .filter(Boolean);
  const named = (s: SuiteScenario, n: string) => s.name === n || s.variantOf === n;
  const unknown = names.filter((n) => !all.some((s) => named(s, n)));
  if (unknown.length || !names.length)
    throw new ScenarioError(
      `--only ${list}: ${unknown.length ? `no scenario ${unknown.join(", ")} in ${suite}` : "no name given"} (it has ${[...new Set(all.map((s) => s.variantOf ?? s.name))].join(", ")})`,
    );
  return all.filter((s) => names.some((n) => named(s, n)));
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
