import type { JsonRpcPayload, JsonRpcResult } from "ethers";
import type { EIP1193Provider } from "hardhat/types";

/** A Hardhat chain served over JSON-RPC from inside this process. */
export interface EmbeddedNode {
  url: string;
  /** The in-process provider, for hardhat_* / evm_* control calls. */
  provider: EIP1193Provider;
  /**
   * One JSON-RPC request answered in this process exactly as the server answers it over HTTP (its
   * own handler: the same results, the same error shape), without the socket and the JSON text.
   */
  answer(request: JsonRpcPayload): Promise<JsonRpcResult>;
  close(): Promise<void>;
}

export interface EmbeddedNodeOptions {
  /** Fork this chain (any JSON-RPC URL) instead of starting an empty one. */
  forkUrl?: string;
  forkBlockNumber?: number;
  port?: number;
}

/**
 * Starts Hardhat's own JSON-RPC server on 127.0.0.1, so the keeper talks to the embedded
 * chain exactly as it talks to a live one: over HTTP, through the same code paths.
 * Loading `hardhat` reads hardhat.config.ts; call this only from the CLI or tests.
 */
export async function startEmbeddedNode(opts: EmbeddedNodeOptions = {}): Promise<EmbeddedNode> {
  const hre = require("hardhat") as typeof import("hardhat");
  const names = await import("hardhat/builtin-tasks/task-names");
  const provider = (await hre.run(names.TASK_NODE_GET_PROVIDER, {
    forkUrl: opts.forkUrl,
    forkBlockNumber: opts.forkBlockNumber,
  })) as EIP1193Provider;
  // The node task turns on per-request console logging; the keeper logs for itself.
  await provider.request({ method: "hardhat_setLoggingEnabled", params: [false] });
  const server = (await hre.run(names.TASK_NODE_CREATE_SERVER, { hostname: "127.0.0.1", port: opts.port ?? 0, provider })) as {
    listen(): Promise<{ address: string; port: number }>;
    close(): Promise<void>;
  };
  const { port } = await server.listen();
  return { url: `http://127.0.0.1:${port}`, provider, answer: (request) => answerInProcess(provider, request), close: () => server.close() };
}

/**
 * One request to the in-process chain, answered as Hardhat's JSON-RPC server answers it over HTTP
 * (hardhat/internal/hardhat-network/jsonrpc/handler.js): the result, or an error of the same shape —
 * the provider's code and message (any other error, such as a revert with its Solidity stack trace,
 * is an internal error, -32603, whose message is the error's text), with `data.message`, the revert
 * data as `data.data` and the transaction's hash as `data.txHash`.
 */
async function answerInProcess(provider: EIP1193Provider, request: JsonRpcPayload): Promise<JsonRpcResult> {
  try {
    const result = await provider.request({ method: request.method, params: request.params as unknown[] | undefined });
    return { id: request.id, result } as JsonRpcResult;
  } catch (e) {
    const err = e as { code?: unknown; message?: string; data?: unknown; transactionHash?: string };
    const nested = err.data as { data?: unknown; transactionHash?: string } | null | undefined;
    const returnData = err.data === undefined ? undefined : nested?.data !== undefined ? nested.data : err.data;
    const txHash = err.transactionHash ?? nested?.transactionHash;
    const providerError = typeof err.code === "number";
    const message = providerError ? String(err.message) : String(e);
    const data: Record<string, unknown> = { message };
    if (txHash !== undefined) data.txHash = txHash;
    if (returnData !== undefined) data.data = returnData;
    return { id: request.id, error: { code: providerError ? err.code : -32603, message, data } } as unknown as JsonRpcResult;
  }
}
