import { z } from "zod";
import { policyOverridesSchema, resolvePolicy } from "./policy-schema";

const address = z.string().regex(/^0x[0-9a-fA-F]{40}$/, "must be a 20-byte hex address (0x…)");
/** Names of environment variables, never their values: secrets stay out of config files. */
const envName = z.string().regex(/^[A-Z_][A-Z0-9_]*$/, "must be the NAME of an environment variable (A-Z, 0-9, _)");

const observe = z
  .object({
    intervalSeconds: z.number().positive().max(3600).optional(),
    everyBlock: z.boolean().optional(),
    /** A price that moved more than this fraction since the last observation is not acted on until it is seen again. */
    maxPriceJump: z.number().positive().default(0.25),
  })
  .strict()
  .refine((o) => (o.intervalSeconds === undefined) !== (o.everyBlock === undefined || o.everyBlock === false), {
    message: "set exactly one of intervalSeconds or everyBlock: true",
  });

const referenceProtocol = z
  .object({
    id: z.string().regex(/^[a-z0-9-]+$/, "lowercase letters, digits and '-' only (it names queues and metrics)"),
    adapter: z.literal("reference"),
    protocol: address,
    steward: address,
    multicall: address.optional(),
    /** Liquidity pool of each traded asset (market id → ConstantProductPool), read as its depth. */
    pools: z.record(z.string(), address).default({}),
    observe: observe.default({ intervalSeconds: 2, maxPriceJump: 0.25 }),
    policy: policyOverridesSchema.optional(),
  })
  .strict();

const aaveProtocol = z
  .object({
    id: z.string().regex(/^[a-z0-9-]+$/, "lowercase letters, digits and '-' only (it names queues and metrics)"),
    adapter: z.literal("aaveV3"),
    addressesProvider: address,
    dataProvider: address,
    steward: address,
    multicall: address.optional(),
    /** Aave keeps no on-chain list of borrowers: the accounts whose positions are read (besides any discovered). */
    accounts: z.array(address).default([]),
    /**
     * Discover accounts from the Pool's events (Supply, Borrow, Repay, LiquidationCall, collateral
     * toggles), from startBlock, `pageSize` blocks per eth_getLogs; the index is kept in Redis and
     * caught up each observation; a reorg reaching up to `reorgDepth` blocks is undone.
     */
    discovery: z
      .object({ startBlock: z.number().int().nonnegative(), pageSize: z.number().int().positive().default(2_000), reorgDepth: z.number().int().positive().default(64) })
      .strict()
      .optional(),
    /**
     * Heartbeat of each price source (by source address), seconds: an answer older than it is stale and
     * never acted on. Sources not listed get defaultSeconds (Chainlink's longest common heartbeat, a day).
     */
    oracleHeartbeats: z
      .object({ defaultSeconds: z.number().int().positive().default(86_400), sources: z.record(address, z.number().int().positive()).default({}) })
      .strict()
      .default({ defaultSeconds: 86_400, sources: {} }),
    observe: observe.default({ intervalSeconds: 2, maxPriceJump: 0.25 }),
    policy: policyOverridesSchema.optional(),
  })
  .strict();

export const configSchema = z
  .object({
    chain: z
      .object({
        chainId: z.number().int().positive(),
        /** A URL without secrets (a local node); use rpcUrlEnv for one that carries an API key. */
        rpcUrl: z.url().optional(),
        rpcUrlEnv: envName.optional(),
        /**
         * Blocks the RPC's head may fall behind the newest block the keeper already observed before
         * the RPC is reported as lagging. A block behind is never acted on, within this or not.
         */
        maxHeadLagBlocks: z.number().int().nonnegative().default(2),
        /**
         * A head block older than this by the keeper's clock is not acted on (a frozen or lagging RPC).
         * Set it on chains that produce blocks on a clock (a few block times); leave it unset on
         * chains that mine on demand, whose idle head is old but current.
         */
        maxBlockAgeSeconds: z.number().positive().optional(),
      })
      .strict()
      .refine((c) => (c.rpcUrl === undefined) !== (c.rpcUrlEnv === undefined), {
        message: "set exactly one of rpcUrl or rpcUrlEnv",
      }),
    protocols: z.array(z.discriminatedUnion("adapter", [referenceProtocol, aaveProtocol])).min(1),
    keeper: z
      .object({
        signerKeyEnv: envName.default("KEEPER_PRIVATE_KEY"),
        confirmations: z.number().int().min(1).max(64).default(1),
        maxFeePerGasGwei: z.number().positive().default(300),
        /** Blocks to wait before a public transaction is called stuck and replaced. */
        stuckAfterBlocks: z.number().int().positive().default(3),
        /** Blocks a public transaction is tracked (and replaced while stuck) before the attempt ends as not included and is retried. */
        deadlineBlocks: z.number().int().positive().default(50),
      })
      .strict()
      .default({ signerKeyEnv: "KEEPER_PRIVATE_KEY", confirmations: 1, maxFeePerGasGwei: 300, stuckAfterBlocks: 3, deadlineBlocks: 50 }),
    flashbots: z
      .object({
        enabled: z.boolean().default(false),
        relayUrl: z.url().optional(),
        relayUrlEnv: envName.optional(),
        authKeyEnv: envName.default("FLASHBOTS_AUTH_KEY"),
        deadlineBlocks: z.number().int().positive().default(5),
        fallbackToPublic: z.boolean().default(true),
      })
      .strict()
      .optional(),
    redis: z
      .object({
        /** A single server (also the fallback credentials/db source when `sentinel` is set). */
        url: z.string().default("redis://127.0.0.1:6379"),
        /**
         * Key prefix of every queue and record. On a Cluster it must be one hash tag, `{name}`, so
         * that BullMQ's multi-key scripts and the nonce scripts stay on one slot.
         */
        prefix: z
          .string()
          .regex(/^(\{[a-zA-Z0-9_-]+\}|[a-zA-Z0-9_-]+)$/, "letters, digits, '_' and '-', or one hash tag {name}")
          .default("svr"),
        /** Redis Sentinel: the keeper asks the sentinels for the current primary of `name` and follows failovers. */
        sentinel: z
          .object({ name: z.string().min(1), sentinels: z.array(z.object({ host: z.string().min(1), port: z.number().int().positive() }).strict()).min(1) })
          .strict()
          .optional(),
        /** Redis Cluster: seed nodes; the prefix must be a hash tag. */
        cluster: z
          .object({ nodes: z.array(z.object({ host: z.string().min(1), port: z.number().int().positive() }).strict()).min(1) })
          .strict()
          .optional(),
      })
      .strict()
      .superRefine((r, ctx) => {
        if (r.sentinel && r.cluster) ctx.addIssue({ code: "custom", path: ["cluster"], message: "set at most one of sentinel or cluster" });
        if (r.cluster && !/^\{[^}]+\}$/.test(r.prefix)) {
          ctx.addIssue({
            code: "custom",
            path: ["prefix"],
            message: `on a Redis Cluster the prefix must be a hash tag such as "{${r.prefix.replace(/[{}]/g, "")}}": BullMQ's scripts touch several keys of a queue at once, and they must share a slot`,
          });
        }
      })
      .default({ url: "redis://127.0.0.1:6379", prefix: "svr" }),
    /** /healthz: when the keeper calls itself unhealthy. */
    health: z
      .object({
        /** A protocol whose last completed observation is older than this many of its intervals is stale. */
        staleAfterIntervals: z.number().positive().default(5),
        /** How often the queues' schedulers and meta are checked (and re-created after a Redis that lost them). */
        checkIntervalMs: z.number().int().min(100).default(1000),
      })
      .strict()
      .default({ staleAfterIntervals: 5, checkIntervalMs: 1000 }),
    /** Act jobs: how fast a job of a killed process is taken over by another (lock lifetime + stalled check). */
    queue: z
      .object({
        /** A job's lock lifetime, renewed at half of it while the job runs; a killed process's job is free after this. */
        lockDurationMs: z.number().int().min(1000).default(60_000),
        /** How often workers look for jobs whose lock expired, and put them back to be resumed. */
        stalledIntervalMs: z.number().int().min(100).default(5_000),
        /**
         * An observation's lock: short, because an observe queue runs one observation at a time across
         * all processes, so a killed process's observation holds every market unobserved until it expires.
         */
        observeLockDurationMs: z.number().int().min(1000).default(10_000),
      })
      .strict()
      .default({ lockDurationMs: 60_000, stalledIntervalMs: 5_000, observeLockDurationMs: 10_000 }),
    metrics: z
      .object({
        port: z.number().int().min(0).max(65535).default(9464),
        /** Where /metrics and /healthz listen: loopback by default; 0.0.0.0 in a container scraped from outside. */
        host: z.string().default("127.0.0.1"),
      })
      .strict()
      .default({ port: 9464, host: "127.0.0.1" }),
    alerts: z
      .object({ webhookUrlEnv: envName.optional(), timeoutMs: z.number().int().positive().default(3000), retries: z.number().int().min(0).default(3) })
      .strict()
      .default({ timeoutMs: 3000, retries: 3 }),
    log: z
      .object({ level: z.enum(["error", "warn", "info", "debug"]).default("info") })
      .strict()
      .default({ level: "info" }),
  })
  .strict()
  .superRefine((cfg, ctx) => {
    const seen = new Set<string>();
    cfg.protocols.forEach((p, i) => {
      if (seen.has(p.id)) ctx.addIssue({ code: "custom", path: ["protocols", i, "id"], message: `duplicate protocol id "${p.id}"` });
      seen.add(p.id);
      // The policy is checked here, at load, with the rest: its levels must still be ordered after the merge.
      // Each problem names its field relative to the policy block ("/defaults.judgment.x: ..."), so the issue's path can carry it.
      for (const problem of resolvePolicy(p.policy, "").problems) {
        const at = problem.indexOf(": ");
        const field = problem
          .slice(0, at)
          .split(".")
          .filter((s) => s.length > 0);
        ctx.addIssue({ code: "custom", path: ["protocols", i, "policy", ...field], message: problem.slice(at + 2) });
      }
    });
    const fb = cfg.flashbots;
    if (fb?.enabled && (fb.relayUrl === undefined) === (fb.relayUrlEnv === undefined)) {
      ctx.addIssue({ code: "custom", path: ["flashbots"], message: "enabled flashbots needs exactly one of relayUrl or relayUrlEnv" });
    }
  });

export type KeeperConfig = z.infer<typeof configSchema>;
export type ProtocolConfig = KeeperConfig["protocols"][number];
