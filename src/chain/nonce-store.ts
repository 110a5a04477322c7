import type { Cluster, Redis } from "ioredis";

/** One server, a Sentinel-watched primary or a Cluster: whichever the service connected to. */
type RedisClient = Redis | Cluster;

/**
 * Where a key's nonce lock and pending-nonce records live. Redis for the service (shared by every
 * process that signs with the key, surviving their crashes); process memory for a rehearsal,
 * which is one process on a throwaway chain and must not need a Redis.
 */
export interface NonceStore {
  /** Takes the lock for `ttlMs` if nobody holds it. */
  tryLock(token: string, ttlMs: number): Promise<boolean>;
  extendLock(token: string, ttlMs: number): Promise<void>;
  unlock(token: string): Promise<void>;
  /**
   * Sets one record and deletes others in one step, only while `token` still holds the lock
   * ("" = unfenced). False when the lock was lost: nothing was written.
   */
  fencedWrite(token: string, set: { field: string; value: string } | undefined, forget: string[]): Promise<boolean>;
  /** Replaces a record only if it still reads `expected`, and only while `token` holds the lock. */
  fencedSwap(token: string, field: string, expected: string, next: string): Promise<"ok" | "changed" | "lockLost">;
  get(field: string): Promise<string | null>;
  delete(field: string): Promise<void>;
  all(): Promise<Record<string, string>>;
}

const RELEASE = `if redis.call("get", KEYS[1]) == ARGV[1] then return redis.call("del", KEYS[1]) else return 0 end`;
const EXTEND = `if redis.call("get", KEYS[1]) == ARGV[1] then return redis.call("pexpire", KEYS[1], ARGV[2]) else return 0 end`;
// KEYS: lock, pending. ARGV: token ("" = unfenced), field to set ("" = none), its value, fields to delete…
const FENCED_WRITE = `
if ARGV[1] ~= "" and redis.call("get", KEYS[1]) ~= ARGV[1] then return -1 end
if #ARGV > 3 then redis.call("hdel", KEYS[2], unpack(ARGV, 4)) end
if ARGV[2] ~= "" then redis.call("hset", KEYS[2], ARGV[2], ARGV[3]) end
return 1`;
// KEYS: lock, pending. ARGV: token ("" = unfenced), field, the value it must still have, the new value.
const FENCED_SWAP = `
if ARGV[1] ~= "" and redis.call("get", KEYS[1]) ~= ARGV[1] then return -1 end
if redis.call("hget", KEYS[2], ARGV[2]) ~= ARGV[3] then return 0 end
redis.call("hset", KEYS[2], ARGV[2], ARGV[4])
return 1`;

/** The lock is a SET NX PX key with a token; records are one hash; every fenced write is one Lua script. */
export class RedisNonceStore implements NonceStore {
  constructor(
    private readonly redis: RedisClient,
    private readonly lockKey: string,
    private readonly pendingKey: string,
  ) {}

  async tryLock(token: string, ttlMs: number): Promise<boolean> {
    return (await this.redis.set(this.lockKey, token, "PX", ttlMs, "NX")) === "OK";
  }

  async extendLock(token: string, ttlMs: number): Promise<void> {
    await this.redis.eval(EXTEND, 1, this.lockKey, token, ttlMs);
  }

  async unlock(token: string): Promise<void> {
    await this.redis.eval(RELEASE, 1, this.lockKey, token);
  }

  async fencedWrite(token: string, set: { field: string; value: string } | undefined, forget: string[]): Promise<boolean> {
    return (await this.redis.eval(FENCED_WRITE, 2, this.lockKey, this.pendingKey, token, set?.field ?? "", set?.value ?? "", ...forget)) === 1;
  }

  async fencedSwap(token: string, field: string, expected: string, next: string): Promise<"ok" | "changed" | "lockLost"> {
    const done = await this.redis.eval(FENCED_SWAP, 2, this.lockKey, this.pendingKey, token, field, expected, next);
    return done === 1 ? "ok" : done === -1 ? "lockLost" : "changed";
  }

  get(field: string): Promise<string | null> {
    return this.redis.hget(this.pendingKey, field);
  }

  async delete(field: string): Promise<void> {
    await this.redis.hdel(this.pendingKey, field);
  }

  all(): Promise<Record<string, string>> {
    return this.redis.hgetall(this.pendingKey);
  }
}

/** The same contract in process memory: one process, so a lock only has to order its own callers. */
export class ProcessNonceStore implements NonceStore {
  private lock: { token: string; until: number } | undefined;
  private readonly records = new Map<string, string>();

  async tryLock(token: string, ttlMs: number): Promise<boolean> {
    if (this.lock && this.lock.until > Date.now()) return false;
    this.lock = { token, until: Date.now() + ttlMs };
    return true;
  }

  async extendLock(token: string, ttlMs: number): Promise<void> {
    if (this.lock?.token === token) this.lock.until = Date.now() + ttlMs;
  }

  async unlock(token: string): Promise<void> {
    if (this.lock?.token === token) this.lock = undefined;
  }

  private holds(token: string): boolean {
    return token === "" || (this.lock?.token === token && this.lock.until > Date.now());
  }

  async fencedWrite(token: string, set: { field: string; value: string } | undefined, forget: string[]): Promise<boolean> {
    if (!this.holds(token)) return false;
    for (const f of forget) this.records.delete(f);
    if (set) this.records.set(set.field, set.value);
    return true;
  }

  async fencedSwap(token: string, field: string, expected: string, next: string): Promise<"ok" | "changed" | "lockLost"> {
    if (!this.holds(token)) return "lockLost";
    if (this.records.get(field) !== expected) return "changed";
    this.records.set(field, next);
    return "ok";
  }

  async get(field: string): Promise<string | null> {
    return this.records.get(field) ?? null;
  }

  async delete(field: string): Promise<void> {
    this.records.delete(field);
  }

  async all(): Promise<Record<string, string>> {
    return Object.fromEntries(this.records);
  }
}
