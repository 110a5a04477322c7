import type { EIP1193Provider } from "hardhat/types";

/** A Hardhat chain served over JSON-RPC from inside this process. */
export interface EmbeddedNode {
  url: string;
  /** The in-process provider, for hardhat_* / evm_* control calls. */
  provider: EIP1193Provider;
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
  return { url: `http://127.0.0.1:${port}`, provider, close: () => server.close() };
}
