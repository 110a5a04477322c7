import { DEFAULT_POLICY, validatePolicy, type MarketPolicy, type PolicyConfig } from "../policy/config";
import { ConfigError } from "./load";
import type { ProtocolConfig } from "./schema";

type PolicyOverrides = { defaults?: Partial<MarketPolicy>; markets?: Record<string, Partial<MarketPolicy>>; epochSeconds?: number };

/** The policy of one configured protocol: its overrides on the defaults, validated with field names. */
export function policyFor(protocol: ProtocolConfig, index: number): PolicyConfig {
  const raw = (protocol.policy ?? {}) as PolicyOverrides;
  const unknown = Object.keys(raw).filter((k) => !["defaults", "markets", "epochSeconds"].includes(k));
  const path = `protocols[${index}].policy`;
  if (unknown.length) throw new ConfigError("config", unknown.map((k) => `${path}.${k}: unknown field (expected defaults, markets or epochSeconds)`));
  const cfg: PolicyConfig = {
    defaults: { ...DEFAULT_POLICY.defaults, ...(raw.defaults ?? {}), forecast: { ...DEFAULT_POLICY.defaults.forecast, ...(raw.defaults?.forecast ?? {}) },
      judgment: { ...DEFAULT_POLICY.defaults.judgment, ...(raw.defaults?.judgment ?? {}) },
    },
    markets: raw.markets ?? {},
    epochSeconds: raw.epochSeconds ?? DEFAULT_POLICY.epochSeconds,
  };
  const problems = validatePolicy(cfg, path);
  if (problems.length) throw new ConfigError("config", problems);
  return cfg;
}
