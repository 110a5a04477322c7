import { spawn, type ChildProcess } from "node:child_process";
import { createServer } from "node:net";
import { mkdtempSync } from "node:fs";
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

  static async start(opts: { maxmemoryPolicy?: string; persistent?: boolean } = {}): Promise<TestRedisServer> {
    const dir = opts.persistent ? mkdtempSync(join(tmpdir(), "svr-redis-")) : undefined;
    const s = new TestRedisServer(await freePort(), opts.maxmemoryPolicy ?? "noeviction", dir);
    await s.up();
    return s;
  }

  async up(): Promise<void> {
    const persistence = this.dir ? ["--appendonly", "yes", "--appendfsync", "always", "--dir", this.dir] : ["--appendonly", "no"];
    this.child = spawn("redis-server", ["--port", String(this.port), "--bind", "127.0.0.1", "--save", "", ...persistence, "--maxmemory-policy", this.policy], { stdio: "ignore" });
    const probe = new Redis({ port: this.port, lazyConnect: true, maxRetriesPerRequest: 0, retryStrategy: () => null });
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
    throw new Error(`redis-server on ${this.port} did not start`);
  }

  /** Kills the server (SIGKILL): without persistence its data goes with it. */
  async down(): Promise<void> {
    const child = this.child;
    if (!child || child.exitCode !== null) return;
    await new Promise<void>((r) => {
      child.once("exit", () => r());
      child.kill("SIGKILL");
    });
  }

  get url(): string {
    return `redis://127.0.0.1:${this.port}`;
  }
}
