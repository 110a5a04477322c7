import type { Cluster, Redis } from "ioredis";
import { id as topicOf } from "ethers";

/** The one call the index makes of a node: raw JSON-RPC (ethers' JsonRpcProvider, Hardhat's provider). */
export interface RpcSender {
  send(method: string, params: unknown[]): Promise<unknown>;
}

/**
 * Aave keeps no list of its borrowers: the keeper finds them in the Pool's events. Every event that
 * changes an account's position names it in an indexed topic, so the index reads topics only
 * (no ABI decoding): Supply and Borrow (onBehalfOf), Repay (user), LiquidationCall (user), and the
 * collateral toggles (user).
 */
const EVENTS: { signature: string; accountTopic: number }[] = [
  { signature: "Supply(address,address,address,uint256,uint16)", accountTopic: 2 },
  { signature: "Borrow(address,address,address,uint256,uint8,uint256,uint16)", accountTopic: 2 },
  { signature: "Repay(address,address,address,uint256,bool)", accountTopic: 2 },
  { signature: "LiquidationCall(address,address,address,uint256,uint256,address,bool)", accountTopic: 3 },
  { signature: "ReserveUsedAsCollateralEnabled(address,address)", accountTopic: 2 },
  { signature: "ReserveUsedAsCollateralDisabled(address,address)", accountTopic: 2 },
];
const TOPIC_ACCOUNT = new Map(EVENTS.map((e) => [topicOf(e.signature), e.accountTopic]));

/** Where the index lives between observations (and between processes). */
export interface AccountIndexStore {
  /** The last block indexed and its hash (null: nothing indexed yet). */
  cursor(): Promise<{ block: number; hash: string } | null>;
  /** Records accounts (with the block each was seen in) and moves the cursor, atomically. */
  advance(seen: Map<string, number>, cursor: { block: number; hash: string }): Promise<void>;
  /** Forgets what was indexed after `block` (accounts first seen after it) and puts the cursor there. */
  rewind(block: number, hash: string): Promise<void>;
  /** Every account seen, in the order first seen. */
  accounts(): Promise<string[]>;
}

/**
 * The index in Redis, which the keeper already runs on (noeviction, shared by every keeper process):
 * a sorted set of accounts scored by the block each was first seen in (so a reorg removes exactly
 * those first seen in the dropped blocks) and the cursor with its block hash (to notice a reorg).
 * A set of addresses and one cursor do not call for a second database such as PostgreSQL.
 */
export class RedisAccountIndexStore implements AccountIndexStore {
  constructor(
    private readonly redis: Redis | Cluster, // one server, Sentinel or Cluster (the prefix is then one hash tag, so its keys share a slot)
    /** Unique per pool and chain, e.g. `svr:aave-index:1:0x8787…`. */
    private readonly key: string,
  ) {}

  async cursor(): Promise<{ block: number; hash: string } | null> {
    const [block, hash] = await this.redis.hmget(`${this.key}:cursor`, "block", "hash");
    return block === null || hash === null ? null : { block: Number(block), hash };
  }

  async advance(seen: Map<string, number>, cursor: { block: number; hash: string }): Promise<void> {
    const m = this.redis.multi();
    if (seen.size) m.zadd(`${this.key}:accounts`, "NX", ...[...seen].flatMap(([a, b]) => [String(b), a]));
    m.hset(`${this.key}:cursor`, "block", String(cursor.block), "hash", cursor.hash);
    await m.exec();
  }

  async rewind(block: number, hash: string): Promise<void> {
    await this.redis.multi().zremrangebyscore(`${this.key}:accounts`, `(${block}`, "+inf").hset(`${this.key}:cursor`, "block", String(block), "hash", hash).exec();
  }

  async accounts(): Promise<string[]> {
    return this.redis.zrange(`${this.key}:accounts`, "0", "-1");
  }
}

/** The same in process memory: for a rehearsal, which lives no longer than the process. */
export class MemoryAccountIndexStore implements AccountIndexStore {
  private readonly seen = new Map<string, number>();
  private at: { block: number; hash: string } | null = null;
  async cursor() {
    return this.at;
  }
  async advance(seen: Map<string, number>, cursor: { block: number; hash: string }) {
    for (const [a, b] of seen) if (!this.seen.has(a)) this.seen.set(a, b);
    this.at = cursor;
  }
  async rewind(block: number, hash: string) {
    for (const [a, b] of this.seen) if (b > block) this.seen.delete(a);
    this.at = { block, hash };
  }
  async accounts() {
    return [...this.seen].sort((x, y) => x[1] - y[1]).map(([a]) => a);
  }
}

export interface AccountIndexerOptions {
  pool: string;
  /** The Pool's deployment block: nothing before it can name an account. */
  startBlock: number;
  /** Blocks per eth_getLogs request (providers cap ranges and results; halved on a refusal). */
  pageSize: number;
  /** How far back a reorg can reach: on one, the index is rebuilt from this many blocks before the cursor. */
  reorgDepth: number;
}

export interface SyncStats {
  requests: number;
  pages: number;
  events: number;
  newAccounts: number;
  reorg: boolean;
}

/**
 * Discovers Aave accounts from the Pool's events with paged `eth_getLogs`, from a configured start
 * block, and catches up incrementally: each call indexes only blocks after the cursor. A changed hash
 * at the cursor is a reorg: the last `reorgDepth` blocks are dropped and indexed again.
 */
export class AaveAccountIndexer {
  /** JSON-RPC requests made since construction. */
  requests = 0;

  constructor(
    private readonly provider: RpcSender,
    private readonly store: AccountIndexStore,
    private readonly opts: AccountIndexerOptions,
  ) {
    if (!(opts.pageSize >= 1 && opts.reorgDepth >= 1 && opts.startBlock >= 0)) throw new RangeError("account index: pageSize and reorgDepth must be ≥ 1, startBlock ≥ 0");
  }

  /** Indexes up to `head` and returns every account known. */
  async accountsAt(head: number): Promise<string[]> {
    await this.sync(head);
    return this.store.accounts();
  }

  async sync(head: number): Promise<SyncStats> {
    const before = this.requests;
    const stats: SyncStats = { requests: 0, pages: 0, events: 0, newAccounts: 0, reorg: false };
    let cursor = await this.store.cursor();
    if (cursor && cursor.block > head) return { ...stats, requests: 0 }; // a lagging RPC: wait for it
    if (cursor) {
      const now = await this.blockHash(cursor.block);
      // An empty hash is a sync cut short mid-way (its cursor was never the head): re-read the tail, as after a reorg.
      if (now !== cursor.hash) {
        stats.reorg = true;
        const back = Math.max(this.opts.startBlock - 1, cursor.block - this.opts.reorgDepth);
        await this.store.rewind(back, back >= 0 ? await this.blockHash(back) : "");
        cursor = { block: back, hash: "" };
      }
    }
    let from = cursor ? cursor.block + 1 : this.opts.startBlock;
    let size = this.opts.pageSize;
    while (from <= head) {
      const to = Math.min(head, from + size - 1);
      let logs: { topics: string[]; blockNumber: string }[];
      try {
        logs = await this.getLogs(from, to);
      } catch (e) {
        if (to > from) {
          size = Math.max(1, Math.floor((to - from + 1) / 2)); // the provider refused the range: smaller pages
          continue;
        }
        throw e;
      }
      const seen = new Map<string, number>();
      for (const log of logs) {
        const at = TOPIC_ACCOUNT.get(log.topics[0]);
        if (at === undefined || !log.topics[at]) continue;
        const account = `0x${log.topics[at].slice(26)}`.toLowerCase();
        if (!seen.has(account)) seen.set(account, Number(log.blockNumber));
      }
      stats.pages++;
      stats.events += logs.length;
      stats.newAccounts += seen.size;
      // Only the last page's end needs its hash: it is the cursor a reorg is checked against.
      await this.store.advance(seen, { block: to, hash: to === head ? await this.blockHash(to) : "" });
      from = to + 1;
    }
    stats.requests = this.requests - before;
    return stats;
  }

  private async getLogs(from: number, to: number): Promise<{ topics: string[]; blockNumber: string }[]> {
    this.requests++;
    return (await this.provider.send("eth_getLogs", [{ address: this.opts.pool, fromBlock: `0x${from.toString(16)}`, toBlock: `0x${to.toString(16)}`, topics: [[...TOPIC_ACCOUNT.keys()]] }])) as {
      topics: string[];
      blockNumber: string;
    }[];
  }

  private async blockHash(n: number): Promise<string> {
    this.requests++;
    const b = (await this.provider.send("eth_getBlockByNumber", [`0x${n.toString(16)}`, false])) as { hash: string } | null;
    return b?.hash ?? "";
  }
}
