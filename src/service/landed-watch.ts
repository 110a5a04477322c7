import type { JsonRpcProvider } from "ethers";
import { headOf } from "../rpc/reads";

/** An action this process saw confirmed, and where. */
export interface LandedAction<D> {
  protocol: string;
  actionKey: string;
  txHash: string;
  blockHash: string;
  block: number;
  /** What to enqueue again if its block leaves the chain. */
  job: D;
}

/**
 * Confirmation is a number of blocks, not finality: a block can still be dropped after it. The
 * watch keeps each confirmed action for `keepBlocks` and, on every check, asks the node whether its
 * transaction is still in the block it was confirmed in. One that is not is handed to `reorged`
 * at once (to be counted, alerted and enqueued again; the executor's simulation then tells whether
 * the transaction landed elsewhere meanwhile).
 */
export class LandedWatch<D> {
  private landed: LandedAction<D>[] = [];

  constructor(
    private readonly provider: JsonRpcProvider,
    private readonly reorged: (a: LandedAction<D>) => Promise<void>,
    private readonly keepBlocks = 64,
  ) {}

  add(a: LandedAction<D>): void {
    this.landed.push(a);
  }

  get watching(): number {
    return this.landed.length;
  }

  async check(): Promise<void> {
    if (!this.landed.length) return;
    const head = await headOf(this.provider);
    const keep: LandedAction<D>[] = [];
    for (const a of this.landed) {
      const receipt = (await this.provider.send("eth_getTransactionReceipt", [a.txHash])) as { blockHash: string } | null;
      if (!receipt || receipt.blockHash !== a.blockHash) await this.reorged(a);
      else if (head - a.block < this.keepBlocks) keep.push(a);
    }
    this.landed = keep;
  }
}
