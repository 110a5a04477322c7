import type { JsonRpcProvider } from "ethers";
import type { Logger } from "../log/logger";
import { LEVELS, planActions, type Plan, type PolicyConfig } from "../policy";
import type { ProtocolAdapter } from "../protocols/adapter";
import { OracleAnswerError } from "../protocols/errors";
import type { ObserverMemory } from "../queue/policy-store";
import { computeMetrics } from "../risk";
import type { Alert } from "../service/alerts";
import type { KeeperMetrics } from "../service/metrics";

export interface ObserverDeps {
  adapter: ProtocolAdapter;
  provider: JsonRpcProvider;
  policy: PolicyConfig;
  memory: { load(protocol: string): Promise<ObserverMemory>; save(protocol: string, m: ObserverMemory): Promise<void> };
  metrics: KeeperMetrics;
  alert: (a: Alert) => void;
  logger: Logger;
  /** A price that moved more than this fraction since the last observation is not acted on until it is seen again. */
  maxPriceJump: number;
}

export type ObserveResult = { status: "skipped"; block: number; reason: string } | { status: "planned"; block: number; plan: Plan };

const HISTORY = 120;

/**
 * One observation of one protocol: read the head's snapshot, refuse data that is stale or jumps,
 * run the policy with the memory of earlier observations, publish metrics and level alerts.
 * Any RPC fault throws before anything is planned: partial data never becomes an action.
 */
export async function observeProtocol(deps: ObserverDeps): Promise<ObserveResult> {
  const protocol = deps.adapter.protocolId;
  const block = Number(await deps.provider.send("eth_blockNumber", []));
  let snapshot;
  try {
    snapshot = await deps.adapter.readSnapshot(block);
  } catch (e) {
    if (!(e instanceof OracleAnswerError)) throw e; // RPC faults: the job fails and is retried, nothing is planned
    deps.alert({ kind: "invalidPrice", protocol, market: e.market, message: e.message, block });
    deps.metrics.skipped.inc({ protocol, reason: "invalidPrice" });
    return { status: "skipped", block, reason: e.message };
  }
  const log = deps.logger.child({ protocol, block });
  const memory = await deps.memory.load(protocol);
  if (block <= memory.lastBlock) return { status: "skipped", block, reason: `block ${block} already observed (head not advancing or lagging)` };

  const reasons: string[] = [];
  for (const m of snapshot.markets) {
    const age = snapshot.block.timestamp - Number(m.oracle.updatedAt);
    if (m.oracle.heartbeat !== undefined && BigInt(age) > m.oracle.heartbeat) {
      reasons.push(`stale oracle for ${m.id}: ${age}s old, heartbeat ${m.oracle.heartbeat}s`);
      deps.alert({ kind: "staleOracle", protocol, market: m.id, message: `oracle of ${m.id} is ${age}s old (heartbeat ${m.oracle.heartbeat}s): no action on stale prices`, block });
    }
  }
  const prices: Record<string, number> = {};
  for (const m of snapshot.risk.markets) {
    prices[m.id] = m.mark;
    const last = memory.lastPrices[m.id];
    if (last !== undefined && Math.abs(m.mark / last - 1) > deps.maxPriceJump) {
      reasons.push(`price of ${m.id} jumped ${((m.mark / last - 1) * 100).toFixed(1)}% in one observation`);
      deps.alert({ kind: "priceJump", protocol, market: m.id, message: `price of ${m.id} moved from ${last} to ${m.mark} in one observation: waiting for it to be confirmed`, block });
    }
  }
  if (reasons.length) {
    deps.metrics.skipped.inc({ protocol, reason: reasons[0].startsWith("stale") ? "staleOracle" : "priceJump" });
    await deps.memory.save(protocol, { ...memory, lastPrices: prices, lastBlock: block });
    log.warn("observation not acted on", { reasons });
    return { status: "skipped", block, reason: reasons.join("; ") };
  }

  const plan = planActions({ snapshot, history: memory.history, state: memory.state, config: deps.policy });
  const metrics = computeMetrics(snapshot.risk);
  const history = { ...memory.history };
  for (const r of plan.markets) {
    if (r.svr !== null && r.svr > 0) history[r.market] = [...(history[r.market] ?? []), { t: snapshot.block.timestamp, svr: r.svr }].slice(-HISTORY);
    const labels = { protocol, market: r.market };
    if (r.svr !== null) deps.metrics.svr.set(labels, r.svr);
    deps.metrics.buffer.set(labels, metrics.markets[r.market]?.systemicBuffer ?? 0);
    deps.metrics.level.set(labels, LEVELS.indexOf(r.level));
    for (const direction of ["down", "up"] as const) {
      const v = r.breakingShock[direction];
      if (v === null) deps.metrics.breakingShock.remove({ ...labels, direction });
      else deps.metrics.breakingShock.set({ ...labels, direction }, v);
    }
    if (r.transition) {
      deps.alert({ kind: "level", protocol, market: r.market, message: `${protocol}/${r.market}: ${r.transition.from} → ${r.transition.to} (svr ${r.svr?.toFixed(4) ?? "—"})`, from: r.transition.from, to: r.transition.to, block });
    }
  }
  await deps.memory.save(protocol, { state: plan.state, history, lastPrices: prices, lastBlock: block });
  log.info("observed", { actions: plan.actions.length, deferred: plan.deferred.length, levels: Object.fromEntries(plan.markets.map((m) => [m.market, m.level])) });
  return { status: "planned", block, plan };
}
