import { randomUUID } from "node:crypto";
import type Redis from "ioredis";
import { NonceLockTimeoutError } from "./errors";

/** A nonce the keeper has used and not yet seen settled: every hash signed for it, newest last. */
export interface PendingNonce {
  nonce: number;
  actionKey: string;
  hashes: string[];
  /** The transport that holds it ("public" | "private"). */
  via: string;
  createdAt: number;
}

const RELEASE = `if redis.call("get", KEYS[1]) == ARGV[1] then return redis.call("del", KEYS[1]) else return 0 end`;

export interface NonceManagerOptions {
  /** Lock lifetime: a process that dies holding it frees it after this long. */
  lockTtlMs?: number;
  lockWaitMs?: number;
  prefix?: string;
}

/**
 * Nonces of one signing key, shared safely by several keeper processes through Redis: a lock
 * (SET NX PX with a token, released by compare-and-delete) serialises reservation and broadcast,
 * and a hash of pending nonces — written before a transaction leaves the process — survives
 * restarts, so a new process resumes tracking instead of signing a second transaction.
 */
export class NonceManager {
  private readonly lockKey: string;
  private readonly pendingKey: string;
  private readonly ttl: number;
  private readonly wait: number;

  constructor(
    private readonly redis: Redis,
    readonly chainId: bigint,
    readonly address: string,
    private readonly chainNonce: () => Promise<number>,
    opts: NonceManagerOptions = {},
  ) {
    const base = `${opts.prefix ?? "svr"}:nonce:${chainId}:${address.toLowerCase()}`;
    this.lockKey = `${base}:lock`;
    this.pendingKey = `${base}:pending`;
    this.ttl = opts.lockTtlMs ?? 30_000;
    this.wait = opts.lockWaitMs ?? 20_000;
  }

  /** Runs `fn` holding the key's lock. */
  async withLock<T>(fn: () => Promise<T>): Promise<T> {
    const token = randomUUID();
    const start = Date.now();
    let delay = 5;
    while ((await this.redis.set(this.lockKey, token, "PX", this.ttl, "NX")) !== "OK") {
      if (Date.now() - start > this.wait) throw new NonceLockTimeoutError(this.address, Date.now() - start);
      await new Promise((r) => setTimeout(r, delay));
      delay = Math.min(100, delay * 2);
    }
    try {
      return await fn();
    } finally {
      await this.redis.eval(RELEASE, 1, this.lockKey, token);
    }
  }

  /**
   * The next nonce, recorded as pending for `actionKey` before anything is signed. Call inside withLock.
   * Pending nonces below the chain's count are settled (mined by one of their hashes, or by another
   * transaction): they are returned for the caller to reconcile, and forgotten here.
   */
  async reserve(actionKey: string, via: string): Promise<{ nonce: number; settled: PendingNonce[] }> {
    const onChain = await this.chainNonce();
    const pending = await this.pending();
    const settled = pending.filter((p) => p.nonce < onChain);
    if (settled.length) await this.redis.hdel(this.pendingKey, ...settled.map((p) => String(p.nonce)));
    const open = pending.filter((p) => p.nonce >= onChain);
    const nonce = open.reduce((n, p) => Math.max(n, p.nonce + 1), onChain);
    const record: PendingNonce = { nonce, actionKey, hashes: [], via, createdAt: Date.now() };
    await this.redis.hset(this.pendingKey, String(nonce), JSON.stringify(record));
    return { nonce, settled };
  }

  /** Adds a signed hash to a pending nonce; call before broadcasting it. */
  async recordHash(nonce: number, hash: string): Promise<void> {
    const raw = await this.redis.hget(this.pendingKey, String(nonce));
    if (!raw) throw new Error(`nonce ${nonce} of ${this.address} is not pending`);
    const record = JSON.parse(raw) as PendingNonce;
    if (!record.hashes.includes(hash)) record.hashes.push(hash);
    await this.redis.hset(this.pendingKey, String(nonce), JSON.stringify(record));
  }

  async release(nonce: number): Promise<void> {
    await this.redis.hdel(this.pendingKey, String(nonce));
  }

  async pending(): Promise<PendingNonce[]> {
    const all = await this.redis.hgetall(this.pendingKey);
    return Object.values(all)
      .map((v) => JSON.parse(v) as PendingNonce)
      .sort((a, b) => a.nonce - b.nonce);
  }

  /** The pending record of an action, if a transaction for it was ever signed: what a restart resumes. */
  async findByAction(actionKey: string): Promise<PendingNonce | undefined> {
    return (await this.pending()).find((p) => p.actionKey === actionKey);
  }
}
