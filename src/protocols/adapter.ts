import type { PopulatedAction, ProtocolSnapshot } from "../domain/protocol-state";
import type { ActionProvenance, ActionRequest } from "../policy/actions";

/** One protocol, read and addressed through its steward. */
export interface ProtocolAdapter {
  readonly protocolId: string;
  readonly chainId: bigint;
  /** Every read pinned to `blockNumber`, batched through Multicall3. */
  readSnapshot(blockNumber: number): Promise<ProtocolSnapshot>;
  /** Calldata for the steward's keeper entry point that performs `action`. */
  buildAction(action: ActionRequest, provenance: ActionProvenance): PopulatedAction;
  /** Read back the parameters an action was meant to change, to verify its effect. */
  readParams(market: string, blockNumber: number): Promise<Record<string, bigint>>;
}
