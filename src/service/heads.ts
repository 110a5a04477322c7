import type { JsonRpcProvider } from "ethers";
import { headOf } from "../rpc/reads";

/**
 * Calls `onHead` once for every new head the node reports, polled every `pollMs` with a fresh read
 * (ethers' cached block number could repeat or skip one). A failed poll is reported and the next
 * one tries again. Returns the function that stops it.
 */
export function followHeads(provider: JsonRpcProvider, pollMs: number, onHead: (block: number) => Promise<void>, onError: (e: unknown) => void): () => Promise<void> {
  let last = -1;
  let stopped = false;
  let running: Promise<void> = Promise.resolve();
  const poll = async () => {
    try {
      const head = await headOf(provider);
      if (head > last) {
        last = head;
        await onHead(head);
      }
    } catch (e) {
      onError(e);
    }
  };
  const timer = setInterval(() => {
    running = running.then(() => (stopped ? undefined : poll()));
  }, pollMs);
  running = poll();
  return async () => {
    stopped = true;
    clearInterval(timer);
    await running;
  };
}
