import { spawn, type ChildProcess } from "node:child_process";
import { createServer } from "node:net";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import Redis from "ioredis";

/** A free TCP port on 127.0.0.1. */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.listen(0, "127.0.0.1", () => {
      const port = (s.address() as { port: number }).port;
      s.close(() => resolve(port));
    });
    s.on("error", reject);
  });
}

/**
 * A Redis of the test's own (never the shared one on 6379): tests may stop, restart or misconfigure it.
 */
export class TestRedisServer {
  private child: ChildProcess | undefined;

  private constructor(
    readonly port: number,
    private readonly policy: string,
    /** With a directory, the server keeps an fsync-always append-only file there: it survives kill -9. */
    private readonly dir: string | undefined,
  ) {}

  private replicaOf: number | undefined;

  static async start(opts: { maxmemoryPolicy?: string; persistent?: boolean; replicaOf?: number } = {}): Promise<TestRedisServer> {
    const dir = opts.persistent ? mkdtempSync(join(tmpdir(), "svr-redis-")) : undefined;
    const s = new TestRedisServer(await freePort(), opts.maxmemoryPolicy ?? "noeviction", dir);
    s.replicaOf = opts.replicaOf;
    await s.up();
    return s;
  }

  async up(): Promise<void> {
    // A directory of its own either way: a replica's initial sync writes an RDB file there.
    const persistence = this.dir ? ["--appendonly", "yes", "--appendfsync", "always", "--dir", this.dir] : ["--appendonly", "no", "--dir", mkdtempSync(join(tmpdir(), "svr-redis-"))];
    const replication = this.replicaOf ? ["--replicaof", "127.0.0.1", String(this.replicaOf)] : [];
    this.child = spawn("redis-server", ["--port", String(this.port), "--bind", "127.0.0.1", "--save", "", ...persistence, "--maxmemory-policy", this.policy, ...replication], { stdio: "ignore" });
    await waitForPing(this.port, `redis-server on ${this.port}`);
  }

  /** Everything in this server goes, as after a failover to an empty replica. */
  async flushAll(): Promise<void> {
    const c = new Redis({ port: this.port, maxRetriesPerRequest: 1 });
    await c.flushall();
    c.disconnect();
  }

  /** Killed and started again on the same port, empty (no persistence). */
  async restartEmpty(downMs = 0): Promise<void> {
    await this.down();
    if (downMs) await new Promise((r) => setTimeout(r, downMs));
    await this.up();
  }

  /** Kills the server (SIGKILL): without persistence its data goes with it. */
  async down(): Promise<void> {
    const child = this.child;
    if (!child || child.exitCode !== null || child.signalCode !== null) return;
    await new Promise<void>((r) => {
      child.once("exit", () => r());
      child.kill("SIGKILL");
    });
  }

  get url(): string {
    return `redis://127.0.0.1:${this.port}`;
  }
}

async function waitForPing(port: number, what: string): Promise<void> {
  const probe = new Redis({ port, lazyConnect: true, maxRetriesPerRequest: 0, retryStrategy: () => null });
  probe.on("error", () => undefined); // refused until the server is up: that is what we poll for
  for (let i = 0; i < 100; i++) {
    try {
      await probe.connect();
      await probe.ping();
      probe.disconnect();
      return;
    } catch {
      await new Promise((r) => setTimeout(r, 50));
    }
  }
  throw new Error(`${what} did not start`);
}

/**
 * A primary, a replica and one Sentinel watching them (quorum 1), all of the test's own on free
 * ports: `killPrimary` makes the Sentinel promote the replica within about a second and a half.
 */
export class TestSentinelSet {
  private constructor(
    readonly primary: TestRedisServer,
    readonly replica: TestRedisServer,
    readonly sentinelPort: number,
    private readonly sentinel: ChildProcess,
    readonly name: string,
  ) {}

  static async start(name = "svrkeeper"): Promise<TestSentinelSet> {
    const primary = await TestRedisServer.start();
    const replica = await TestRedisServer.start({ replicaOf: primary.port });
    const port = await freePort();
    const dir = mkdtempSync(join(tmpdir(), "svr-sentinel-"));
    const conf = join(dir, "sentinel.conf");
    // The sentinel rewrites its config file: it must be a file of its own.
    writeFileSync(
      conf,
      [
        `port ${port}`,
        "bind 127.0.0.1",
        `dir ${dir}`,
        `sentinel monitor ${name} 127.0.0.1 ${primary.port} 1`,
        `sentinel down-after-milliseconds ${name} 1000`,
        `sentinel failover-timeout ${name} 5000`,
        `sentinel parallel-syncs ${name} 1`,
        "",
      ].join("\n"),
    );
    const child = spawn("redis-server", [conf, "--sentinel"], { stdio: "ignore" });
    await waitForPing(port, `redis sentinel on ${port}`);
    const set = new TestSentinelSet(primary, replica, port, child, name);
    await set.waitForReplica();
    return set;
  }

  /** The primary the sentinel names now. */
  async currentPrimaryPort(): Promise<number> {
    const c = new Redis({ port: this.sentinelPort, maxRetriesPerRequest: 1 });
    try {
      const [, port] = (await c.call("SENTINEL", "get-master-addr-by-name", this.name)) as [string, string];
      return Number(port);
    } finally {
      c.disconnect();
    }
  }

  /** SIGKILLs the primary; resolves when the sentinel names the replica as the new primary. */
  async killPrimary(timeoutMs = 20_000): Promise<void> {
    await this.primary.down();
    const start = Date.now();
    while ((await this.currentPrimaryPort()) !== this.replica.port) {
      if (Date.now() - start > timeoutMs) throw new Error(`sentinel did not promote the replica on ${this.replica.port} within ${timeoutMs} ms`);
      await new Promise((r) => setTimeout(r, 100));
    }
  }

  async down(): Promise<void> {
    const child = this.sentinel;
    if (child.exitCode === null && child.signalCode === null)
      await new Promise<void>((r) => {
        child.once("exit", () => r());
        child.kill("SIGKILL");
      });
    await this.primary.down();
    await this.replica.down();
  }

  /** Waits until the replica has synced and the sentinel knows it (it can only promote a replica it has seen). */
  private async waitForReplica(timeoutMs = 20_000): Promise<void> {
    const start = Date.now();
    const r = new Redis({ port: this.replica.port, maxRetriesPerRequest: 1 });
    const s = new Redis({ port: this.sentinelPort, maxRetriesPerRequest: 1 });
    try {
      for (;;) {
        const info = await r.info("replication");
        const replicas = (await s.call("SENTINEL", "replicas", this.name)) as unknown[];
        if (/master_link_status:up/.test(info) && replicas.length > 0) return;
        if (Date.now() - start > timeoutMs) throw new Error("the replica did not sync, or the sentinel did not see it, in time");
        await new Promise((res) => setTimeout(res, 100));
      }
    } finally {
      r.disconnect();
      s.disconnect();
    }
  }
}
