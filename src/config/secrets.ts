import { Wallet } from "ethers";
import { ConfigError } from "./load";
import type { KeeperConfig } from "./schema";
import type { Redactor } from "../log/redact";

/** Secret values, read from the environment only and registered with the redactor at once. */
export interface Secrets {
  rpcUrl: string;
  signerKey?: string;
  flashbotsAuthKey?: string;
  relayUrl?: string;
  webhookUrl?: string;
}

type Env = Record<string, string | undefined>;

/**
 * Resolves every secret the config names. Missing ones are a start-up error naming the
 * variable; `needSigner` is false for read-only commands (status, stress, plan).
 */
export function resolveSecrets(cfg: KeeperConfig, env: Env, redactor: Redactor, needSigner: boolean): Secrets {
  const problems: string[] = [];
  const read = (name: string | undefined, field: string, required: boolean): string | undefined => {
    if (!name) return undefined;
    const v = env[name];
    if (required && (v === undefined || v === "")) problems.push(`${field}: environment variable ${name} is not set`);
    return v || undefined;
  };
  const rpcUrl = cfg.chain.rpcUrl ?? read(cfg.chain.rpcUrlEnv, "chain.rpcUrlEnv", true);
  const signerKey = read(cfg.keeper.signerKeyEnv, "keeper.signerKeyEnv", needSigner);
  const fb = cfg.flashbots?.enabled ? cfg.flashbots : undefined;
  const flashbotsAuthKey = fb ? read(fb.authKeyEnv, "flashbots.authKeyEnv", needSigner) : undefined;
  const relayUrl = fb ? (fb.relayUrl ?? read(fb.relayUrlEnv, "flashbots.relayUrlEnv", true)) : undefined;
  const webhookUrl = read(cfg.alerts.webhookUrlEnv, "alerts.webhookUrlEnv", true);
  redactor.register(cfg.chain.rpcUrlEnv ? rpcUrl : undefined, signerKey, flashbotsAuthKey, cfg.flashbots?.relayUrlEnv ? relayUrl : undefined, webhookUrl);
  for (const [field, key] of [
    ["keeper.signerKeyEnv", signerKey],
    ["flashbots.authKeyEnv", flashbotsAuthKey],
  ] as const) {
    if (key !== undefined && !isPrivateKey(key)) problems.push(`${field}: the variable does not hold a 32-byte hex private key`);
  }
  if (signerKey && flashbotsAuthKey && signerKey.toLowerCase() === flashbotsAuthKey.toLowerCase()) {
    problems.push("flashbots.authKeyEnv: the relay auth key must not be the signing key (it identifies, it must not spend)");
  }
  if (problems.length) throw new ConfigError("environment", problems);
  return { rpcUrl: rpcUrl as string, signerKey, flashbotsAuthKey, relayUrl, webhookUrl };
}

function isPrivateKey(v: string): boolean {
  try {
    new Wallet(v);
    return true;
  } catch {
    return false;
  }
}
