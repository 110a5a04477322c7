import type { JsonRpcProvider } from "ethers";
import { headOf } from "../rpc/reads";

export type Confirmation = { status: "confirmed"; blockNumber: number; blockHash: string } | { status: "reorged"; txHash: string; wasIn: string };

/**
 * Waits until the transaction has `confirmations` blocks on top, then checks that it is still in
 * the block it was first seen in: a different block hash, or no receipt, is a reorg.
 */
export async function waitForConfirmations(provider: JsonRpcProvider, txHash: string, seenInBlock: string, confirmations: number, pollMs = 250): Promise<Confirmation> {
  for (;;) {
    const raw = (await provider.send("eth_getTransactionReceipt", [txHash])) as { blockNumber: string; blockHash: string } | null;
    if (!raw || raw.blockHash !== seenInBlock) return { status: "reorged", txHash, wasIn: seenInBlock };
    const head = await headOf(provider);
    if (head - Number(raw.blockNumber) + 1 >= confirmations) return { status: "confirmed", blockNumber: Number(raw.blockNumber), blockHash: raw.blockHash };
    await new Promise((r) => setTimeout(r, pollMs));
  }
}

/**
 * After a reorg dropped a transaction's block, the node may hold it in its pool and mine it again.
 * Waits (at most `blocks` blocks) until it is mined again or the node no longer knows it; only then
 * may the action be sent anew without two transactions racing for it.
 */
export async function settleReorged(provider: JsonRpcProvider, txHash: string, blocks = 3, pollMs = 250): Promise<"reincluded" | "gone" | "pending"> {
  const start = await headOf(provider);
  for (;;) {
    if (await provider.send("eth_getTransactionReceipt", [txHash])) return "reincluded";
    if (!(await provider.send("eth_getTransactionByHash", [txHash]))) return "gone";
    if ((await headOf(provider)) - start >= blocks) return "pending";
    await new Promise((r) => setTimeout(r, pollMs));
  }
}
