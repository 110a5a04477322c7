/**
 * Where a rehearsal step's time goes: plays scenarios of a suite under some strategies (as
 * `svr-keeper evaluate` does, on the embedded chain) and prints, per step, the time spent in each
 * phase (the world's move, each adapter's snapshot, the policy's plan, acting) and the JSON-RPC
 * requests by method; `--out file` writes the scorecard without its wall times (to compare two
 * runs). For a CPU profile run it under `node --cpu-prof`.
 *
 *   npx ts-node --transpile-only scripts/profile-evaluate.ts [--scenarios crash-35,slow-bleed] [--strategies none,keeper] [--positions 150] [--profile permissive]
 */
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { toJson } from "../src/report/format";
import { Interface, JsonRpcProvider, type JsonRpcPayload, type JsonRpcResult } from "ethers";
import { aaveInterface, ourInterface } from "../src/abi";
import { openRehearsalChain, REHEARSAL_CHAIN_ID } from "../src/cli/commands/rehearsal-chain";
import { loadScenario } from "../src/cli/commands/rehearse";
import { evaluate } from "../src/evaluate/evaluate";
import type { StrategyName } from "../src/evaluate/scorecard";
import { createLogger } from "../src/log/logger";
import { Redactor } from "../src/log/redact";
import { totalSteps } from "../src/rehearse/scenario";
import { ScenarioWorld } from "../src/rehearse/world";
import { RehearsalClockProvider } from "../src/rehearse/clock";
import { ReferencePerpsAdapter } from "../src/protocols/reference/adapter";
import { AaveV3Adapter } from "../src/protocols/aave/adapter";
import { GovernanceProfileName } from "../src/steward/profiles";
import * as plan from "../src/policy/plan";
import * as actModule from "../src/keeper/act";
import * as observeModule from "../src/keeper/observe";

function arg(name: string, fallback: string): string {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? process.argv[i + 1] : fallback;
}

const phases = new Map<string, { ms: number; n: number }>();
function add(name: string, ms: number): void {
  const p = phases.get(name) ?? { ms: 0, n: 0 };
  p.ms += ms;
  p.n++;
  phases.set(name, p);
}

/** Wraps a method on an object so its time is added to a phase; async or not. */
function time<T extends object>(obj: T, method: string, name: string): void {
  const o = obj as Record<string, unknown>;
  const inner = o[method] as (...a: unknown[]) => unknown;
  o[method] = function (this: unknown, ...a: unknown[]) {
    const t = performance.now();
    const r = inner.apply(this, a);
    if (r instanceof Promise) return r.finally(() => add(name, performance.now() - t));
    add(name, performance.now() - t);
    return r;
  };
}

const rpc = new Map<string, { n: number; ms: number }>();
// Every request the rehearsal's provider makes (its clock's own included), whatever the transport.
const clockProto = RehearsalClockProvider.prototype as unknown as Record<string, (p: JsonRpcPayload | JsonRpcPayload[]) => Promise<JsonRpcResult[]>>;
// (Before the in-process transport the clock sent through JsonRpcProvider's _send: counted there.)
const countedProto = clockProto.transport ? clockProto : (JsonRpcProvider.prototype as unknown as typeof clockProto);
const countedMethod = clockProto.transport ? "transport" : "_send";
const transport = countedProto[countedMethod];
countedProto[countedMethod] = async function (this: RehearsalClockProvider, payload: JsonRpcPayload | JsonRpcPayload[]): Promise<JsonRpcResult[]> {
  const t = performance.now();
  try {
    return await transport.call(this, payload);
  } finally {
    const ms = performance.now() - t;
    for (const p of Array.isArray(payload) ? payload : [payload]) {
      const r = rpc.get(keyOf(p)) ?? { n: 0, ms: 0 };
      r.n++;
      r.ms += ms / (Array.isArray(payload) ? payload.length : 1);
      rpc.set(keyOf(p), r);
    }
  }
};

/** eth_call and transactions by selector (a multicall by its first inner call's selector): which reads cost. */
function keyOf(p: JsonRpcPayload): string {
  if (!["eth_call", "eth_sendTransaction", "eth_estimateGas"].includes(p.method)) return p.method;
  const tx = (p.params as { data?: string; to?: string }[])[0];
  const data = tx?.data ?? "";
  let selector = data.slice(0, 10);
  const name = selectors.get(selector);
  if (name === "aggregate3" && data.length > 10 + 64 * 6) {
    // aggregate3((address,bool,bytes)[]): the first call's bytes start after its offsets.
    const inner = data.slice(10);
    const count = Number.parseInt(inner.slice(64, 128), 16);
    const first = 128 + Number.parseInt(inner.slice(128, 192), 16) * 2;
    const bytesAt = first + Number.parseInt(inner.slice(first + 128, first + 192), 16) * 2;
    selector = inner.slice(bytesAt + 64, bytesAt + 72);
    return `${p.method} aggregate3[${count <= 5 ? count : count <= 50 ? "≤50" : ">50"}] ${selectors.get(`0x${selector}`) ?? selector}`;
  }
  return `${p.method} ${name ?? (selector || "(no data)")}`;
}
const selectors = new Map<string, string>();
for (const iface of [ourInterface("ReferencePerps"), ourInterface("RiskSteward"), ourInterface("MockV3Aggregator"), ourInterface("ConstantProductPool"), ourInterface("Multicall3")])
  iface.forEachFunction((f) => selectors.set(f.selector, f.name));
for (const name of ["Pool", "AaveOracle", "AaveProtocolDataProvider", "MintableERC20", "PoolConfigurator", "ACLManager"])
  aaveInterface(name as Parameters<typeof aaveInterface>[0]).forEachFunction((f) => selectors.set(f.selector, f.name));
for (const sig of ["function mint(address,uint256)", "function approve(address,uint256)", "function balanceOf(address)", "function symbol()", "function decimals()"]) {
  const f = new Interface([sig]).getFunction(sig.split(" ")[1].split("(")[0])!;
  selectors.set(f.selector, f.name);
}

time(ScenarioWorld.prototype, "play", "world.play");
time(ReferencePerpsAdapter.prototype, "readSnapshot", "reference.readSnapshot");
time(AaveV3Adapter.prototype, "readSnapshot", "aave.readSnapshot");
time(plan, "planActions", "policy.planActions");
time(observeModule, "observeProtocol", "observeProtocol (snapshot + plan)");
time(actModule, "act", "act (simulate, send, confirm)");

async function main(): Promise<void> {
  const suite = join(__dirname, "..", "scenarios");
  const scenarios = arg("scenarios", "crash-35")
    .split(",")
    .map((n) => loadScenario(n.includes("/") ? n : join(suite, `${n}.json`)));
  const strategies = arg("strategies", "none,keeper").split(",") as StrategyName[];
  const positions = Number(arg("positions", "150"));
  const redactor = new Redactor();
  const logger = createLogger({ redactor, level: "warn" });
  const t0 = performance.now();
  const chain = await openRehearsalChain({ positions, seed: 7, redactor });
  const setupMs = performance.now() - t0;
  rpc.clear();
  phases.clear();
  try {
    const t1 = performance.now();
    const cpu0 = process.cpuUsage();
    const card = await evaluate({
      provider: chain.provider,
      chainId: REHEARSAL_CHAIN_ID,
      targets: chain.targets,
      policies: chain.policies,
      scenarios,
      profile: arg("profile", "permissive") as GovernanceProfileName,
      strategies,
      logger,
    });
    const ms = performance.now() - t1;
    const cpu = process.cpuUsage(cpu0);
    const cpuMs = (cpu.user + cpu.system) / 1000;
    const steps = scenarios.reduce((n, s) => n + (totalSteps(s) + 1) * strategies.length, 0);
    const perStep = (x: number) => (x / steps).toFixed(1);
    console.log(
      `setup (chain, ${positions} positions) ${(setupMs / 1000).toFixed(1)} s; evaluate ${(ms / 1000).toFixed(1)} s for ${steps} steps: ${perStep(ms)} ms a step; CPU (every thread: JavaScript and the EVM) ${(cpuMs / 1000).toFixed(1)} s, ${perStep(cpuMs)} ms a step`,
    );
    console.log("\nphase                                   total s   ms/step   calls");
    for (const [name, p] of [...phases].sort((a, b) => b[1].ms - a[1].ms))
      console.log(`${name.padEnd(40)}${(p.ms / 1000).toFixed(1).padStart(7)}${perStep(p.ms).padStart(10)}${String(p.n).padStart(8)}`);
    const total = [...rpc.values()].reduce((s, r) => s + r.n, 0);
    console.log(`\nJSON-RPC requests: ${total} (${(total / steps).toFixed(1)} a step)`);
    console.log("method                                  count   a step   total s");
    for (const [m, r] of [...rpc].sort((a, b) => b[1].n - a[1].n))
      console.log(`${m.padEnd(40)}${String(r.n).padStart(6)}${(r.n / steps).toFixed(1).padStart(9)}${(r.ms / 1000).toFixed(1).padStart(10)}`);
    const out = arg("out", "");
    if (out) writeFileSync(out, `${toJson({ ...card, summary: { ...card.summary, wall_s: 0 }, scenarios: card.scenarios.map((s) => ({ ...s, wallMs: 0 })) })}\n`);
    console.log(`\n${JSON.stringify(card.scenarios.map((s) => ({ scenario: s.scenario, strategies: s.strategies })))}`);
  } finally {
    await chain.close();
    logger.close();
  }
}

main().catch((e) => {
  console.error(e);
  process.exitCode = 1;
});
