import { JsonRpcProvider, type JsonRpcApiProviderOptions, type JsonRpcPayload, type JsonRpcResult, type Networkish } from "ethers";

/** A chain in this process that answers JSON-RPC requests without HTTP (the embedded node's `answer`). */
export interface InProcessChain {
  answer(request: JsonRpcPayload): Promise<JsonRpcResult>;
}

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

  /**
   * With `chain`, every request goes straight to the in-process chain instead of over HTTP to the
   * server in front of it (`url`): the same requests and answers, without a socket, JSON text and
   * a UTF-8 decoder in JavaScript in between — a rehearsal asks the chain ~100 times a step.
   */
  constructor(
    url: string,
    network?: Networkish,
    options?: JsonRpcApiProviderOptions,
    private readonly chain?: InProcessChain,
  ) {
    super(url, network, options);
  }

  /** Starts a scenario step: no block from now on is stamped earlier than `timestamp`. */
  startStepAt(timestamp: number): void {
    this.notBefore = timestamp;
  }

  override async _send(payload: JsonRpcPayload | JsonRpcPayload[]): Promise<JsonRpcResult[]> {
    const list = Array.isArray(payload) ? payload : [payload];
    if (!list.some((p) => TIMED.has(p.method) && !isHistorical(p))) return this.transport(payload);
    const next = await this.pinNextBlockTime();
    // Hardhat runs a call at its own clock (wall time plus an offset), which falls behind blocks
    // stamped one second apart: moved forward to the pinned time, a simulation sees the time its
    // transaction will be mined at.
    if (list.some(isSimulation)) {
      const [res] = await this.transport({ id: 0, jsonrpc: "2.0", method: "eth_call", params: [{ data: RETURN_TIMESTAMP }, "latest"] });
      const callTime = Number((res as { result: string }).result);
      if (callTime < next) {
        await this.transport({ id: 0, jsonrpc: "2.0", method: "evm_increaseTime", params: [next - callTime] });
        await this.transport({ id: 0, jsonrpc: "2.0", method: "evm_setNextBlockTimestamp", params: [next] });
      }
    }
    return this.transport(payload);
  }

  /** Pins the next block's time; returns it. */
  private async pinNextBlockTime(): Promise<number> {
    const [latest] = await this.transport({ id: 0, jsonrpc: "2.0", method: "eth_getBlockByNumber", params: ["latest", false] });
    const next = Math.max(Number((latest as { result: { timestamp: string } }).result.timestamp) + 1, this.notBefore);
    await this.transport({ id: 0, jsonrpc: "2.0", method: "evm_setNextBlockTimestamp", params: [next] });
    return next;
  }

  private async transport(payload: JsonRpcPayload | JsonRpcPayload[]): Promise<JsonRpcResult[]> {
    const chain = this.chain;
    if (!chain) return super._send(payload);
    const list = Array.isArray(payload) ? payload : [payload];
    return Promise.all(list.map((p) => chain.answer(p)));
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
