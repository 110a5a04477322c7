import type { TransactionReceipt } from "ethers";

/** How sending one action ended. Only `included` with status success means the steward executed it. */
export type SendOutcome =
  | { status: "included"; txHash: string; blockNumber: number; gasUsed: bigint; success: boolean; via: "public" | "private"; hashes: string[]; receipt: TransactionReceipt }
  | { status: "notIncluded"; nonce: number; hashes: string[]; reason: string }
  | { status: "replacedByOther"; nonce: number; hashes: string[] }
  /** The action's validUntil passed before it landed: it was not re-broadcast (a cancellation took its nonce). */
  | { status: "expired"; nonce: number; hashes: string[]; reason: string };

export interface SendRequest {
  to: string;
  data: string;
  value: bigint;
  gasLimit: bigint;
  /** Idempotency key of the action: ties the nonce record to it, so a restart resumes instead of re-sending. */
  actionKey: string;
  /** Unix seconds after which the steward refuses the action: past it, the transaction is not re-broadcast. */
  validUntil?: bigint;
}

/** The one way an included transaction is reported, from its receipt. */
export function includedOutcome(receipt: TransactionReceipt, via: "public" | "private", hashes: string[]): SendOutcome & { status: "included" } {
  return { status: "included", txHash: receipt.hash, blockNumber: receipt.blockNumber, gasUsed: receipt.gasUsed, success: receipt.status === 1, via, hashes, receipt };
}
