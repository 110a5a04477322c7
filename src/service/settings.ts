import type { KeeperConfig, ProtocolConfig } from "../config/schema";
import type { ObserveSchedule } from "../queue/observe-queue";

/** How often an everyBlock protocol's node is asked for its head. */
export const HEAD_POLL_MS = 500;

/** When a configured protocol is observed: every block, or every `intervalSeconds`. */
export function observeScheduleOf(p: ProtocolConfig): ObserveSchedule {
  if (p.observe.everyBlock) return { everyBlock: true };
  return { everyMs: Math.round((p.observe.intervalSeconds ?? 2) * 1000) };
}

/** The observer's guards, from the config. */
export function observerSettings(config: KeeperConfig, p: ProtocolConfig): { maxPriceJump: number; maxHeadLagBlocks: number; maxBlockAgeSeconds?: number } {
  return { maxPriceJump: p.observe.maxPriceJump, maxHeadLagBlocks: config.chain.maxHeadLagBlocks, maxBlockAgeSeconds: config.chain.maxBlockAgeSeconds };
}

/** The public transport's limits, from the config. */
export function publicTransportOptions(config: KeeperConfig): { maxFeePerGas: bigint; stuckAfterBlocks: number; deadlineBlocks: number } {
  return { maxFeePerGas: BigInt(Math.round(config.keeper.maxFeePerGasGwei * 1e9)), stuckAfterBlocks: config.keeper.stuckAfterBlocks, deadlineBlocks: config.keeper.deadlineBlocks };
}
