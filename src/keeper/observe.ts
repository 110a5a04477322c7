import type { JsonRpcProvider } from "ethers";
import type { Logger } from "../log/logger";
import { LEVELS, planActions, type Plan, type PolicyConfig } from "../policy";
import { oracleAge } from "../domain/protocol-state";
import type { ProtocolAdapter } from "../protocols/adapter";
import { OracleAnswerError } from "../protocols/errors";
import { computeMetrics } from "../risk";
import { rpcFaultKind, type RpcFaultKind } from "../rpc/connect";
import { headOf } from "../rpc/reads";
import type { ObserverMemoryStore } from "./memory";
import type { AlertSink, ObserverMetrics, SkipReason } from "./ports";
import { priceJumps } from "./price-jump";

export interface ObserverDeps {
  adapter: ProtocolAdapter;
  provider: JsonRpcProvider;
  policy: PolicyConfig;
  memory: ObserverMemoryStore;
  metrics: ObserverMetrics;
  alert: AlertSink;
  logger: Logger;
  /** A price that moved more than this fraction since the last observation is not acted on until it is seen again or the market's spot pool confirms it (see priceJumps). */
  maxPriceJump: number;
  /**
   * chain.maxHeadLagBlocks: a head more than this many blocks behind the newest block already
   * observed is an RPC that lags (a load balancer switched to a node out of sync) and is reported.
   * A block behind is never acted on, within the tolerance or not. Default 2.
   */
  maxHeadLagBlocks?: number;
  /**
   * chain.maxBlockAgeSeconds: a head block older than this by the keeper's clock is a frozen or lagging
   * RPC, the only view that catches one on the first observation after a restart. Unset for chains
   * that mine on demand (the embedded one), where an idle chain's head is old but current.
   */
  maxBlockAgeSeconds?: number;
  /** The keeper's clock, unix seconds (default: the system clock). */
  now?: () => number;
}

/** The observation could not read the chain: nothing was planned; the next tick tries again. */
export class ObservationReadError extends Error {
  override readonly name = "ObservationReadError";
  constructor(
    readonly protocol: string,
    readonly block: number | undefined,
    readonly fault: RpcFaultKind,
    override readonly cause: unknown,
  ) {
    super(`cannot read ${protocol}${block === undefined ? "" : ` at block ${block}`} (${fault}): ${firstLine(cause)}`);
  }
}

export type ObserveResult = { status: "skipped"; block: number; reason: string } | { status: "planned"; block: number; plan: Plan };

const HISTORY = 120;
const DEFAULT_MAX_HEAD_LAG_BLOCKS = 2;

/**
 * One observation of one protocol: read the head's snapshot, refuse data that is stale, lags or
 * jumps, run the policy with the memory of earlier observations, publish metrics and level alerts.
 * Any RPC fault throws (an ObservationReadError, counted) before anything is planned: partial data
 * never becomes an action.
 */
export async function observeProtocol(deps: ObserverDeps): Promise<ObserveResult> {
  const protocol = deps.adapter.protocolId;
  const memory = await deps.memory.load(protocol);
  let block: number | undefined;
  let snapshot;
  try {
    block = await headOf(deps.provider);
    const behind = memory.lastBlock - block;
    if (behind === 0) return { status: "skipped", block, reason: `block ${block} already observed: no new block` };
    if (behind > 0) return headBehind(deps, block, behind);
    snapshot = await deps.adapter.readSnapshot(block);
  } catch (e) {
    if (e instanceof OracleAnswerError && block !== undefined) {
      deps.alert({ kind: "invalidPrice", protocol, market: e.market, message: e.message, block });
      deps.metrics.observationSkipped(protocol, "invalidPrice");
      return { status: "skipped", block, reason: e.message };
    }
    const fault = rpcFaultKind(e);
    deps.metrics.rpcError(`observe_${fault}`);
    throw new ObservationReadError(protocol, block, fault, e); // the job fails; the next tick reads afresh
  }
  const log = deps.logger.child({ protocol, block });
  if (deps.maxBlockAgeSeconds !== undefined) {
    const age = (deps.now ?? wallClock)() - snapshot.block.timestamp;
    if (age > deps.maxBlockAgeSeconds) {
      // Not recorded as observed: a fresh head must still be able to follow.
      const reason = `head block ${block} is ${Math.round(age)}s old (limit ${deps.maxBlockAgeSeconds}s): the RPC's head is frozen or lagging`;
      deps.metrics.observationSkipped(protocol, "staleHead");
      deps.metrics.rpcError("observe_staleHead");
      deps.alert({ kind: "staleHead", protocol, message: `${protocol}: ${reason}; no action on it`, block });
      log.warn("observation not acted on", { reasons: [reason] });
      return { status: "skipped", block, reason };
    }
  }

  const stewardFrozen = snapshot.steward.frozen;
  if (stewardFrozen !== (memory.stewardFrozen ?? false)) {
    deps.alert(
      stewardFrozen
        ? { kind: "frozen", protocol, message: `${protocol}: the steward ${snapshot.steward.address} is frozen by governance: nothing is planned until it is unfrozen`, block }
        : { kind: "unfrozen", protocol, message: `${protocol}: the steward ${snapshot.steward.address} is unfrozen: acting resumes on this observation`, block },
    );
  }
  const reasons: { kind: SkipReason; text: string }[] = [];
  for (const m of snapshot.markets) {
    const { seconds: age, stale } = oracleAge(m, snapshot.block.timestamp);
    if (stale) {
      reasons.push({ kind: "staleOracle", text: `stale oracle for ${m.id}: ${age}s old, heartbeat ${m.oracle.heartbeat}s` });
      deps.alert({ kind: "staleOracle", protocol, market: m.id, message: `oracle of ${m.id} is ${age}s old (heartbeat ${m.oracle.heartbeat}s): no action on stale prices`, block });
    }
  }
  const prices: Record<string, number> = Object.fromEntries(snapshot.risk.markets.map((m) => [m.id, m.mark]));
  for (const j of priceJumps(snapshot.risk, memory.lastPrices, deps.maxPriceJump)) {
    const move = `${((j.to / j.from - 1) * 100).toFixed(1)}%`;
    if (j.confirmedByPool) {
      log.warn("price jump confirmed by the market's spot pool: acted on", { market: j.market, from: j.from, to: j.to, move });
      continue;
    }
    reasons.push({ kind: "priceJump", text: `price of ${j.market} jumped ${move} in one observation` });
    deps.alert({ kind: "priceJump", protocol, market: j.market, message: `price of ${j.market} moved from ${j.from} to ${j.to} in one observation: waiting for it to be confirmed`, block });
  }
  if (reasons.length) {
    deps.metrics.observationSkipped(protocol, reasons[0].kind);
    await deps.memory.save(protocol, { ...memory, lastPrices: prices, lastBlock: block, stewardFrozen });
    log.warn("observation not acted on", { reasons: reasons.map((r) => r.text) });
    return { status: "skipped", block, reason: reasons.map((r) => r.text).join("; ") };
  }

  const plan = planActions({ snapshot, history: memory.history, state: memory.state, config: deps.policy });
  const metrics = computeMetrics(snapshot.risk);
  const history = { ...memory.history };
  for (const r of plan.markets) {
    if (r.svr !== null && r.svr > 0) history[r.market] = [...(history[r.market] ?? []), { t: snapshot.block.timestamp, svr: r.svr }].slice(-HISTORY);
    deps.metrics.marketObserved(protocol, r.market, { svr: r.svr, bufferUsd: metrics.markets[r.market]?.systemicBuffer ?? 0, level: LEVELS.indexOf(r.level), breakingShock: r.breakingShock });
    if (r.transition) {
      deps.alert({
        kind: "level",
        protocol,
        market: r.market,
        message: `${protocol}/${r.market}: ${r.transition.from} → ${r.transition.to} (svr ${r.svr?.toFixed(4) ?? "—"})`,
        from: r.transition.from,
        to: r.transition.to,
        block,
      });
    }
  }
  for (const w of plan.warnings) deps.alert({ kind: "fragileBook", protocol, market: w.market, message: `${protocol}/${w.message}`, block, warning: w });
  await deps.memory.save(protocol, { state: plan.state, history, lastPrices: prices, lastBlock: block, stewardFrozen });
  log.info("observed", { actions: plan.actions.length, deferred: plan.deferred, levels: Object.fromEntries(plan.markets.map((m) => [m.market, m.level])) });
  return { status: "planned", block, plan };
}

/** The RPC serves a block older than one already observed: never acted on, reported beyond the tolerance. */
function headBehind(deps: ObserverDeps, block: number, behind: number): ObserveResult {
  const protocol = deps.adapter.protocolId;
  const maxLag = deps.maxHeadLagBlocks ?? DEFAULT_MAX_HEAD_LAG_BLOCKS;
  const reason = `head ${block} is ${behind} block(s) behind block ${block + behind} already observed`;
  deps.metrics.observationSkipped(protocol, "headBehind");
  if (behind > maxLag) {
    deps.metrics.rpcError("observe_laggingHead");
    deps.alert({ kind: "laggingHead", protocol, message: `${protocol}: ${reason} (tolerance ${maxLag}); no action on it`, block });
  }
  return { status: "skipped", block, reason };
}

function wallClock(): number {
  return Date.now() / 1000;
}

function firstLine(e: unknown): string {
  const text = e instanceof Error ? e.message : String(e);
  // ethers appends the whole request (calldata included) to its messages: keep the reason.
  const line = text.split("\n")[0];
  return line.length > 240 ? `${line.slice(0, 240)}…` : line;
}
