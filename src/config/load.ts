import { readFileSync } from "node:fs";
import { extname } from "node:path";
import { parse as parseYaml } from "yaml";
import type { z } from "zod";
import { configSchema, type KeeperConfig } from "./schema";

/** A config that cannot be used; `problems` name each field and what to fix. */
export class ConfigError extends Error {
  override readonly name = "ConfigError";
  constructor(
    readonly source: string,
    readonly problems: string[],
  ) {
    super(`invalid config ${source}:\n${problems.map((p) => `  - ${p}`).join("\n")}`);
  }
}

/** Reads and validates a YAML or JSON config file; throws ConfigError naming every bad field. */
export function loadConfigFile(path: string): KeeperConfig {
  let text: string;
  try {
    text = readFileSync(path, "utf8");
  } catch (e) {
    throw new ConfigError(path, [`cannot read the file: ${(e as Error).message}`]);
  }
  let raw: unknown;
  try {
    raw = extname(path) === ".json" ? JSON.parse(text) : parseYaml(text);
  } catch (e) {
    throw new ConfigError(path, [`not valid ${extname(path) === ".json" ? "JSON" : "YAML"}: ${(e as Error).message}`]);
  }
  return parseConfig(raw, path);
}

export function parseConfig(raw: unknown, source = "<inline>"): KeeperConfig {
  const result = configSchema.safeParse(raw);
  if (!result.success) throw new ConfigError(source, formatIssues(result.error.issues));
  return result.data;
}

function formatIssues(issues: z.core.$ZodIssue[]): string[] {
  return issues.map((issue) => {
    const field = issue.path.length ? issue.path.map((p, i) => (typeof p === "number" ? `[${p}]` : `${i ? "." : ""}${String(p)}`)).join("") : "(root)";
    return `${field}: ${issue.message}`;
  });
}
