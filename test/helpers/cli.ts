import { execFile, spawn, type ChildProcess } from "node:child_process";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

export interface CliResult {
  code: number;
  stdout: string;
  stderr: string;
}

const ROOT = join(__dirname, "..", "..");

/**
 * How the CLI is started: from source through ts-node, or, when SVR_KEEPER_CLI names a compiled
 * main.js (scripts/check-production.sh: a copy with production dependencies only), that file with
 * plain node.
 */
export function cliCommand(args: string[]): string[] {
  const compiled = process.env.SVR_KEEPER_CLI;
  return compiled ? [compiled, ...args] : ["-r", "ts-node/register/transpile-only", join(ROOT, "src/cli/main.ts"), ...args];
}

/** Runs the real CLI in a child process, as an operator would. */
export function runCli(args: string[], env: Record<string, string> = {}, timeoutMs = 120_000): Promise<CliResult> {
  return new Promise((resolve) => {
    execFile(
      process.execPath,
      cliCommand(args),
      { cwd: ROOT, env: { ...process.env, TS_NODE_PROJECT: join(ROOT, "tsconfig.json"), ...env }, timeout: timeoutMs, maxBuffer: 64 * 2 ** 20 },
      (error, stdout, stderr) => {
        const code = error ? (typeof error.code === "number" ? error.code : 1) : 0;
        resolve({ code, stdout, stderr });
      },
    );
  });
}

/** Writes a config file into a fresh temporary directory and returns its path. */
export function writeConfig(config: unknown): string {
  const dir = mkdtempSync(join(tmpdir(), "svr-keeper-"));
  const path = join(dir, "config.json");
  writeFileSync(path, JSON.stringify(config, null, 2));
  return path;
}

/** The config entry for a deployed reference protocol, as an operator would write it. */
export async function referenceProtocolEntry(
  system: {
    perps: { getAddress(): Promise<string> };
    steward: { getAddress(): Promise<string> };
    multicall: { getAddress(): Promise<string> };
    markets: { name: string; pool: { getAddress(): Promise<string> } }[];
  },
  extra: Record<string, unknown> = {},
): Promise<Record<string, unknown>> {
  const pools: Record<string, string> = {};
  for (const m of system.markets) pools[m.name] = await m.pool.getAddress();
  return {
    id: "ref-perps",
    adapter: "reference",
    protocol: await system.perps.getAddress(),
    steward: await system.steward.getAddress(),
    multicall: await system.multicall.getAddress(),
    pools,
    ...extra,
  };
}

/** `svr-keeper run` as a real process; its stdout and stderr are collected in `output()`. */
export function spawnKeeper(configPath: string, env: Record<string, string>, extraArgs: string[] = []): { child: ChildProcess; output: () => string } {
  let output = "";
  const child = spawn(process.execPath, cliCommand([...extraArgs, "run", "--config", configPath]), {
    cwd: ROOT,
    env: { ...process.env, TS_NODE_PROJECT: join(ROOT, "tsconfig.json"), ...env },
    stdio: ["ignore", "pipe", "pipe"],
  });
  child.stdout!.on("data", (d) => (output += d));
  child.stderr!.on("data", (d) => (output += d));
  return { child, output: () => output };
}
