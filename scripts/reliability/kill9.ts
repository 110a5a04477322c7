/**
 * kill -9 reliability run: keeper processes killed at random points of sending (seeded), restarted,
 * until every intended action is done; then every action must have landed exactly once.
 *
 *   npm run reliability:kill9                       # 40 actions, ≥ 50 kills, seed 9
 *   KILL9_ACTIONS=60 KILL9_MIN_KILLS=80 KILL9_SEED=3 npm run reliability:kill9
 *
 * Needs Redis on 127.0.0.1:6379 (KILL9_REDIS_URL to change it). Exits 1 unless exactly-once holds.
 */
import { ethers } from "hardhat";
import { exactlyOnce, formatFigures, runKill9 } from "./kill9-harness";

async function main(): Promise<void> {
  const env = (name: string, fallback: number) => (process.env[name] ? Number(process.env[name]) : fallback);
  const figures = await runKill9({
    ethers,
    actions: env("KILL9_ACTIONS", 40),
    crash: { seed: env("KILL9_SEED", 9), minKills: env("KILL9_MIN_KILLS", 50), topUp: env("KILL9_TOP_UP", 10) },
    redisUrl: process.env.KILL9_REDIS_URL,
    log: (line) => console.log(line),
  });
  console.log(formatFigures(figures));
  if (!exactlyOnce(figures)) {
    console.error("FAILED: not every intended action landed exactly once");
    process.exitCode = 1;
  }
}

main().catch((e: unknown) => {
  console.error(e);
  process.exitCode = 1;
});
