import { Interface, type JsonRpcApiProvider } from "ethers";
import { headOf } from "../rpc/reads";

/** IBoundedSteward's events (both stewards emit the same ActionExecuted): topic 1 is the action's idempotency key, topic 2 its market. */
export const STEWARD_EVENTS = new Interface([
  "event ActionExecuted(bytes32 indexed key, bytes32 indexed market, address keeper, bytes32 evidenceHash, (bytes32 param, uint256 oldValue, uint256 newValue)[] changes)",
]);
export const ACTION_EXECUTED_TOPIC = STEWARD_EVENTS.getEvent("ActionExecuted")!.topicHash;

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
