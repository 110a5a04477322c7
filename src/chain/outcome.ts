import type { TransactionReceipt } from "ethers";

/** How sending one action ended. Only `included` with status success means the steward executed it. */
export type SendOutcome =
  | { status: "included"; txHash: string; blockNumber: number; gasUsed: bigint; success: boolean; via: "public" | "private"; hashes: string[]; receipt: TransactionReceipt }
  | { status: "notIncluded"; nonce: number; hashes: string[]; reason: string }
  | { status: "replacedByOther"; nonce: number; hashes: string[] };

export interface SendRequest {
  to: string;
  data: string;
  value: bigint;
  gasLimit: bigint;
  /** Idempotency key of the action: ties the nonce record to it, so a restart resumes instead of re-sending. */
  actionKey: string;
}

/** The one way an included transaction is reported, from its receipt. */
export function includedOutcome(receipt: TransactionReceipt, via: "public" | "private", hashes: string[]): SendOutcome & { status: "included" } {
  return { status: "included", txHash: receipt.hash, blockNumber: receipt.blockNumber, gasUsed: receipt.gasUsed, success: receipt.status === 1, via, hashes, receipt };
}
