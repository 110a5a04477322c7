import { loadConfigFile } from "../config/load";
import type { KeeperConfig } from "../config/schema";
import { resolveSecrets, type Secrets } from "../config/secrets";
import { createLogger, type Logger } from "../log/logger";
import { Redactor } from "../log/redact";
import { connectRpc, type CountingJsonRpcProvider } from "../rpc/connect";

/** What every command that talks to a chain needs, built once from the config file and environment. */
export interface CliContext {
  config: KeeperConfig;
  secrets: Secrets;
  redactor: Redactor;
  logger: Logger;
  provider: CountingJsonRpcProvider;
  close(): Promise<void>;
}

export interface OpenContextOptions {
  configPath: string;
  logLevel?: string;
  /** Read-only commands (status, stress, plan) need no signing key. */
  needSigner: boolean;
  env?: Record<string, string | undefined>;
}

export async function openContext(opts: OpenContextOptions): Promise<CliContext> {
  const redactor = new Redactor();
  const config = loadConfigFile(opts.configPath);
  const secrets = resolveSecrets(config, opts.env ?? process.env, redactor, opts.needSigner);
  const logger = createLogger({ redactor, level: opts.logLevel ?? config.log.level });
  const provider = await connectRpc(secrets.rpcUrl, config.chain.chainId);
  return {
    config,
    secrets,
    redactor,
    logger,
    provider,
    close: async () => {
      provider.destroy();
      logger.close();
    },
  };
}
