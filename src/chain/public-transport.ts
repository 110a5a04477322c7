import { Transaction, type JsonRpcProvider, type TransactionReceipt, type Wallet } from "ethers";
import { bumpFees, estimateFees, type Fees } from "./fees";
import type { NonceManager, PendingNonce } from "./nonce";
import type { SendOutcome, SendRequest } from "./outcome";

export interface PublicTransportOptions {
  /** The most the keeper pays per gas, wei. */
  maxFeePerGas: bigint;
  /** Blocks without inclusion before a replacement with bumped fees. */
  stuckAfterBlocks: number;
  /** Give up waiting (the nonce stays tracked) after this many blocks. */
  deadlineBlocks: number;
  pollMs?: number;
}

/**
 * Sends through the public mempool: EIP-1559 fees from fee history, a nonce from the shared
 * manager, every signed hash recorded before broadcast, replacements with ≥ 10 % bumps when a
 * transaction is stuck, and whichever of the hashes is mined counts.
 */
export class PublicTransport {
  constructor(
    private readonly provider: JsonRpcProvider,
    private readonly signer: Wallet,
    private readonly nonces: NonceManager,
    private readonly opts: PublicTransportOptions,
  ) {}

  async send(req: SendRequest): Promise<SendOutcome> {
    const resumed = await this.nonces.findByAction(req.actionKey);
    if (resumed && resumed.hashes.length) return this.track(resumed, req, undefined);
    const { nonce, fees, raw } = await this.nonces.withLock(async () => {
      const { nonce } = await this.nonces.reserve(req.actionKey, "public");
      const fees = await estimateFees(this.provider, this.opts.maxFeePerGas);
      const raw = await this.sign(req, nonce, fees);
      await this.nonces.recordHash(nonce, Transaction.from(raw).hash!);
      await this.broadcast(raw);
      return { nonce, fees, raw };
    });
    return this.track({ nonce, actionKey: req.actionKey, hashes: [Transaction.from(raw).hash!], via: "public", createdAt: Date.now() }, req, fees);
  }

  /** Broadcasts an already signed transaction (the Flashbots fallback reuses its signed bytes). */
  async broadcast(raw: string): Promise<void> {
    try {
      await this.provider.send("eth_sendRawTransaction", [raw]);
    } catch (e) {
      const msg = String((e as Error).message).toLowerCase();
      // Already in the pool, or already mined: tracking finds out which. Not an error to retry.
      if (msg.includes("already known") || msg.includes("known transaction") || msg.includes("nonce too low")) return;
      throw e;
    }
  }

  async sign(req: SendRequest, nonce: number, fees: Fees): Promise<string> {
    const chainId = (await this.provider.getNetwork()).chainId;
    return this.signer.signTransaction({
      type: 2,
      chainId,
      nonce,
      to: req.to,
      data: req.data,
      value: req.value,
      gasLimit: req.gasLimit,
      maxFeePerGas: fees.maxFeePerGas,
      maxPriorityFeePerGas: fees.maxPriorityFeePerGas,
    });
  }

  /** Waits for one of the nonce's hashes to be mined, replacing the transaction while it is stuck. */
  async track(p: PendingNonce, req: SendRequest, fees: Fees | undefined): Promise<SendOutcome> {
    const hashes = [...p.hashes];
    let current = fees;
    const start = await this.head();
    let lastSend = start;
    for (;;) {
      const receipt = await this.findReceipt(hashes);
      if (receipt) {
        await this.nonces.release(p.nonce);
        return { status: "included", txHash: receipt.hash, blockNumber: receipt.blockNumber, gasUsed: receipt.gasUsed, success: receipt.status === 1, via: "public", hashes, receipt };
      }
      const chainNonce = Number(await this.provider.send("eth_getTransactionCount", [this.signer.address, "latest"]));
      if (chainNonce > p.nonce) {
        // Our nonce is used, by none of our hashes (checked just above; re-check once for a race).
        const late = await this.findReceipt(hashes);
        if (late) continue;
        await this.nonces.release(p.nonce);
        return { status: "replacedByOther", nonce: p.nonce, hashes };
      }
      const head = await this.head();
      if (head - start >= this.opts.deadlineBlocks) return { status: "notIncluded", nonce: p.nonce, hashes, reason: `not mined within ${this.opts.deadlineBlocks} blocks` };
      if (head - lastSend >= this.opts.stuckAfterBlocks) {
        const base = current ?? (await estimateFees(this.provider, this.opts.maxFeePerGas));
        const next = bumpFees(base, this.opts.maxFeePerGas);
        if (next) {
          const raw = await this.sign(req, p.nonce, next);
          const hash = Transaction.from(raw).hash!;
          await this.nonces.recordHash(p.nonce, hash);
          hashes.push(hash);
          try {
            await this.broadcast(raw);
            current = next;
          } catch (e) {
            // "replacement underpriced": the pool wants more; the next round bumps from the higher fees.
            if (!String((e as Error).message).toLowerCase().includes("underpriced")) throw e;
            current = next;
          }
        }
        lastSend = head;
      }
      await new Promise((r) => setTimeout(r, this.opts.pollMs ?? 250));
    }
  }

  // Straight JSON-RPC: ethers caches identical reads for a moment, and a stale "no receipt" would
  // turn our own mined replacement into "replaced by another transaction".
  private async findReceipt(hashes: string[]): Promise<TransactionReceipt | null> {
    for (const h of hashes) {
      const raw = await this.provider.send("eth_getTransactionReceipt", [h]);
      if (raw) return (await this.provider.getTransactionReceipt(h)) ?? this.provider._wrapTransactionReceipt(raw, await this.provider.getNetwork());
    }
    return null;
  }

  private async head(): Promise<number> {
    return Number(await this.provider.send("eth_blockNumber", []));
  }
}
