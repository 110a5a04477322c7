import { randomUUID } from "node:crypto";
import type { Cluster, Redis } from "ioredis";
import { NonceLockTimeoutError } from "./errors";
import { RedisNonceStore, type NonceStore } from "./nonce-store";

/** One server, a Sentinel-watched primary or a Cluster: whichever the service connected to. */
type RedisClient = Redis | Cluster;

/** A nonce the keeper has used and not yet seen settled: every hash signed for it, newest last. */
export interface PendingNonce {
  nonce: number;
  actionKey: string;
  hashes: string[];
  /**
   * The newest signed transaction (raw bytes, not a secret): a process that died before or while
   * broadcasting it is resumed by broadcasting exactly these bytes again, never by signing anew.
   */
  raw?: string;
  /** The transport that holds it ("public" | "private"). */
  via: string;
  createdAt: number;
}

/** Proof of holding a key's lock: writes made with it land only while the lock is still ours. */
export interface HeldLock {
  readonly token: string;
}

/** The lock expired under its holder (a stall longer than its lifetime) and another process may hold it now. */
export class NonceLockLostError extends Error {
  override readonly name = "NonceLockLostError";
  constructor(readonly address: string) {
    super(`the nonce lock of ${address} was lost before the write: nothing was recorded, the caller must retry`);
  }
}

export interface NonceManagerOptions {
  /**
   * Lock lifetime. The holder renews it every third of this while it works, so it can be short: a
   * process killed while holding it blocks the key's other processes for at most this long.
   */
  lockTtlMs?: number;
  lockWaitMs?: number;
  prefix?: string;
  /**
   * The account's transaction count including the node's pool (the `pending` tag). No nonce below it
   * is handed out: a transaction still waiting in the pool whose record vanished (a Redis that lost
   * its data) keeps its nonce, and the next action is not signed over it.
   */
  poolNonce?: () => Promise<number>;
  /** Told of every hash before it is recorded (and so before it can be broadcast). */
  ledger?: { remember(hash: string): Promise<void> };
}

/**
 * Nonces of one signing key, shared safely by several keeper processes through Redis: a lock
 * (SET NX PX with a token, renewed while held, released by compare-and-delete) serialises
 * reservation and broadcast, and a hash of pending nonces — written before a transaction leaves
 * the process, with its signed bytes — survives restarts, so a new process resumes tracking (and
 * re-broadcasts the same bytes) instead of signing a second transaction.
 */
export class NonceManager {
  private readonly store: NonceStore;
  private readonly ttl: number;
  private readonly wait: number;
  private readonly poolNonce: (() => Promise<number>) | undefined;
  private readonly ledger: NonceManagerOptions["ledger"];

  constructor(
    /** Redis (the service: shared by processes, survives crashes), or a store of the caller's. */
    backing: RedisClient | NonceStore,
    readonly chainId: bigint,
    readonly address: string,
    private readonly chainNonce: () => Promise<number>,
    opts: NonceManagerOptions = {},
  ) {
    const base = `${opts.prefix ?? "svr"}:nonce:${chainId}:${address.toLowerCase()}`;
    this.store = isNonceStore(backing) ? backing : new RedisNonceStore(backing, `${base}:lock`, `${base}:pending`);
    this.ttl = opts.lockTtlMs ?? 5_000;
    this.wait = opts.lockWaitMs ?? 20_000;
    this.poolNonce = opts.poolNonce;
    this.ledger = opts.ledger;
  }

  /** Runs `fn` holding the key's lock; pass the lock to reserve and recordHash to fence their writes. */
  async withLock<T>(fn: (lock: HeldLock) => Promise<T>): Promise<T> {
    const token = randomUUID();
    const start = Date.now();
    let delay = 5;
    while (!(await this.store.tryLock(token, this.ttl))) {
      if (Date.now() - start > this.wait) throw new NonceLockTimeoutError(this.address, Date.now() - start);
      await new Promise((r) => setTimeout(r, delay));
      delay = Math.min(100, delay * 2);
    }
    const renew = setInterval(() => void this.store.extendLock(token, this.ttl).catch(() => undefined), Math.max(50, Math.floor(this.ttl / 3)));
    renew.unref();
    try {
      return await fn({ token });
    } finally {
      clearInterval(renew);
      await this.store.unlock(token);
    }
  }

  /**
   * The next nonce, recorded as pending for `actionKey` before anything is signed. Call inside withLock.
   * Pending nonces below the chain's count are settled (mined by one of their hashes, or by another
   * transaction): they are returned for the caller to reconcile, and forgotten here. A record with
   * no hash can only be left by a holder that died (or lost the lock) between reserving and
   * signing — nothing was ever sent for it — so it is dropped and its nonce handed out again;
   * otherwise the nonce would stay a gap that no transaction above it could get past.
   */
  async reserve(actionKey: string, via: string, lock?: HeldLock): Promise<{ nonce: number; settled: PendingNonce[] }> {
    const onChain = await this.chainNonce();
    const inPool = this.poolNonce ? await this.poolNonce() : onChain;
    const pending = await this.pending();
    const settled = pending.filter((p) => p.nonce < onChain);
    const debris = pending.filter((p) => p.nonce >= onChain && p.hashes.length === 0);
    const held = new Set(pending.filter((p) => p.nonce >= onChain && p.hashes.length > 0).map((p) => p.nonce));
    let nonce = Math.max(onChain, inPool);
    while (held.has(nonce)) nonce++;
    const record: PendingNonce = { nonce, actionKey, hashes: [], via, createdAt: Date.now() };
    const forget = [...settled, ...debris].map((p) => String(p.nonce));
    if (!(await this.store.fencedWrite(lock?.token ?? "", { field: String(nonce), value: JSON.stringify(record) }, forget))) throw new NonceLockLostError(this.address);
    return { nonce, settled };
  }

  /**
   * Adds a signed hash (and its signed bytes, which become the ones a resume re-broadcasts) to a
   * pending nonce; call before broadcasting it. With `lock`, the write lands only if the lock is still held.
   */
  async recordHash(nonce: number, hash: string, raw?: string, lock?: HeldLock): Promise<void> {
    await this.ledger?.remember(hash);
    for (;;) {
      const before = await this.store.get(String(nonce));
      if (!before) throw new Error(`nonce ${nonce} of ${this.address} is not pending`);
      const record = JSON.parse(before) as PendingNonce;
      if (!record.hashes.includes(hash)) record.hashes.push(hash);
      if (raw) record.raw = raw;
      // Compare-and-swap: a concurrent writer (a replacement being tracked elsewhere) is never overwritten.
      const done = await this.store.fencedSwap(lock?.token ?? "", String(nonce), before, JSON.stringify(record));
      if (done === "lockLost") throw new NonceLockLostError(this.address);
      if (done === "ok") return;
    }
  }

  async release(nonce: number): Promise<void> {
    await this.store.delete(String(nonce));
  }

  async pending(): Promise<PendingNonce[]> {
    const all = await this.store.all();
    return Object.values(all)
      .map((v) => JSON.parse(v) as PendingNonce)
      .sort((a, b) => a.nonce - b.nonce);
  }

  /** The pending record of an action for which a transaction was signed: what a restart resumes. */
  async findByAction(actionKey: string): Promise<PendingNonce | undefined> {
    return (await this.pending()).find((p) => p.actionKey === actionKey && p.hashes.length > 0);
  }
}

function isNonceStore(x: RedisClient | NonceStore): x is NonceStore {
  return typeof (x as NonceStore).tryLock === "function";
}
