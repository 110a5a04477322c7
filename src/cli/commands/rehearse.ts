import { existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import { join, resolve } from "node:path";
import type { Command } from "commander";
import { Presets, SingleBar } from "cli-progress";
import { parse as parseYaml } from "yaml";
import { createLogger } from "../../log/logger";
import { redactUrl, Redactor } from "../../log/redact";
import { renderHtmlReport } from "../../rehearse/report-html";
import { renderSummary } from "../../rehearse/report-text";
import { rehearse } from "../../rehearse/rehearse";
import { parseScenario, ScenarioError, totalSteps, type Scenario } from "../../rehearse/scenario";
import { REPLICA_GOVERNANCE_PROFILE, REPLICA_NAME } from "../../replica/aave-v3-ethereum";
import { toJson } from "../../report/format";
import { DEFAULT_GOVERNANCE_PROFILE, GOVERNANCE_PROFILE_NAMES, governanceProfile } from "../../steward/profiles";
import { checkChainFlags, openRehearsalChain, REHEARSAL_CHAIN_ID } from "./rehearsal-chain";

const SCENARIO_DIR = join(__dirname, "..", "..", "..", "scenarios");
/** Scenarios written for the Aave replica's reserves (wstETH, weETH, cbBTC…): not in the embedded suite `evaluate` plays. */
const REPLICA_SCENARIO_DIR = join(SCENARIO_DIR, "replica");
export const DEFAULT_SCENARIO = "crash-thin-liquidity";
export const DEFAULT_REPLICA_SCENARIO = "replica-crash";

/**
 * `svr-keeper rehearse`: fork a chain at a block (or start the embedded one), install the steward,
 * play a scenario with and without the keeper, and report. Nothing touches the forked chain.
 */
export function registerRehearse(program: Command): void {
  program
    .command("rehearse")
    .description("rehearse the keeper on a fork (or the embedded chain): play a scenario with and without acting, report before and after")
    .option(
      "-s, --scenario <name|file>",
      `a shipped scenario (${listScenarios(SCENARIO_DIR).join(", ")}; for --replica ${listScenarios(REPLICA_SCENARIO_DIR).join(", ")}) or a scenario file (default: ${DEFAULT_SCENARIO}; with --replica ${DEFAULT_REPLICA_SCENARIO})`,
    )
    .option("-c, --config <file>", "keeper config naming the chain to fork (its RPC URL, from the environment) and the protocols; without it, the embedded chain")
    .option("--block <n>", "fork at this block (default: the RPC's head, pinned when the rehearsal starts)", (v) => Number.parseInt(v, 10))
    .option("--out <dir>", "write report.json and report.html here", "rehearsal-report")
    .option("--positions <n>", "embedded chain: positions in the reference protocol's book (with --replica: synthetic borrowers)", (v) => Number.parseInt(v, 10), 150)
    .option("--replica <name>", "rehearse a mainnet replica on the embedded chain: aave-v3-ethereum (real configuration, synthetic borrowers)")
    .option("--seed <n>", "embedded chain: seed of the synthetic book", (v) => Number.parseInt(v, 10), 7)
    .option(
      "--profile <name>",
      `governance profile the stewards are bounded by (${GOVERNANCE_PROFILE_NAMES.join(", ")}; default ${DEFAULT_GOVERNANCE_PROFILE}, with --replica ${REPLICA_GOVERNANCE_PROFILE})`,
    )
    .option("--json", "print the whole report as JSON instead of the summary")
    .action(async (opts: { scenario?: string; config?: string; block?: number; out: string; positions: number; seed: number; profile?: string; replica?: string; json?: boolean }, cmd: Command) => {
      if (opts.replica !== undefined && opts.replica !== REPLICA_NAME) throw new Error(`--replica: no replica "${opts.replica}" (there is ${REPLICA_NAME})`);
      if (opts.replica !== undefined && opts.config) throw new Error("--replica deploys on the embedded chain: it cannot be combined with --config");
      checkChainFlags(opts);
      const profile = opts.profile === undefined ? undefined : governanceProfile(opts.profile).name;
      const scenario = loadScenario(opts.scenario ?? (opts.replica !== undefined ? DEFAULT_REPLICA_SCENARIO : DEFAULT_SCENARIO));
      const redactor = new Redactor();
      const logLevel = (cmd.optsWithGlobals().logLevel as string | undefined) ?? "warn";
      const logger = createLogger({ redactor, level: logLevel });
      const chain = await openRehearsalChain({ config: opts.config, block: opts.block, positions: opts.positions, seed: opts.seed, replica: opts.replica !== undefined, redactor });
      const { provider, fork, targets, policies, replica } = chain;
      try {
        // One bar over both passes: the counterfactual first, then the keeper's run.
        const steps = totalSteps(scenario) + 1;
        const bar = new SingleBar({ format: "rehearsing [{bar}] {value}/{total} steps, {pass}", hideCursor: true, stream: process.stderr }, Presets.shades_classic);
        bar.start(2 * steps, 0, { pass: "without the keeper" });
        const report = await rehearse({
          provider,
          chainId: REHEARSAL_CHAIN_ID,
          targets,
          scenario,
          policies,
          logger,
          profile,
          replica,
          fork: fork && { url: redactUrl(fork.url), block: fork.block },
          onStep: (pass, step) => bar.update((pass === "keeper" ? steps : 0) + step + 1, { pass: pass === "keeper" ? "with the keeper" : "without the keeper" }),
        });
        bar.stop();
        const out = resolve(opts.out);
        mkdirSync(out, { recursive: true });
        writeFileSync(join(out, "report.json"), `${toJson(report)}\n`);
        writeFileSync(join(out, "report.html"), renderHtmlReport(report));
        process.stdout.write(opts.json ? `${toJson(report)}\n` : `${renderSummary(report)}\n\nreport: ${join(out, "report.html")} (and report.json)\n`);
      } finally {
        await chain.close();
        logger.close();
      }
    });
}

function listScenarios(dir: string): string[] {
  try {
    return readdirSync(dir)
      .filter((f: string) => f.endsWith(".json"))
      .map((f: string) => f.replace(/\.json$/, ""))
      .sort();
  } catch {
    return [];
  }
}

/** A shipped scenario by name (the embedded suite's or the replica's), or a file (JSON or YAML); errors name the file and the field. */
export function loadScenario(nameOrPath: string): Scenario {
  const shipped = [SCENARIO_DIR, REPLICA_SCENARIO_DIR].map((dir) => join(dir, `${nameOrPath}.json`)).find((f) => existsSync(f));
  const path = shipped ?? resolve(nameOrPath);
  if (!existsSync(path))
    throw new ScenarioError(`no scenario "${nameOrPath}": not a shipped one (${[...listScenarios(SCENARIO_DIR), ...listScenarios(REPLICA_SCENARIO_DIR)].join(", ")}) and no file at ${path}`);
  let raw: unknown;
  try {
    const text = readFileSync(path, "utf8");
    raw = path.endsWith(".json") ? JSON.parse(text) : parseYaml(text);
  } catch (e) {
    throw new ScenarioError(`scenario ${path} cannot be parsed: ${(e as Error).message}`);
  }
  return parseScenario(raw, path);
}
