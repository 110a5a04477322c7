import { JsonRpcProvider, type JsonRpcPayload, type JsonRpcResult } from "ethers";

/** Creation code that returns block.timestamp (TIMESTAMP, MSTORE at 0, RETURN 32 bytes): the time a call runs at. */
const RETURN_TIMESTAMP = "0x4260005260206000f3";

/** Calls whose outcome depends on the time of the block they run in. */
const TIMED = new Set(["eth_sendTransaction", "eth_sendRawTransaction", "eth_call", "eth_estimateGas"]);

/**
 * The rehearsal chain's clock. Hardhat stamps a new block with the wall clock (plus an offset), so
 * two runs of one scenario would see steward delays expire at different blocks. Through this
 * provider a step's first block has the step's start time and every other block is exactly one
 * second after the one before, and simulations run at the time the transaction will have: a
 * rehearsal replays.
 */
export class RehearsalClockProvider extends JsonRpcProvider {
  /** The earliest time the next block may have: the start of the scenario's current step. */
  private notBefore = 0;

  /** Starts a scenario step: no block from now on is stamped earlier than `timestamp`. */
  startStepAt(timestamp: number): void {
    this.notBefore = timestamp;
  }

  override async _send(payload: JsonRpcPayload | JsonRpcPayload[]): Promise<JsonRpcResult[]> {
    const list = Array.isArray(payload) ? payload : [payload];
    if (!list.some((p) => TIMED.has(p.method) && !isHistorical(p))) return super._send(payload);
    const next = await this.pinNextBlockTime();
    // Hardhat runs a call at its own clock (wall time plus an offset), which falls behind blocks
    // stamped one second apart: moved forward to the pinned time, a simulation sees the time its
    // transaction will be mined at.
    if (list.some(isSimulation)) {
      const [res] = await super._send({ id: 0, jsonrpc: "2.0", method: "eth_call", params: [{ data: RETURN_TIMESTAMP }, "latest"] });
      const callTime = Number((res as { result: string }).result);
      if (callTime < next) {
        await super._send({ id: 0, jsonrpc: "2.0", method: "evm_increaseTime", params: [next - callTime] });
        await super._send({ id: 0, jsonrpc: "2.0", method: "evm_setNextBlockTimestamp", params: [next] });
      }
    }
    return super._send(payload);
  }

  /** Pins the next block's time; returns it. */
  private async pinNextBlockTime(): Promise<number> {
    const [latest] = await super._send({ id: 0, jsonrpc: "2.0", method: "eth_getBlockByNumber", params: ["latest", false] });
    const next = Math.max(Number((latest as { result: { timestamp: string } }).result.timestamp) + 1, this.notBefore);
    await super._send({ id: 0, jsonrpc: "2.0", method: "evm_setNextBlockTimestamp", params: [next] });
    return next;
  }
}

function isSimulation(p: JsonRpcPayload): boolean {
  return (p.method === "eth_call" || p.method === "eth_estimateGas") && !isHistorical(p);
}

/** A read pinned to a past block number runs in that block: the next block's time does not matter. */
function isHistorical(p: JsonRpcPayload): boolean {
  if (p.method !== "eth_call" && p.method !== "eth_estimateGas") return false;
  const tag = (p.params as unknown[] | undefined)?.[1];
  return typeof tag === "string" && tag.startsWith("0x");
}
