import type { Command } from "commander";
import { KeeperService } from "../../service/keeper-service";
import { openContext } from "../context";

/** `svr-keeper run`: the service, until SIGTERM or SIGINT (a second signal exits at once). */
export function registerRun(program: Command): void {
  program
    .command("run")
    .description("run the keeper: observe every protocol, plan, and act through the steward")
    .requiredOption("-c, --config <file>", "keeper config (YAML or JSON)")
    .action(async (opts: { config: string }, cmd: Command) => {
      const ctx = await openContext({ configPath: opts.config, needSigner: true, logLevel: cmd.optsWithGlobals().logLevel });
      const service = new KeeperService(ctx.config, ctx.secrets, ctx.provider, ctx.logger);
      await service.start();
      await new Promise<void>((resolve) => {
        let stopping = false;
        const stop = (signal: string) => {
          if (stopping) process.exit(1);
          stopping = true;
          ctx.logger.info("stopping", { signal });
          void service.stop().then(async () => {
            await ctx.close();
            resolve();
          });
        };
        process.on("SIGTERM", () => stop("SIGTERM"));
        process.on("SIGINT", () => stop("SIGINT"));
      });
    });
}
