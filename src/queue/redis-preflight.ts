import type { RedisClient } from "./redis-connection";

export class RedisPolicyError extends Error {
  override readonly name = "RedisPolicyError";
  constructor(readonly policy: string) {
    super(
      `Redis maxmemory-policy is "${policy}": under memory pressure Redis would evict queued actions and nonce records. ` +
        `Set it to noeviction (redis-cli CONFIG SET maxmemory-policy noeviction, and maxmemory-policy noeviction in redis.conf) before starting the keeper.`,
    );
  }
}

/** Refuses a Redis that may evict keys: a keeper that loses a queued action or a nonce record is worse than one that stops. */
export async function assertNoEviction(redis: RedisClient): Promise<{ version: string }> {
  const [, policy] = (await redis.config("GET", "maxmemory-policy")) as [string, string];
  if (policy !== "noeviction") throw new RedisPolicyError(policy);
  const info = await redis.info("server");
  return { version: /redis_version:([^\r\n]+)/.exec(info)?.[1] ?? "unknown" };
}
