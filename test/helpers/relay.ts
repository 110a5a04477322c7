import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { ethers, Transaction, type JsonRpcProvider } from "ethers";

export type RelayMode = "include" | "withhold" | "error";

interface Bundle {
  txs: string[];
  blockNumber: number;
}

/**
 * A small Flashbots relay for tests: speaks eth_sendBundle and eth_callBundle, refuses requests
 * whose X-Flashbots-Signature does not verify, simulates bundles on the node, and includes a bundle
 * in its target block when the test mines that block through `mineBlock` (or withholds it, or
 * answers errors, as the test sets `mode`).
 */
export class LocalRelay {
  mode: RelayMode = "include";
  /** Withhold bundles for this many target blocks, then include (re-targeting tests). */
  withholdTargets = 0;
  readonly bundles: Bundle[] = [];
  readonly rejected: string[] = [];
  readonly signers = new Set<string>();
  private server: Server | undefined;

  constructor(
    private readonly node: JsonRpcProvider,
    private readonly mine: () => Promise<void>,
  ) {}

  async start(): Promise<string> {
    this.server = createServer((req, res) => {
      let body = "";
      req.on("data", (c) => (body += c));
      req.on("end", () => {
        void this.handle(req.headers["x-flashbots-signature"] as string | undefined, body).then(([status, json]) => {
          res.writeHead(status, { "content-type": "application/json" });
          res.end(JSON.stringify(json));
        });
      });
    });
    await new Promise<void>((r) => this.server!.listen(0, "127.0.0.1", () => r()));
    return `http://127.0.0.1:${(this.server!.address() as AddressInfo).port}`;
  }

  async stop(): Promise<void> {
    await new Promise<void>((r) => this.server?.close(() => r()));
  }

  /** Mines the next block, first placing in it every bundle that targets it (unless withheld). */
  async mineBlock(): Promise<void> {
    const next = Number(await this.node.send("eth_blockNumber", [])) + 1;
    const due = this.bundles.filter((b) => b.blockNumber === next);
    if (due.length && this.mode === "include") {
      if (this.withholdTargets > 0) this.withholdTargets--;
      else for (const b of due) for (const tx of b.txs) await this.node.send("eth_sendRawTransaction", [tx]).catch(() => undefined);
    }
    await this.mine();
  }

  private async handle(signature: string | undefined, body: string): Promise<[number, unknown]> {
    let id: unknown = null;
    try {
      const request = JSON.parse(body) as { id: unknown; method: string; params: unknown[] };
      id = request.id;
      const [address, sig] = (signature ?? "").split(":");
      if (!address || !sig || ethers.verifyMessage(ethers.id(body), sig).toLowerCase() !== address.toLowerCase()) {
        this.rejected.push(body);
        return [403, { jsonrpc: "2.0", id, error: { code: -32000, message: "invalid flashbots signature" } }];
      }
      this.signers.add(address.toLowerCase());
      if (this.mode === "error") return [200, { jsonrpc: "2.0", id, error: { code: -32603, message: "relay unavailable (test)" } }];
      if (request.method === "eth_sendBundle") {
        const p = request.params[0] as { txs: string[]; blockNumber: string };
        this.bundles.push({ txs: p.txs, blockNumber: Number(p.blockNumber) });
        return [200, { jsonrpc: "2.0", id, result: { bundleHash: ethers.keccak256(ethers.concat(p.txs.map((t) => ethers.keccak256(t)))) } }];
      }
      if (request.method === "eth_callBundle") {
        const p = request.params[0] as { txs: string[] };
        const results = [];
        for (const raw of p.txs) {
          const tx = Transaction.from(raw);
          const call = { from: tx.from, to: tx.to, data: tx.data, value: `0x${tx.value.toString(16)}` };
          try {
            const value = await this.node.send("eth_call", [call, "latest"]);
            const gas = await this.node.send("eth_estimateGas", [call]);
            results.push({ txHash: tx.hash, gasUsed: Number(gas), value });
          } catch (e) {
            results.push({ txHash: tx.hash, gasUsed: 0, revert: (e as Error).message.split("\n")[0], error: "execution reverted" });
          }
        }
        return [200, { jsonrpc: "2.0", id, result: { bundleGasPrice: "0", bundleHash: "0x", coinbaseDiff: "0", ethSentToCoinbase: "0", gasFees: "0", results, stateBlockNumber: 0, totalGasUsed: 0 } }];
      }
      return [200, { jsonrpc: "2.0", id, error: { code: -32601, message: `method ${request.method} not supported by the test relay` } }];
    } catch (e) {
      return [400, { jsonrpc: "2.0", id, error: { code: -32700, message: (e as Error).message } }];
    }
  }
}
