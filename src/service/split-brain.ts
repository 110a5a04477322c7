import type { JsonRpcProvider } from "ethers";
import { headOf } from "../rpc/reads";
import type { Alert } from "../keeper/ports";
import { ACTION_EXECUTED_TOPIC as ACTION_EXECUTED, STEWARD_EVENTS as STEWARD } from "../steward/events";

/**
 * Two keepers acting on one steward without sharing a Redis (a failover that left the old primary
 * serving some processes, a second deployment) each hold "the" lock and send the same actions:
 * duplicates revert, and nonces collide when they share a key. The watch reads the stewards'
 * ActionExecuted events in every new block and alerts on one whose transaction this keeper never
 * signed.
 */
export class SplitBrainWatch {
  private nextBlock: number | undefined;
  private readonly alerted = new Set<string>();

  constructor(
    private readonly provider: JsonRpcProvider,
    private readonly stewards: { protocol: string; address: string }[],
    private readonly isOurs: (txHash: string) => Promise<boolean>,
    private readonly alert: (a: Alert) => void,
  ) {}

  async check(): Promise<void> {
    const head = await headOf(this.provider);
    const from = this.nextBlock ?? head; // from the head this process first saw: earlier events are history
    if (from > head) return;
    const logs = await this.provider.getLogs({ address: this.stewards.map((s) => s.address), topics: [ACTION_EXECUTED], fromBlock: from, toBlock: head });
    for (const log of logs) {
      if (this.alerted.has(log.transactionHash) || (await this.isOurs(log.transactionHash))) continue;
      this.alerted.add(log.transactionHash);
      const steward = this.stewards.find((s) => s.address.toLowerCase() === log.address.toLowerCase());
      const { key, keeper } = STEWARD.decodeEventLog("ActionExecuted", log.data, log.topics);
      this.alert({
        kind: "splitBrain",
        protocol: steward?.protocol ?? "*",
        message: `split brain: steward ${log.address} executed action ${key} in transaction ${log.transactionHash} (keeper ${keeper}, block ${log.blockNumber}) that this keeper never signed: another keeper is acting on it`,
        txHash: log.transactionHash,
        block: log.blockNumber,
      });
    }
    this.nextBlock = head + 1;
  }
}
