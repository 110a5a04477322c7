import { FetchRequest, JsonRpcProvider, Network, type JsonRpcPayload, type JsonRpcResult } from "ethers";
import { redactUrl } from "../log/redact";

/** The RPC could not be used; the URL in the message has its secret parts removed. */
export class RpcConnectionError extends Error {
  override readonly name = "RpcConnectionError";
  constructor(
    message: string,
    readonly url: string,
    override readonly cause?: unknown,
  ) {
    super(message);
  }
}

export class ChainIdMismatchError extends Error {
  override readonly name = "ChainIdMismatchError";
  constructor(
    readonly expected: bigint,
    readonly actual: bigint,
    readonly url: string,
  ) {
    super(`the RPC at ${url} serves chain id ${actual}, but the config says chain.chainId = ${expected}`);
  }
}

/**
 * A JSON-RPC provider that counts the HTTP requests it makes (ethers batches concurrent
 * calls into one request), so figures like "requests per snapshot" are measured at the transport.
 */
export class CountingJsonRpcProvider extends JsonRpcProvider {
  requests = 0;
  calls = 0;

  override async _send(payload: JsonRpcPayload | JsonRpcPayload[]): Promise<JsonRpcResult[]> {
    this.requests += 1;
    this.calls += Array.isArray(payload) ? payload.length : 1;
    // As ethers does, but the body is decoded natively: ethers' JavaScript UTF-8 decoder spends
    // ~100 ms on the 2 MB answer of a 10,000-position page. Anything odd goes back to ethers' path.
    const request = this._getConnection();
    request.body = JSON.stringify(payload);
    request.setHeader("content-type", "application/json");
    const response = await request.send();
    response.assertOk();
    let parsed: unknown;
    try {
      parsed = response.body ? JSON.parse(Buffer.from(response.body.buffer, response.body.byteOffset, response.body.byteLength).toString("utf8")) : response.bodyJson;
    } catch {
      parsed = response.bodyJson; // throws ethers' own BAD_DATA error, with the body attached
    }
    return (Array.isArray(parsed) ? parsed : [parsed]) as JsonRpcResult[];
  }
}

export interface ConnectOptions {
  /** Polling interval for block subscriptions, ms. */
  pollingIntervalMs?: number;
  /** Max JSON-RPC calls folded into one HTTP request. */
  batchMaxCount?: number;
  /** How long concurrent calls wait to share one HTTP request, ms (ethers' default: 10). */
  batchStallTimeMs?: number;
  /** An HTTP request that has not answered within this many ms fails with a TIMEOUT. */
  requestTimeoutMs?: number;
}

/**
 * ethers waits 5 minutes by default: an RPC that stops answering would hold an observation (and
 * its queue's lock) far past the next tick. A snapshot of 10,000 positions reads in ~1.4 s.
 */
export const DEFAULT_REQUEST_TIMEOUT_MS = 15_000;

/**
 * Connects to `url` and checks that it serves `chainId`. Fails with a typed error whose message
 * never contains the URL's path or query (where providers put API keys).
 */
export async function connectRpc(url: string, chainId: number | bigint, opts: ConnectOptions = {}): Promise<CountingJsonRpcProvider> {
  const shownUrl = redactUrl(url);
  const expected = BigInt(chainId);
  const request = new FetchRequest(url);
  request.timeout = opts.requestTimeoutMs ?? DEFAULT_REQUEST_TIMEOUT_MS;
  const provider = new CountingJsonRpcProvider(request, Network.from(expected), {
    staticNetwork: true,
    pollingInterval: opts.pollingIntervalMs ?? 1000,
    batchMaxCount: opts.batchMaxCount ?? 100,
    batchStallTime: opts.batchStallTimeMs ?? 10,
  });
  let actual: bigint;
  try {
    actual = BigInt(await withTimeout(provider.send("eth_chainId", []) as Promise<string>, 10_000));
  } catch (cause) {
    provider.destroy();
    throw new RpcConnectionError(`cannot reach the RPC at ${shownUrl}: ${describe(cause)}`, shownUrl, cause);
  }
  if (actual !== expected) {
    provider.destroy();
    throw new ChainIdMismatchError(expected, actual, shownUrl);
  }
  return provider;
}

/** How an RPC request failed, as a metric label. */
export type RpcFaultKind = "timeout" | "connection" | "http" | "rpcError" | "badResponse" | "other";

/**
 * Classifies a failed read by the first recognisable fault along its cause chain (adapters wrap
 * the provider's error, e.g. MulticallError.details.cause).
 */
export function rpcFaultKind(e: unknown): RpcFaultKind {
  for (let cur: unknown = e, depth = 0; cur !== null && typeof cur === "object" && depth < 8; depth++) {
    const err = cur as { code?: unknown; message?: unknown; error?: { code?: unknown }; info?: { error?: { code?: unknown } }; cause?: unknown; details?: { cause?: unknown } };
    if (err.code === "TIMEOUT") return "timeout";
    if (err.code === "SERVER_ERROR") return "http";
    if (err.code === "BAD_DATA") return "badResponse"; // e.g. a batch answered without some of its requests
    if (typeof err.code === "string" && CONNECTION_CODES.has(err.code)) return "connection";
    // The node answered with a JSON-RPC error object (ethers keeps it as `error` or `info.error`).
    if (typeof err.error?.code === "number" || typeof err.info?.error?.code === "number") return "rpcError";
    cur = err.cause ?? err.details?.cause;
  }
  return "other";
}

const CONNECTION_CODES = new Set(["ECONNRESET", "ECONNREFUSED", "EPIPE", "ETIMEDOUT", "EHOSTUNREACH", "ENOTFOUND", "UND_ERR_SOCKET"]);

function withTimeout<T>(p: Promise<T>, ms: number): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    const t = setTimeout(() => reject(new Error(`no answer within ${ms} ms`)), ms);
    p.then(
      (v) => (clearTimeout(t), resolve(v)),
      (e) => (clearTimeout(t), reject(e)),
    );
  });
}

function describe(e: unknown): string {
  const text = e instanceof Error ? e.message : String(e);
  // ethers repeats the request (and so the URL) inside its messages.
  return redactUrl(text.split("\n")[0]).slice(0, 200);
}
