import { z } from "zod";
import { DEFAULT_MARKET_POLICY, DEFAULT_POLICY, validatePolicy, type MarketPolicy, type PolicyConfig } from "../policy/config";

/**
 * A strict schema that accepts any subset of `value`'s fields, at every depth, each with the type
 * the default has. Built from the defaults, so a field added to the policy is accepted (with its
 * type) without a second list to keep in step; a misspelt field is refused by name.
 */
function deepPartialOf(value: unknown): z.ZodType {
  if (typeof value === "number") return z.number();
  if (typeof value === "boolean") return z.boolean();
  if (typeof value === "string") return z.string();
  if (Array.isArray(value)) return z.array(value.length ? deepPartialOf(value[0]) : z.unknown());
  if (value !== null && typeof value === "object") {
    return z.object(Object.fromEntries(Object.entries(value).map(([k, v]) => [k, deepPartialOf(v).optional()]))).strict();
  }
  return z.unknown();
}

export type DeepPartial<T> = { [K in keyof T]?: T[K] extends object ? DeepPartial<T[K]> : T[K] };

// Optional fields have no default to take their shape from: they are listed here.
const marketOverrides = (deepPartialOf(DEFAULT_MARKET_POLICY) as z.ZodObject)
  .extend({
    baselineMargins: z.object({ imrBps: z.number(), mmrBps: z.number() }).strict().optional(),
    baselineCaps: z.object({ longUsd: z.number(), shortUsd: z.number() }).strict().optional(),
    baselineReserve: z.object({ ltvBps: z.number(), liquidationThresholdBps: z.number(), borrowCap: z.number() }).strict().optional(),
    valueAtRisk: z.object({ measure: z.string(), maxInsuranceMultiple: z.number(), level: z.string() }).partial().strict().optional(),
  })
  .strict() as unknown as z.ZodType<DeepPartial<MarketPolicy>>;

/** A protocol's `policy:` block: overrides of the defaults, and per market of the protocol's defaults. */
export const policyOverridesSchema = z
  .object({
    defaults: marketOverrides.optional(),
    markets: z.record(z.string(), marketOverrides).optional(),
    epochSeconds: z.number().optional(),
    valueAtRisk: z
      .object({
        enabled: z.boolean(),
        everySeconds: z.number(),
        samples: z.number(),
        seed: z.number(),
        degreesOfFreedom: z.number(),
        horizon: z.string(),
        volatility: z.record(z.string(), z.number()),
        defaultVolatility: z.number(),
        correlation: z.number(),
      })
      .partial()
      .strict()
      .optional(),
  })
  .strict();

export type PolicyOverrides = z.infer<typeof policyOverridesSchema>;

/** `override` laid over `base` field by field, at every depth (an override's absent field keeps the base's). */
export function deepMerge<T>(base: T, override: DeepPartial<T> | undefined): T {
  if (override === undefined) return base;
  const out = { ...base } as Record<string, unknown>;
  for (const [k, v] of Object.entries(override as Record<string, unknown>)) {
    if (v === undefined) continue;
    const b = out[k];
    out[k] = isPlainObject(b) && isPlainObject(v) ? deepMerge(b, v) : v;
  }
  return out as T;
}

function isPlainObject(v: unknown): v is Record<string, unknown> {
  return v !== null && typeof v === "object" && !Array.isArray(v);
}

/**
 * The policy of a protocol: the overrides deep-merged onto the defaults, each market's onto the
 * protocol's merged defaults; with every problem named by its path (empty when valid).
 */
export function resolvePolicy(overrides: PolicyOverrides | undefined, path: string): { policy: PolicyConfig; problems: string[] } {
  const defaults = deepMerge(DEFAULT_POLICY.defaults, overrides?.defaults);
  const markets: Record<string, MarketPolicy> = {};
  for (const [market, o] of Object.entries(overrides?.markets ?? {})) markets[market] = deepMerge(defaults, o);
  const policy: PolicyConfig = {
    defaults,
    markets,
    epochSeconds: overrides?.epochSeconds ?? DEFAULT_POLICY.epochSeconds,
    valueAtRisk: { ...DEFAULT_POLICY.valueAtRisk, ...(overrides?.valueAtRisk ?? {}) },
  };
  return { policy, problems: validatePolicy(policy, path) };
}
