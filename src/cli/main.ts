#!/usr/bin/env node
import { Command, Option } from "commander";
import { Redactor } from "../log/redact";
import { registerDemo } from "./commands/demo";
import { registerEvaluate } from "./commands/evaluate";
import { registerPlan } from "./commands/plan";
import { registerRehearse } from "./commands/rehearse";
import { registerRun } from "./commands/run";
import { registerStatus } from "./commands/status";
import { registerStress } from "./commands/stress";

/** svr-keeper's command line: one sub-command a job an operator does. */
export function buildProgram(): Command {
  const program = new Command()
    .name("svr-keeper")
    .description("Guards the Security-to-Value Ratio of on-chain derivative and margin protocols")
    .showHelpAfterError()
    .addOption(new Option("--log-level <level>", "log level for stderr JSON logs (default: warn; for run, the config's log.level)").choices(["error", "warn", "info", "debug"]));
  registerStatus(program);
  registerStress(program);
  registerDemo(program);
  registerPlan(program);
  registerRun(program);
  registerRehearse(program);
  registerEvaluate(program);
  return program;
}

if (require.main === module) {
  buildProgram()
    .parseAsync(process.argv)
    .catch((e: unknown) => {
      // Typed errors carry a message written for the operator; anything else is a bug worth its stack.
      const err = e as Error & { shortMessage?: string };
      // ethers' messages embed whole requests; its shortMessage is the part an operator needs.
      const text = err.shortMessage ?? err.message;
      // Last line of defence: whatever the error carries, key-shaped strings and URL paths are masked.
      const message = new Redactor().redact(`${err.name && err.name !== "Error" ? `${err.name}: ` : ""}${text}`);
      process.stderr.write(`svr-keeper: ${message}\n`);
      process.exitCode = 1;
    });
}
