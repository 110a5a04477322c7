import { JsonRpcApiProvider, type Provider } from "ethers";

/**
 * Reads that must be fresh, asked of the node itself: ethers answers getBlockNumber from a cache
 * and folds identical requests for a moment, and a stale head or nonce turns into a simulation on
 * an old block, a replacement mistaken for another's transaction, or a nonce handed out twice.
 */
export async function headOf(provider: Provider): Promise<number> {
  return provider instanceof JsonRpcApiProvider ? Number(await provider.send("eth_blockNumber", [])) : provider.getBlockNumber();
}

/** The account's next nonce at the latest block, asked of the node. */
export async function accountNonce(provider: JsonRpcApiProvider, address: string): Promise<number> {
  return Number(await provider.send("eth_getTransactionCount", [address, "latest"]));
}

/** The latest block's timestamp, asked of the node. */
export async function headTimeOf(provider: JsonRpcApiProvider): Promise<number> {
  return Number((await provider.send("eth_getBlockByNumber", ["latest", false])).timestamp);
}

/** Whether a transaction mined from now on would be past `validUntil` (the next block is at least one second later). */
export async function isExpired(provider: JsonRpcApiProvider, validUntil: bigint | undefined): Promise<boolean> {
  return validUntil !== undefined && BigInt(await headTimeOf(provider)) >= validUntil;
}

/** The account's next nonce counting the node's pool (the `pending` tag), asked of the node. */
export async function poolNonce(provider: JsonRpcApiProvider, address: string): Promise<number> {
  return Number(await provider.send("eth_getTransactionCount", [address, "pending"]));
}
