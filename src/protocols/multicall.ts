import { Contract, Interface, JsonRpcApiProvider, toQuantity, type Provider, type Result } from "ethers";

/** Address of Multicall3 on mainnet and most EVM chains. */
export const CANONICAL_MULTICALL3 = "0xcA11bde05977b3631167028862bE2a173976CA11";

const MULTICALL3_ABI = [
  "function aggregate3((address target, bool allowFailure, bytes callData)[] calls) payable returns ((bool success, bytes returnData)[] returnData)",
  "function getBlockNumber() view returns (uint256)",
  "function getCurrentBlockTimestamp() view returns (uint256)",
];

export interface Call {
  target: string;
  callData: string;
  /** A failing call then yields `{ success: false }` instead of failing the batch. */
  allowFailure?: boolean;
}

export interface CallResult {
  success: boolean;
  returnData: string;
}

/** A read that names its decoder, so callers get values rather than bytes. */
export interface TypedCall<T> {
  target: string;
  iface: Interface;
  method: string;
  args: readonly unknown[];
  decode: (result: Result) => T;
}

/** Raised when a batch cannot be read; the keeper must never act on a partial snapshot. */
export class MulticallError extends Error {
  override readonly name = "MulticallError";
  constructor(
    message: string,
    readonly details: { blockTag: number; index?: number; target?: string; cause?: unknown },
  ) {
    super(message);
  }
}

export interface MulticallReaderOptions {
  /** Calls per eth_call; large pages cost fewer round trips but more node gas. */
  pageSize?: number;
  /** Gas limit for each eth_call of a page; nodes cap eth_call gas (Hardhat: block gas limit). */
  gasLimit?: bigint;
}

/**
 * Batched, block-pinned reads through Multicall3. Pages go out concurrently so that a
 * large book costs a handful of JSON-RPC requests (fewer still behind a batching provider).
 */
export class MulticallReader {
  private readonly contract: Contract;
  private readonly pageSize: number;
  private readonly gasLimit: bigint | undefined;

  constructor(
    private readonly provider: Provider,
    readonly address: string = CANONICAL_MULTICALL3,
    options: MulticallReaderOptions = {},
  ) {
    this.contract = new Contract(address, MULTICALL3_ABI, provider);
    this.pageSize = options.pageSize ?? 500;
    this.gasLimit = options.gasLimit;
  }

  /** Every call at `blockTag`; throws MulticallError when a call that may not fail fails. */
  async aggregate(calls: readonly Call[], blockTag: number): Promise<CallResult[]> {
    const pages: Call[][] = [];
    for (let i = 0; i < calls.length; i += this.pageSize) pages.push(calls.slice(i, i + this.pageSize));
    const results = await Promise.all(pages.map((page, p) => this.aggregatePage(page, blockTag, p * this.pageSize)));
    return results.flat();
  }

  /** Like `aggregate`, decoding each result with its own interface. */
  async read<T>(calls: readonly TypedCall<T>[], blockTag: number): Promise<T[]> {
    const raw = await this.aggregate(
      calls.map((c) => ({ target: c.target, callData: c.iface.encodeFunctionData(c.method, c.args) })),
      blockTag,
    );
    return raw.map((r, i) => {
      const c = calls[i];
      try {
        return c.decode(c.iface.decodeFunctionResult(c.method, r.returnData));
      } catch (cause) {
        throw new MulticallError(`cannot decode ${c.method} from ${c.target} at block ${blockTag}`, {
          blockTag,
          index: i,
          target: c.target,
          cause,
        });
      }
    });
  }

  private async aggregatePage(page: Call[], blockTag: number, offset: number): Promise<CallResult[]> {
    let rows: CallResult[];
    try {
      const data = this.contract.interface.encodeFunctionData("aggregate3", [page.map((c) => ({ target: c.target, allowFailure: c.allowFailure ?? false, callData: c.callData }))]);
      rows = decodeAggregate3(await this.ethCall(data, blockTag));
      if (rows.length !== page.length) throw new Error(`multicall answered ${rows.length} results for ${page.length} calls`);
    } catch (cause) {
      throw new MulticallError(`multicall of ${page.length} calls at block ${blockTag} failed: ${errorText(cause)}`, {
        blockTag,
        index: offset,
        cause,
      });
    }
    return rows;
  }

  /**
   * Straight eth_call where the provider speaks JSON-RPC: Provider.call re-encodes its hex answer
   * byte by byte in JavaScript, which on a 10,000-position page costs more than the node's work.
   */
  private async ethCall(data: string, blockTag: number): Promise<string> {
    const tx = { to: this.address, data, ...(this.gasLimit === undefined ? {} : { gas: toQuantity(this.gasLimit) }) };
    if (this.provider instanceof JsonRpcApiProvider) return String(await this.provider.send("eth_call", [tx, toQuantity(blockTag)]));
    return this.provider.call({ to: this.address, data, blockTag, gasLimit: this.gasLimit });
  }
}

/**
 * Decodes aggregate3's `(bool success, bytes returnData)[]` with Buffer (native) instead of a
 * generic ABI decoder; every offset and length is checked against the answer's size.
 */
export function decodeAggregate3(hex: string): CallResult[] {
  const buf = Buffer.from(hex.startsWith("0x") ? hex.slice(2) : hex, "hex");
  const word = (at: number): number => {
    if (at + 32 > buf.length) throw new Error(`aggregate3 result truncated at byte ${at} of ${buf.length}`);
    for (let i = at; i < at + 24; i++) if (buf[i] !== 0) throw new Error(`aggregate3 result has an out-of-range word at byte ${at}`);
    return Number(buf.readBigUInt64BE(at + 24));
  };
  const array = word(0);
  const count = word(array);
  const head = array + 32;
  const out: CallResult[] = new Array(count);
  for (let i = 0; i < count; i++) {
    const tuple = head + word(head + i * 32);
    const success = word(tuple) !== 0;
    const bytesAt = tuple + word(tuple + 32);
    const length = word(bytesAt);
    if (bytesAt + 32 + length > buf.length) throw new Error(`aggregate3 result ${i} runs past the answer`);
    out[i] = { success, returnData: `0x${buf.toString("hex", bytesAt + 32, bytesAt + 32 + length)}` };
  }
  return out;
}

function errorText(e: unknown): string {
  // The node's own words (e.g. a gas cap) hide in ethers' `info`; they say more than "missing revert data".
  const nodeMessage = (e as { info?: { error?: { message?: string } } }).info?.error?.message;
  const text = nodeMessage ?? (e instanceof Error ? e.message.split("\n")[0] : String(e));
  // ethers appends the whole request (calldata included) to its messages: keep the reason.
  return text.length > 240 ? `${text.slice(0, 240)}…` : text;
}
