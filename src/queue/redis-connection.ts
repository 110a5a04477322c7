import Redis, { Cluster } from "ioredis";
import type { KeeperConfig } from "../config/schema";

/** A client of the keeper's Redis, whichever its topology: one server, a Sentinel-watched primary, or a Cluster. */
export type RedisClient = Redis | Cluster;

export type RedisTopology = Pick<KeeperConfig["redis"], "url" | "sentinel" | "cluster">;

/**
 * Opens Redis clients of one topology and closes every one it opened. The URL goes to ioredis as it
 * is (credentials, db, TLS); with `sentinel`, ioredis asks the sentinels for the current primary and
 * reconnects to the new one after a failover; with `cluster`, the URL's credentials are used on
 * every node. Every client gets an error listener: ioredis reconnects by itself, and an error
 * without a listener is printed as "Unhandled error event" on every retry.
 */
export class RedisConnections {
  private readonly opened: RedisClient[] = [];

  constructor(
    private readonly topology: RedisTopology,
    private readonly onError: (e: Error) => void,
  ) {}

  /**
   * A new client. `blocking: true` is for BullMQ (its workers block and must never give up a
   * command); the keeper's own records fail a command after a few retries instead of hanging.
   */
  open(opts: { blocking: boolean }): RedisClient {
    const maxRetriesPerRequest = opts.blocking ? null : 3;
    const { url, sentinel, cluster } = this.topology;
    const u = new URL(url);
    // rediss:// turns TLS on for the primary (Sentinel) or every node (Cluster) as for one server.
    const auth = { username: u.username || undefined, password: u.password ? decodeURIComponent(u.password) : undefined, ...(u.protocol === "rediss:" ? { tls: {} } : {}) };
    let client: RedisClient;
    if (cluster) {
      client = new Cluster(cluster.nodes, { redisOptions: { ...auth, maxRetriesPerRequest } });
    } else if (sentinel) {
      client = new Redis({ ...auth, sentinels: sentinel.sentinels, name: sentinel.name, db: Number(u.pathname.slice(1) || 0), maxRetriesPerRequest });
    } else {
      client = new Redis(url, { maxRetriesPerRequest });
    }
    client.on("error", this.onError);
    this.opened.push(client);
    return client;
  }

  async closeAll(): Promise<void> {
    for (const c of this.opened.splice(0)) c.disconnect();
  }
}
