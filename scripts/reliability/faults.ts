/**
 * The fault matrix: each fault against real `svr-keeper run` processes on a served chain with a
 * Redis (and, for the failover, a Sentinel set) of their own; one JSON object per fault.
 *
 *   npm run reliability:faults
 *   FAULTS=redis-flushall,split-brain npm run reliability:faults
 *   npm run build:js && SVR_KEEPER_CLI=dist/cli/main.js npm run reliability:faults   # compiled keepers start in ~1 s, not ~20
 *
 * Progress goes to stderr, the JSON lines to stdout. Exits 1 when a goal is missed (anything lost
 * or duplicated, recovery after Redis returns beyond 3 observation intervals, a fault without an alert).
 */
import { ethers } from "hardhat";
import { FAULTS, faultGoalsMet, runFaults, type Fault } from "./faults-harness";

async function main(): Promise<void> {
  const chosen = process.env.FAULTS ? (process.env.FAULTS.split(",") as Fault[]) : [...FAULTS];
  const unknown = chosen.filter((f) => !FAULTS.includes(f));
  if (unknown.length) throw new Error(`unknown fault(s) ${unknown.join(", ")}: choose from ${FAULTS.join(", ")}`);
  const figures = await runFaults({ ethers, faults: chosen, log: (line) => console.error(line) });
  let failed = false;
  for (const r of figures) {
    console.log(JSON.stringify(r.figures));
    const misses = faultGoalsMet(r);
    if (misses.length) {
      failed = true;
      console.error(`${r.figures.fault}: goal missed: ${misses.join(", ")}`);
    }
  }
  if (failed) process.exitCode = 1;
}

main().catch((e: unknown) => {
  console.error(e);
  process.exitCode = 1;
});
