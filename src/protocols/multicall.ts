import { AbiCoder, Interface, JsonRpcApiProvider, toQuantity, type FunctionFragment, type Provider, type Result } from "ethers";

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
  private readonly pageSize: number;
  private readonly gasLimit: bigint | undefined;

  constructor(
    private readonly provider: Provider,
    readonly address: string = CANONICAL_MULTICALL3,
    options: MulticallReaderOptions = {},
  ) {
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
    const functions = calls.map((c) => functionOf(c.iface, c.method));
    const raw = await this.aggregate(
      calls.map((c, i) => {
        const f = functions[i];
        return { target: c.target, callData: f ? f.selector + ABI.encode(f.fragment.inputs, c.args).slice(2) : c.iface.encodeFunctionData(c.method, c.args) };
      }),
      blockTag,
    );
    return raw.map((r, i) => {
      const c = calls[i];
      try {
        return c.decode(c.iface.decodeFunctionResult(functions[i]?.fragment ?? c.method, r.returnData));
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
      rows = decodeAggregate3(await this.ethCall(encodeAggregate3(page), blockTag));
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

const ABI = AbiCoder.defaultAbiCoder();
/** aggregate3((address,bool,bytes)[])'s selector. */
const AGGREGATE3 = new Interface(MULTICALL3_ABI).getFunction("aggregate3")!.selector;

/**
 * A function's fragment and selector by name or signature, looked up once per interface: ethers
 * hashes the signature again on every lookup. Undefined for a name it cannot resolve without the
 * arguments (an overload): ethers' own lookup then, with them.
 */
const functionCache = new WeakMap<Interface, Map<string, { fragment: FunctionFragment; selector: string } | undefined>>();
function functionOf(iface: Interface, method: string): { fragment: FunctionFragment; selector: string } | undefined {
  let byName = functionCache.get(iface);
  if (!byName) functionCache.set(iface, (byName = new Map()));
  if (!byName.has(method)) {
    let fragment: FunctionFragment | null = null;
    try {
      fragment = iface.getFunction(method);
    } catch {
      fragment = null; // ambiguous without the arguments
    }
    byName.set(method, fragment ? { fragment, selector: fragment.selector } : undefined);
  }
  return byName.get(method);
}

/**
 * Encodes aggregate3's calldata with string building instead of the generic ABI coder (which spends
 * more time on a page of a few hundred calls than the node does answering it); the same bytes.
 */
export function encodeAggregate3(calls: readonly Call[]): string {
  const word = (n: number) => n.toString(16).padStart(64, "0");
  const heads: string[] = [];
  const tails: string[] = [];
  let offset = calls.length * 32;
  for (const c of calls) {
    if (!/^0x[0-9a-fA-F]{40}$/.test(c.target)) throw new Error(`multicall target ${c.target} is not an address`);
    if (!/^0x([0-9a-fA-F]{2})*$/.test(c.callData)) throw new Error(`multicall calldata for ${c.target} is not hex bytes`);
    const data = c.callData.slice(2).toLowerCase();
    const length = data.length / 2;
    const padded = data + "0".repeat((64 - (data.length % 64)) % 64);
    heads.push(word(offset));
    const tail = `${c.target.slice(2).toLowerCase().padStart(64, "0")}${word(c.allowFailure ? 1 : 0)}${word(96)}${word(length)}${padded}`;
    tails.push(tail);
    offset += tail.length / 2;
  }
  return `${AGGREGATE3}${word(32)}${word(calls.length)}${heads.join("")}${tails.join("")}`;
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
