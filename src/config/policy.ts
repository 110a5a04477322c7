import type { PolicyConfig } from "../policy/config";
import { ConfigError } from "./load";
import { resolvePolicy } from "./policy-schema";
import type { ProtocolConfig } from "./schema";

/** The policy of one configured protocol (already checked when the config was loaded). */
export function policyFor(protocol: ProtocolConfig, index: number): PolicyConfig {
  const { policy, problems } = resolvePolicy(protocol.policy, `protocols[${index}].policy`);
  if (problems.length) throw new ConfigError("config", problems);
  return policy;
}
