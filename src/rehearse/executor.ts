import type { JsonRpcProvider, Wallet } from "ethers";
import { NonceManager } from "../chain/nonce";
import { ProcessNonceStore } from "../chain/nonce-store";
import { PublicTransport } from "../chain/public-transport";
import { accountNonce } from "../rpc/reads";

/**
 * The keeper's own public transport, with its nonce state held in this process: a rehearsal is
 * one process on a throwaway chain, so the cross-process lock and the crash-surviving record
 * that Redis gives the service have nothing to protect here, and a rehearsal needs no Redis.
 */
export function inProcessTransport(provider: JsonRpcProvider, keeper: Wallet, chainId: bigint): PublicTransport {
  const nonces = new NonceManager(new ProcessNonceStore(), chainId, keeper.address, () => accountNonce(provider, keeper.address), { prefix: "rehearsal" });
  return new PublicTransport(provider, keeper, nonces, { maxFeePerGas: 10n ** 12n, stuckAfterBlocks: 3, deadlineBlocks: 20, pollMs: 20 });
}
