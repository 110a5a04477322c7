import type { Provider } from "ethers";
import { headOf } from "../rpc/reads";
import type { PopulatedAction } from "../domain/protocol-state";
import { revertDataOf, type DecodedRevert, type RevertDecoder } from "./revert";

export type SimulationResult =
  { status: "ok"; gasEstimate: bigint; block: number } | { status: "reverted"; error: DecodedRevert; description: string; block: number } | { status: "failed"; reason: string };

/**
 * Runs the transaction as an eth_call from the keeper's address on the latest block, then estimates
 * its gas. A revert is decoded by name; an RPC fault is reported as such (never as a revert).
 *
 * The estimate runs against the pending block (the node's default). A transaction that passes on
 * the head and reverts there is refused by one waiting in the pool — after a reorg, often this
 * action's own, put back in the pool with its block: reported as a failure to retry once that is
 * mined (the send path then finds the key executed, or a true stale expectation), never as a revert.
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
  } catch (e) {
    return revertOrFault(e, decoder, block);
  }
  try {
    return { status: "ok", gasEstimate: await provider.estimateGas(request), block };
  } catch (e) {
    const outcome = revertOrFault(e, decoder, block);
    if (outcome.status !== "reverted") return outcome;
    return { status: "failed", reason: `passes on block ${block} but reverts against the pending block (${outcome.description}): a transaction waiting in the pool changes what it expects` };
  }
}

function revertOrFault(e: unknown, decoder: RevertDecoder, block: number): SimulationResult {
  const data = revertDataOf(e);
  const code = (e as { code?: string }).code;
  if (data === undefined && code !== "CALL_EXCEPTION") return { status: "failed", reason: (e as Error).message.split("\n")[0] };
  const error = decoder.decode(data);
  return { status: "reverted", error, description: decoder.describe(error), block };
}
