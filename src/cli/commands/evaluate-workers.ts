import { fork, type ChildProcess } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { verdicts, type Scorecard } from "../../evaluate/evaluate";
import type { StrategyName } from "../../evaluate/scorecard";

/** What a worker tells its parent while it plays: a step done. */
export interface WorkerStep {
  kind: "step";
  scenario: string;
  strategy: StrategyName;
}

/** Set in a worker's environment: progress goes to the parent over IPC instead of a bar. */
export const WORKER_ENV = "SVR_EVALUATE_WORKER";

/**
 * Splits a suite among `workers` processes, the longest scenario first onto the least loaded
 * worker (by steps): deterministic, and each worker's share about equal. Empty groups are dropped.
 */
export function splitSuite(scenarios: readonly { name: string; steps: number }[], workers: number): string[][] {
  const groups = Array.from({ length: Math.max(1, workers) }, () => ({ steps: 0, names: [] as string[] }));
  const longestFirst = [...scenarios].sort((a, b) => b.steps - a.steps || a.name.localeCompare(b.name));
  for (const s of longestFirst) {
    const least = groups.reduce((min, g) => (g.steps < min.steps ? g : min), groups[0]);
    least.steps += s.steps;
    least.names.push(s.name);
  }
  return groups.map((g) => g.names).filter((names) => names.length > 0);
}

/**
 * Plays the suite in one child process per group, each on its own embedded chain deployed from the
 * same seed (so the same starting state as one chain reverted before each scenario), and merges
 * their scorecards in the suite's order. A worker is this CLI's own `evaluate --only <group>`.
 */
export async function evaluateInWorkers(opts: {
  groups: string[][];
  /** The suite's scenario names in order: the merged scorecard lists them so. */
  order: string[];
  /** The CLI's global options (the log level), then the evaluate arguments every worker shares (suite, profile, strategies, positions, seed). */
  globalArgs: string[];
  args: string[];
  strategies: StrategyName[];
  onStep: (step: WorkerStep) => void;
}): Promise<Scorecard> {
  const started = Date.now();
  const dirs = opts.groups.map(() => mkdtempSync(join(tmpdir(), "svr-evaluate-worker-")));
  try {
    const workers = opts.groups.map((group, i) => runWorker(opts.globalArgs, [...opts.args, "--only", group.join(","), "--workers", "1", "--out", dirs[i]], opts.onStep));
    // Workers do not outlive their parent (an interrupted evaluate).
    const stop = () => workers.forEach((w) => w.child.kill());
    process.once("exit", stop);
    try {
      await Promise.all(workers.map((w) => w.done));
      process.removeListener("exit", stop);
    } catch (e) {
      process.removeListener("exit", stop);
      for (const w of workers) w.child.kill(); // one failed: the others' figures would be an incomplete scorecard
      await Promise.allSettled(workers.map((w) => w.done));
      throw e;
    }
    const cards = dirs.map((d) => JSON.parse(readFileSync(join(d, "scorecard.json"), "utf8")) as Scorecard);
    const byName = new Map(cards.flatMap((c) => c.scenarios.map((s) => [s.scenario, s] as const)));
    const scenarios = opts.order.map((name) => {
      const s = byName.get(name);
      if (!s) throw new Error(`evaluate worker: no score for scenario ${name}`);
      return s;
    });
    const passes = Object.fromEntries(opts.order.map((name) => [name, cards.find((c) => c.passes[name])!.passes[name]]));
    const first = cards[0];
    const { acrossSeeds: _spread, ...common } = first;
    return { ...common, scenarios, passes, ...verdicts(scenarios, first.profile.name, opts.strategies, Date.now() - started) };
  } finally {
    for (const d of dirs) rmSync(d, { recursive: true, force: true });
  }
}

/** This CLI in a child process (under ts-node when it runs from source); `done` rejects with its stderr's tail when it fails. */
function runWorker(globalArgs: string[], args: string[], onStep: (step: WorkerStep) => void): { child: ChildProcess; done: Promise<void> } {
  const fromSource = __filename.endsWith(".ts");
  const main = join(__dirname, "..", fromSource ? "main.ts" : "main.js");
  const child = fork(main, [...globalArgs, "evaluate", ...args], {
    execArgv: fromSource ? ["-r", "ts-node/register/transpile-only"] : [],
    env: { ...process.env, [WORKER_ENV]: "1" },
    stdio: ["ignore", "ignore", "pipe", "ipc"],
  });
  let tail = "";
  child.stderr!.on("data", (chunk: Buffer) => {
    process.stderr.write(chunk);
    tail = (tail + chunk.toString("utf8")).slice(-4000);
  });
  child.on("message", (m: WorkerStep) => {
    if (m?.kind === "step") onStep(m);
  });
  const done = new Promise<void>((resolve, reject) => {
    child.on("error", reject);
    child.on("exit", (code, signal) => {
      if (code === 0) resolve();
      else reject(new Error(`evaluate worker (${args.join(" ")}) ended with ${signal ?? `code ${code}`}: ${tail.trim().split("\n").slice(-5).join("\n")}`));
    });
  });
  return { child, done };
}
