import { FlashbotsBundleProvider } from "@flashbots/ethers-provider-bundle";
import { Transaction, type JsonRpcProvider, type TransactionReceipt, type Wallet } from "ethers";
import { accountNonce, headOf, isExpired } from "../rpc/reads";
import { crashPoint } from "../util/crashpoint";
import { RelayError } from "./errors";
import { estimateFees, type Fees } from "./fees";
import type { NonceManager, PendingNonce } from "./nonce";
import { includedOutcome, type SendOutcome, type SendRequest } from "./outcome";
import type { PublicTransport } from "./public-transport";

export interface FlashbotsTransportOptions {
  relayUrl: string;
  maxFeePerGas: bigint;
  /** Blocks to keep re-targeting the bundle before giving up (or falling back). */
  deadlineBlocks: number;
  /** Fall back to the public mempool with the same signed transaction — the same nonce — so only one can land. */
  fallback?: PublicTransport;
  pollMs?: number;
}

export type PrivateOutcome = SendOutcome | { status: "rejected"; reason: string };

/**
 * Sends a transaction as a one-transaction Flashbots bundle: simulated by the relay first, then
 * targeted at the next block, and re-targeted every block until it is included or the deadline
 * passes. The relay authenticates with a key of its own, never the signing key.
 */
export class FlashbotsTransport {
  private fb: FlashbotsBundleProvider | undefined;

  constructor(
    private readonly provider: JsonRpcProvider,
    private readonly signer: Wallet,
    private readonly authSigner: Wallet,
    private readonly nonces: NonceManager,
    private readonly opts: FlashbotsTransportOptions,
  ) {}

  async send(req: SendRequest): Promise<PrivateOutcome> {
    await this.relay(); // a relay client that cannot be set up fails before a nonce is taken
    const { nonce, raw, fees } = await this.nonces.withLock(async (lock) => {
      const { nonce } = await this.nonces.reserve(req.actionKey, "private", lock);
      const fees = await estimateFees(this.provider, this.opts.maxFeePerGas, true);
      const chainId = (await this.provider.getNetwork()).chainId;
      crashPoint("beforeSign");
      const raw = await this.signer.signTransaction({ type: 2, chainId, nonce, to: req.to, data: req.data, value: req.value, gasLimit: req.gasLimit, ...fees });
      await this.nonces.recordHash(nonce, Transaction.from(raw).hash!, raw, lock);
      crashPoint("afterSign");
      return { nonce, raw, fees };
    });
    return this.deliver(nonce, raw, fees, req);
  }

  /**
   * Takes over a nonce a process signed a bundle for and died: mined already, consumed by another
   * transaction, or else the same signed bytes are delivered again (never a second signature).
   */
  async resume(p: PendingNonce, req: SendRequest): Promise<PrivateOutcome> {
    for (const h of p.hashes) {
      const mined = await this.receipt(h);
      if (mined) {
        await this.nonces.release(p.nonce);
        return includedOutcome(mined, "private", p.hashes);
      }
    }
    const onChain = await accountNonce(this.provider, this.signer.address);
    if (onChain > p.nonce) {
      await this.nonces.release(p.nonce);
      return { status: "replacedByOther", nonce: p.nonce, hashes: p.hashes };
    }
    if (p.raw) return this.deliver(p.nonce, p.raw, undefined, req);
    // A record from before signed bytes were kept: only the public fallback can still track it.
    if (this.opts.fallback) return this.opts.fallback.track({ ...p, via: "public" }, req, undefined);
    return { status: "notIncluded", nonce: p.nonce, hashes: p.hashes, reason: "resumed a private nonce without its signed bytes" };
  }

  private async deliver(nonce: number, raw: string, fees: Fees | undefined, req: SendRequest): Promise<PrivateOutcome> {
    const fb = await this.relay();
    const hash = Transaction.from(raw).hash!;

    const sim = await fb.simulate([raw], "latest");
    if ("error" in sim) {
      await this.nonces.release(nonce);
      return { status: "rejected", reason: `relay simulation failed: ${sim.error.message}` };
    }
    if (sim.firstRevert) {
      await this.nonces.release(nonce);
      return { status: "rejected", reason: `bundle reverts in simulation: ${JSON.stringify(sim.firstRevert)}` };
    }

    const first = (await headOf(this.provider)) + 1;
    let expired = false;
    for (let target = first; target < first + this.opts.deadlineBlocks;) {
      // Past its validUntil the steward refuses it: no more targets, and no public fallback.
      if ((expired = await isExpired(this.provider, req.validUntil))) break;
      // A relay fault (an error answer) costs this block, not the action: the next block is tried, then the fallback.
      await fb.sendRawBundle([raw], target);
      crashPoint("afterBroadcast");
      await this.waitForHead(target);
      const receipt = await this.receipt(hash);
      if (receipt) {
        await this.nonces.release(nonce);
        return includedOutcome(receipt, "private", [hash]);
      }
      target = Math.max(target + 1, (await headOf(this.provider)) + 1);
    }
    if (this.opts.fallback && !expired) {
      await this.opts.fallback.broadcast(raw);
      return this.opts.fallback.track({ nonce, actionKey: req.actionKey, hashes: [hash], raw, via: "public", createdAt: Date.now() }, req, fees);
    }
    // Not broadcast anywhere but the relay, whose targets have all passed: the nonce is free again.
    const onChain = await accountNonce(this.provider, this.signer.address);
    const late = await this.receipt(hash);
    if (late) return includedOutcome(late, "private", [hash]);
    if (onChain <= nonce) await this.nonces.release(nonce);
    if (expired) return { status: "expired", nonce, hashes: [hash], reason: "the action expired before a block included its bundle" };
    return { status: "notIncluded", nonce, hashes: [hash], reason: `no block up to ${first + this.opts.deadlineBlocks - 1} included the bundle` };
  }

  private async relay(): Promise<FlashbotsBundleProvider> {
    if (!this.fb) {
      try {
        this.fb = await FlashbotsBundleProvider.create(this.provider, this.authSigner, this.opts.relayUrl);
      } catch (e) {
        throw new RelayError(`cannot set up the relay client: ${(e as Error).message}`);
      }
    }
    return this.fb;
  }

  private async waitForHead(block: number): Promise<void> {
    while ((await headOf(this.provider)) < block) await new Promise((r) => setTimeout(r, this.opts.pollMs ?? 250));
  }

  private async receipt(hash: string): Promise<TransactionReceipt | null> {
    const raw = await this.provider.send("eth_getTransactionReceipt", [hash]);
    return raw ? this.provider.getTransactionReceipt(hash) : null;
  }
}
