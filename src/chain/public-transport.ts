import { Transaction, type JsonRpcProvider, type TransactionReceipt, type Wallet } from "ethers";
import { accountNonce, headOf, isExpired } from "../rpc/reads";
import { crashPoint } from "../util/crashpoint";
import { bumpFees, estimateFees, type Fees } from "./fees";
import type { NonceManager, PendingNonce } from "./nonce";
import { includedOutcome, type SendOutcome, type SendRequest } from "./outcome";

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
 * manager, every signed transaction recorded (hash and bytes) before broadcast, replacements with
 * ≥ 10 % bumps when a transaction is stuck, and whichever of the hashes is mined counts.
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
    if (resumed) return this.resume(resumed, req);
    const { nonce, fees, raw, hash } = await this.nonces.withLock(async (lock) => {
      const { nonce } = await this.nonces.reserve(req.actionKey, "public", lock);
      await this.rebroadcastBelow(nonce);
      const fees = await estimateFees(this.provider, this.opts.maxFeePerGas);
      crashPoint("beforeSign");
      const raw = await this.sign(req, nonce, fees);
      const hash = Transaction.from(raw).hash!;
      await this.nonces.recordHash(nonce, hash, raw, lock);
      crashPoint("afterSign");
      await this.broadcast(raw);
      crashPoint("afterBroadcast");
      return { nonce, fees, raw, hash };
    });
    return this.track({ nonce, actionKey: req.actionKey, hashes: [hash], raw, via: "public", createdAt: Date.now() }, req, fees);
  }

  /** The pending record of an action whose transaction was signed (by this process or one that died). */
  pendingFor(actionKey: string): Promise<PendingNonce | undefined> {
    return this.nonces.findByAction(actionKey);
  }

  /**
   * Takes over a nonce a process signed for and may never have broadcast (it died first): the
   * recorded bytes go out again — the same transaction, so at most one of them can ever land —
   * and are tracked. Without this the transaction would only move once `stuckAfterBlocks` new
   * blocks arrive, which a chain that mines only on transactions never produces.
   */
  async resume(p: PendingNonce, req: SendRequest): Promise<SendOutcome> {
    if (p.raw) await this.rebroadcast(p.raw);
    return this.track(p, req, undefined);
  }

  /**
   * Under the lock, a public record below our nonce whose bytes are recorded was either broadcast
   * by its holder or left unsent by one that died: sending its bytes again costs nothing in the
   * first case and, in the second, is the only way the nonce we were just given can ever be mined.
   */
  private async rebroadcastBelow(nonce: number): Promise<void> {
    for (const p of await this.nonces.pending()) if (p.nonce < nonce && p.via === "public" && p.raw) await this.rebroadcast(p.raw);
  }

  private async rebroadcast(raw: string): Promise<void> {
    try {
      await this.broadcast(raw);
    } catch (e) {
      // A replacement of ours with higher fees holds the nonce in the pool: that one is tracked too.
      if (
        !String((e as Error).message)
          .toLowerCase()
          .includes("underpriced")
      )
        throw e;
    }
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

  /**
   * Waits for one of the nonce's hashes to be mined, replacing the transaction while it is stuck.
   * Once the action has expired it is not sent again: the replacement is a cancellation (an empty
   * transfer to ourselves at the same nonce), which frees the nonce; it landing means "expired".
   */
  async track(p: PendingNonce, req: SendRequest, fees: Fees | undefined): Promise<SendOutcome> {
    const hashes = [...p.hashes];
    let current = fees;
    const start = await headOf(this.provider);
    let lastSend = start;
    for (;;) {
      const receipt = await this.findReceipt(hashes);
      if (receipt) {
        await this.nonces.release(p.nonce);
        const self = this.signer.address.toLowerCase();
        if (receipt.to?.toLowerCase() === self && req.to.toLowerCase() !== self)
          return { status: "expired", nonce: p.nonce, hashes, reason: `cancelled in block ${receipt.blockNumber}: the action expired before it was mined` };
        return includedOutcome(receipt, "public", hashes);
      }
      const chainNonce = await accountNonce(this.provider, this.signer.address);
      if (chainNonce > p.nonce) {
        // Our nonce is used, by none of our hashes (checked just above; re-check once for a race).
        const late = await this.findReceipt(hashes);
        if (late) continue;
        await this.nonces.release(p.nonce);
        return { status: "replacedByOther", nonce: p.nonce, hashes };
      }
      const head = await headOf(this.provider);
      if (head - start >= this.opts.deadlineBlocks) return { status: "notIncluded", nonce: p.nonce, hashes, reason: `not mined within ${this.opts.deadlineBlocks} blocks` };
      if (head - lastSend >= this.opts.stuckAfterBlocks) {
        const base = current ?? (await estimateFees(this.provider, this.opts.maxFeePerGas));
        const next = bumpFees(base, this.opts.maxFeePerGas);
        if (next) {
          const expired = await isExpired(this.provider, req.validUntil);
          const body = expired ? { ...req, to: this.signer.address, data: "0x", value: 0n, gasLimit: 21_000n } : req;
          const raw = await this.sign(body, p.nonce, next);
          const hash = Transaction.from(raw).hash!;
          await this.nonces.recordHash(p.nonce, hash, raw);
          hashes.push(hash);
          try {
            await this.broadcast(raw);
            current = next;
          } catch (e) {
            // "replacement underpriced": the pool wants more; the next round bumps from the higher fees.
            if (
              !String((e as Error).message)
                .toLowerCase()
                .includes("underpriced")
            )
              throw e;
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
      if (raw) return this.receiptOf(h);
    }
    return null;
  }

  /** The node has the receipt: ethers may still answer null from its request cache, so ask again past it (public API only). */
  private async receiptOf(hash: string): Promise<TransactionReceipt> {
    for (let attempt = 0; attempt < 10; attempt++) {
      const receipt = await this.provider.getTransactionReceipt(hash);
      if (receipt) return receipt;
      await new Promise((r) => setTimeout(r, 100));
    }
    throw new Error(`the node has a receipt for ${hash}, but ethers returned none for a second: retried`);
  }
}
