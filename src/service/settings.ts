import type { KeeperConfig, ProtocolConfig } from "../config/schema";
import type { ObserveSchedule } from "../queue/observe-queue";

/** How often an everyBlock protocol's node is asked for its head. */
export const HEAD_POLL_MS = 500;

/** When a configured protocol is observed: every block, or every `intervalSeconds`. */
export function observeScheduleOf(p: ProtocolConfig): ObserveSchedule {
  if (p.observe.everyBlock) return { everyBlock: true };
  return { everyMs: Math.round((p.observe.intervalSeconds ?? 2) * 1000) };
}

/**
 * How long apart a protocol's observations are expected to be, for /healthz. Every block: a head is
 * due within chain.maxBlockAgeSeconds on a chain that produces blocks on a clock; on a chain that
 * mines on demand (no maxBlockAgeSeconds) an idle head brings no observation, so none is due.
 */
export function observedEveryMs(config: KeeperConfig, p: ProtocolConfig): number | undefined {
  const schedule = observeScheduleOf(p);
  if ("everyMs" in schedule) return schedule.everyMs;
  return config.chain.maxBlockAgeSeconds === undefined ? undefined : Math.round(config.chain.maxBlockAgeSeconds * 1000);
}

/** The observer's guards, from the config. */
export function observerSettings(config: KeeperConfig, p: ProtocolConfig): { maxPriceJump: number; maxHeadLagBlocks: number; maxBlockAgeSeconds?: number } {
  return { maxPriceJump: p.observe.maxPriceJump, maxHeadLagBlocks: config.chain.maxHeadLagBlocks, maxBlockAgeSeconds: config.chain.maxBlockAgeSeconds };
}

/** The public transport's limits, from the config. */
export function publicTransportOptions(config: KeeperConfig): { maxFeePerGas: bigint; stuckAfterBlocks: number; deadlineBlocks: number } {
  return { maxFeePerGas: BigInt(Math.round(config.keeper.maxFeePerGasGwei * 1e9)), stuckAfterBlocks: config.keeper.stuckAfterBlocks, deadlineBlocks: config.keeper.deadlineBlocks };
}
