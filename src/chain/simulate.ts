import type { Provider } from "ethers";
import { headOf } from "../rpc/reads";
import type { PopulatedAction } from "../domain/protocol-state";
import { revertDataOf, type DecodedRevert, type RevertDecoder } from "./revert";

export type SimulationResult =
  { status: "ok"; gasEstimate: bigint; block: number } | { status: "reverted"; error: DecodedRevert; description: string; block: number } | { status: "failed"; reason: string };

/**
 * Runs the transaction as an eth_call from the keeper's address on the latest block, then estimates
 * its gas. A revert is decoded by name; an RPC fault is reported as such (never as a revert).
 */
export async function simulate(provider: Provider, from: string, tx: PopulatedAction, decoder: RevertDecoder): Promise<SimulationResult> {
  let block: number;
  try {
    // Not ethers' cached block number: a simulation on a stale head can refuse (or pass) what the head would not.
    block = await headOf(provider);
  } catch (e) {
    return { status: "failed", reason: `cannot read the head: ${(e as Error).message.split("\n")[0]}` };
  }
  const request = { from, to: tx.to, data: tx.data, value: tx.value, blockTag: block };
  try {
    await provider.call(request);
    const gasEstimate = await provider.estimateGas(request);
    return { status: "ok", gasEstimate, block };
  } catch (e) {
    const data = revertDataOf(e);
    const code = (e as { code?: string }).code;
    if (data === undefined && code !== "CALL_EXCEPTION") return { status: "failed", reason: (e as Error).message.split("\n")[0] };
    const error = decoder.decode(data);
    return { status: "reverted", error, description: decoder.describe(error), block };
  }
}
