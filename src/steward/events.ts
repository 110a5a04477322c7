import { id, type JsonRpcApiProvider } from "ethers";
import { headOf } from "../rpc/reads";

/** IBoundedSteward.ActionExecuted: topic 1 is the action's idempotency key. */
export const ACTION_EXECUTED_TOPIC = id("ActionExecuted(bytes32,bytes32,address,bytes32,(bytes32,uint256,uint256)[])");

export interface LandedAction {
  txHash: string;
  blockNumber: number;
}

/**
 * The steward's record that the action with this idempotency key landed, if it did within the last
 * `lookbackBlocks` blocks. The key is logged, not stored: this is how the keeper tells its own
 * landed action from a change someone else made.
 */
export async function findLandedAction(provider: JsonRpcApiProvider, steward: string, key: string, lookbackBlocks: number): Promise<LandedAction | undefined> {
  const head = await headOf(provider);
  const logs: { transactionHash: string; blockNumber: string }[] = await provider.send("eth_getLogs", [
    { address: steward, topics: [ACTION_EXECUTED_TOPIC, key], fromBlock: `0x${Math.max(0, head - lookbackBlocks).toString(16)}`, toBlock: `0x${head.toString(16)}` },
  ]);
  const first = logs[0];
  return first ? { txHash: first.transactionHash, blockNumber: Number(first.blockNumber) } : undefined;
}
