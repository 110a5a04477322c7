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
