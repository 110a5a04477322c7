import { execFileSync, spawn } from "node:child_process";
import { readFileSync, mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { JsonRpcProvider, Wallet } from "ethers";
import Redis from "ioredis";
import { startEmbeddedNode } from "../../src/embedded/hardhat-node";
import { deploySeededBook } from "./snapshot";

const ROOT = join(__dirname, "..", "..");
const CLOCK_TICKS = 100; // Linux USER_HZ
const WARMUP_S = 15;
const SAMPLE_S = 30;

/** Steady RSS and CPU of a real `svr-keeper run` process (compiled) guarding a 10,000-position book every 2 s. */
export async function benchService(): Promise<Record<string, number>> {
  const node = await startEmbeddedNode();
  const http = new JsonRpcProvider(node.url, undefined, { staticNetwork: true });
  const prefix = `svrbench${Date.now()}`;
  try {
    const governance = await http.getSigner(0);
    const { system, pools } = await deploySeededBook(node.provider, governance);
    const keeper = Wallet.createRandom();
    await node.provider.request({ method: "hardhat_setBalance", params: [keeper.address, "0x3635C9ADC5DEA00000"] });
    const dir = mkdtempSync(join(tmpdir(), "svr-bench-"));
    const config = join(dir, "keeper.json");
    writeFileSync(
      config,
      JSON.stringify({
        chain: { chainId: 31337, rpcUrl: node.url },
        protocols: [
          {
            id: "bench",
            adapter: "reference",
            protocol: await system.perps.getAddress(),
            steward: await system.steward.getAddress(),
            multicall: await system.multicall.getAddress(),
            pools,
            observe: { intervalSeconds: 2 },
          },
        ],
        keeper: { signerKeyEnv: "BENCH_KEEPER_KEY" },
        redis: { url: "redis://127.0.0.1:6379", prefix },
        metrics: { port: 0 },
        log: { level: "warn" },
      }),
    );
    // Mine a block a second so every observation sees a new head, as on a live chain.
    const miner = setInterval(() => void node.provider.request({ method: "evm_mine" }).catch(() => undefined), 1000);
    // As operators run it: compiled JavaScript (npm run build:js), not through ts-node.
    execFileSync(process.execPath, [join(ROOT, "node_modules/typescript/bin/tsc"), "-p", join(ROOT, "tsconfig.build.json")], { cwd: ROOT, stdio: "inherit" });
    const child = spawn(process.execPath, [join(ROOT, "dist/cli/main.js"), "run", "--config", config], {
      cwd: ROOT,
      env: { ...process.env, BENCH_KEEPER_KEY: keeper.privateKey },
      stdio: ["ignore", "ignore", "ignore"],
    });
    const stat = () => {
      const fields = readFileSync(`/proc/${child.pid}/stat`, "utf8").split(") ")[1].split(" ");
      const cpuTicks = Number(fields[11]) + Number(fields[12]); // utime + stime
      const rssPages = Number(fields[21]);
      return { cpuTicks, rssMb: (rssPages * 4096) / 2 ** 20 };
    };
    await new Promise((r) => setTimeout(r, WARMUP_S * 1000));
    const a = stat();
    const rss: number[] = [];
    for (let i = 0; i < SAMPLE_S; i++) {
      await new Promise((r) => setTimeout(r, 1000));
      rss.push(stat().rssMb);
    }
    const b = stat();
    child.kill("SIGTERM");
    clearInterval(miner);
    await new Promise((r) => child.once("exit", r));
    return {
      service_positions: 10_000,
      service_observe_interval_s: 2,
      service_rss_mb: Math.round(Math.max(...rss)),
      service_cpu_pct: Math.round(((b.cpuTicks - a.cpuTicks) / CLOCK_TICKS / SAMPLE_S) * 1000) / 10,
    };
  } finally {
    http.destroy();
    await node.close();
    const redis = new Redis();
    const keys = await redis.keys(`${prefix}:*`);
    if (keys.length) await redis.del(...keys);
    redis.disconnect();
  }
}
