import { encodeBytes32String, Interface, toBeHex, zeroPadValue, type JsonRpcApiProvider, type Result } from "ethers";
import { ourInterface } from "../abi";
import { headOf } from "../rpc/reads";

/** IBoundedSteward's events (both stewards emit the same ActionExecuted): topic 1 is the action's idempotency key, topic 2 its market. */
export const STEWARD_EVENTS = new Interface(["event ActionExecuted(bytes32 indexed key, bytes32 indexed market, address keeper, bytes32 evidenceHash)"]);
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

/** One value a keeper action changed: a parameter (bytes32 name) or a position (its id as bytes32), before and after. */
export interface ActionChange {
  what: string;
  oldValue: bigint;
  newValue: bigint;
}

/** A steward keeper call as its transaction input states it. */
export interface ActionCall {
  entryPoint: string;
  key: string;
  market: string;
  evidenceHash: string;
  validUntil: bigint;
  changes: ActionChange[];
}

const STEWARD_CALLS = [ourInterface("RiskSteward"), ourInterface("AaveRiskSteward")];
const name = (text: string) => encodeBytes32String(text);
const pair = (names: [string, string], keys: [string, string], expected: Result, next: Result): ActionChange[] =>
  names.map((n, i) => ({ what: name(n), oldValue: BigInt(expected[keys[i]]), newValue: BigInt(next[keys[i]]) }));

/**
 * What a keeper action changed, from the input of the transaction that carried it (undefined for any
 * other call). `ActionExecuted` does not repeat the values: the action names the values it replaces
 * and the steward refused it unless they were the live ones (compare-and-set), so in a transaction
 * that emitted `ActionExecuted` the expected values are the old values, and the next ones the new
 * (the protocol's own event in the same receipt repeats them).
 */
export function actionChanges(input: string): ActionCall | undefined {
  for (const iface of STEWARD_CALLS) {
    const call = iface.parseTransaction({ data: input });
    if (!call) continue;
    const a = call.args;
    const tag = a[a.length - 1] as Result;
    const head = { entryPoint: call.name, key: tag.key as string, evidenceHash: tag.evidenceHash as string, validUntil: BigInt(tag.validUntil) };
    switch (call.name) {
      case "updateMarginRatios":
        return { ...head, market: a[0], changes: pair(["IMR", "MMR"], ["imrBps", "mmrBps"], a[1], a[2]) };
      case "updateOpenInterestCaps":
        return { ...head, market: a[0], changes: pair(["LONG_CAP", "SHORT_CAP"], ["longCap", "shortCap"], a[1], a[2]) };
      case "deleverage":
        return {
          ...head,
          market: a[0],
          changes: (a[1] as Result[]).map((r) => ({ what: zeroPadValue(toBeHex(r.positionId), 32), oldValue: BigInt(r.expectedSize), newValue: BigInt(r.expectedSize) - BigInt(r.sizeDelta) })),
        };
      case "updateReserveRisk":
        return {
          ...head,
          market: zeroPadValue(a[0], 32),
          changes: [
            ...pair(["LTV", "LIQ_THRESHOLD"], ["ltv", "liquidationThreshold"], a[1], a[2]),
            { what: name("LIQ_BONUS"), oldValue: BigInt(a[1].liquidationBonus), newValue: BigInt(a[2].liquidationBonus) },
          ],
        };
      case "updateReserveCaps":
        return { ...head, market: zeroPadValue(a[0], 32), changes: pair(["SUPPLY_CAP", "BORROW_CAP"], ["supplyCap", "borrowCap"], a[1], a[2]) };
    }
  }
  return undefined;
}
