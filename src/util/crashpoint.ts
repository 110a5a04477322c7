import { writeSync } from "node:fs";
import { mulberry32 } from "./prng";

/**
 * Where a send can be cut short, in order: a nonce is reserved but nothing is signed; a transaction
 * is signed and recorded but has not left the process; it has been broadcast but not seen mined.
 */
export const CRASH_POINTS = ["beforeSign", "afterSign", "afterBroadcast"] as const;
export type CrashPoint = (typeof CRASH_POINTS)[number];

export const CRASH_ENV = "SVR_KEEPER_CRASH_AT";
export const CRASH_SEED_ENV = "SVR_KEEPER_CRASH_SEED";

/**
 * Parses `SVR_KEEPER_CRASH_AT`: comma-separated `point` or `point:probability` (default 1),
 * e.g. `afterSign` or `beforeSign:0.2,afterBroadcast:0.5`. An unknown point is an error, so a
 * typo in a fault-injection run fails loudly instead of silently injecting nothing.
 */
export function parseCrashSpec(spec: string | undefined): Map<CrashPoint, number> {
  const points = new Map<CrashPoint, number>();
  for (const part of (spec ?? "")
    .split(",")
    .map((s) => s.trim())
    .filter(Boolean)) {
    const [name, p] = part.split(":");
    if (!(CRASH_POINTS as readonly string[]).includes(name)) throw new Error(`${CRASH_ENV}: unknown crash point "${name}" (expected ${CRASH_POINTS.join(", ")})`);
    const probability = p === undefined ? 1 : Number(p);
    if (!(probability >= 0 && probability <= 1)) throw new Error(`${CRASH_ENV}: probability of ${name} must be in [0, 1], got "${p}"`);
    points.set(name as CrashPoint, probability);
  }
  return points;
}

let armed: { points: Map<CrashPoint, number>; rand: () => number } | undefined;

/**
 * Fault injection for the kill -9 reliability runs: when `SVR_KEEPER_CRASH_AT` names `point`, the
 * process SIGKILLs itself here (with that probability; `SVR_KEEPER_CRASH_SEED` makes it
 * reproducible). A no-op when the variable is unset, which is always the case in production.
 */
export function crashPoint(point: CrashPoint): void {
  armed ??= {
    points: parseCrashSpec(process.env[CRASH_ENV]),
    rand: process.env[CRASH_SEED_ENV] ? mulberry32(Number(process.env[CRASH_SEED_ENV])) : Math.random,
  };
  const probability = armed.points.get(point);
  if (probability === undefined || armed.rand() >= probability) return;
  // Written synchronously: the kill leaves no time for the logger's buffered stream.
  writeSync(2, `${JSON.stringify({ level: "error", message: "crash point reached: SIGKILL", crashPoint: point, pid: process.pid })}\n`);
  process.kill(process.pid, "SIGKILL");
}
