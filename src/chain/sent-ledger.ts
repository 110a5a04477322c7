import type { Cluster, Redis } from "ioredis";

/** One server, a Sentinel-watched primary or a Cluster: whichever the service connected to. */
type RedisClient = Redis | Cluster;

/**
 * Every transaction hash the keeper signed for a key, written before it is broadcast: in Redis for
 * the processes that share the key's queue, and in this process's memory (so its own hashes stay
 * known after a Redis that lost its data). A steward event from a transaction in neither was sent
 * by someone else holding the keeper role: a second keeper outside this Redis, a split brain.
 */
export class SentLedger {
  private readonly local = new Set<string>();

  constructor(
    private readonly redis: RedisClient,
    private readonly key: string,
    /** Hashes older than this are forgotten (they can no longer be a new event). */
    private readonly keepMs = 7 * 86_400_000,
  ) {}

  async remember(hash: string): Promise<void> {
    const h = hash.toLowerCase();
    this.local.add(h);
    if (this.local.size > 10_000) this.local.delete(this.local.values().next().value!);
    await this.redis.zadd(this.key, Date.now(), h);
    await this.redis.zremrangebyscore(this.key, 0, Date.now() - this.keepMs);
  }

  async isOurs(hash: string): Promise<boolean> {
    const h = hash.toLowerCase();
    return this.local.has(h) || (await this.redis.zscore(this.key, h)) !== null;
  }
}
