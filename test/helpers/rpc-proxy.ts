import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";

/** What the proxy does to the requests it receives; a test switches it at any time with `set`. */
export type RpcFault =
  | { kind: "pass" }
  /**
   * Destroys the socket without answering. `fraction` drops that share of HTTP requests, evenly and
   * deterministically (0.5: every second one); `methods` drops only those calls, so a batch that mixes
   * them with others is answered without them (a partial answer).
   */
  | { kind: "drop"; fraction?: number; methods?: string[] }
  /** Holds every request this long before forwarding it (past a client's timeout, it never answers). */
  | { kind: "delay"; ms: number }
  /** Answers every request with this HTTP status and no JSON-RPC body. */
  | { kind: "httpError"; status: number }
  /** Answers the calls of `methods` (all calls when absent) with a JSON-RPC error object. */
  | { kind: "rpcError"; code: number; message: string; methods?: string[] }
  /** A node out of sync: eth_blockNumber and "latest"-like tags answer `blocks` behind the real head. */
  | { kind: "lag"; blocks: number }
  /** A stuck node: the head stays at the block it was at when the fault was set. */
  | { kind: "freeze" };

export interface RpcProxyStats {
  /** HTTP requests received, and JSON-RPC calls in them (a batch holds several). */
  requests: number;
  calls: number;
  /** Calls never answered, answered with an error (HTTP or JSON-RPC), and answered from a lagging head. */
  dropped: number;
  /** Batches answered without some of their calls. */
  partial: number;
  failed: number;
  lagged: number;
  byMethod: Record<string, number>;
}

interface RpcCall {
  jsonrpc: "2.0";
  id: number | string | null;
  method: string;
  params?: unknown[];
}

type RpcAnswer = { jsonrpc: "2.0"; id: RpcCall["id"]; result?: unknown; error?: { code: number; message: string } };

const HEAD_TAGS = new Set(["latest", "pending", "safe", "finalized"]);

/**
 * A local JSON-RPC proxy in front of a node, whose faults a test switches at runtime: drops, delays,
 * HTTP and JSON-RPC errors, a lagging or frozen head. Batches (ethers sends them) are handled call
 * by call where the fault is per call.
 */
export class RpcProxy {
  private fault: RpcFault = { kind: "pass" };
  private frozenHead = 0;
  /** Requests seen under the current fault, for even fractional drops. */
  private seenUnderFault = 0;
  private readonly timers = new Set<NodeJS.Timeout>();
  stats: RpcProxyStats = emptyStats();

  private constructor(
    private readonly server: Server,
    readonly upstream: string,
    readonly url: string,
  ) {}

  static async start(upstream: string): Promise<RpcProxy> {
    let proxy: RpcProxy | undefined;
    const server = createServer((req, res) => {
      proxy!.handle(req, res).catch((e: Error) => {
        if (!res.headersSent && !res.destroyed) res.writeHead(502).end(`proxy: ${e.message}`);
      });
    });
    await new Promise<void>((r) => server.listen(0, "127.0.0.1", () => r()));
    proxy = new RpcProxy(server, upstream, `http://127.0.0.1:${(server.address() as AddressInfo).port}`);
    return proxy;
  }

  /** Switches behaviour for every request that arrives from now on; a freeze pins the current head. */
  async set(fault: RpcFault): Promise<void> {
    if (fault.kind === "freeze") this.frozenHead = await this.upstreamHead();
    this.fault = fault;
    this.seenUnderFault = 0;
  }

  heal(): Promise<void> {
    return this.set({ kind: "pass" });
  }

  resetStats(): void {
    this.stats = emptyStats();
  }

  async close(): Promise<void> {
    for (const t of this.timers) clearTimeout(t);
    this.server.closeAllConnections();
    await new Promise<void>((r) => this.server.close(() => r()));
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const body = await readBody(req);
    const fault = this.fault; // the fault when the request arrived
    const index = this.seenUnderFault++;
    const parsed = JSON.parse(body) as RpcCall | RpcCall[];
    const batch = Array.isArray(parsed);
    const calls = batch ? parsed : [parsed];
    this.stats.requests++;
    this.stats.calls += calls.length;
    for (const c of calls) this.stats.byMethod[c.method] = (this.stats.byMethod[c.method] ?? 0) + 1;
    const reply = (answers: RpcAnswer[]) => {
      if (res.destroyed) return; // the client gave up (its timeout)
      res.writeHead(200, { "content-type": "application/json" }).end(JSON.stringify(batch ? answers : answers[0]));
    };

    switch (fault.kind) {
      case "pass":
        return reply(await this.forward(calls));
      case "drop": {
        if (fault.methods) {
          const kept = calls.filter((c) => !fault.methods!.includes(c.method));
          this.stats.dropped += calls.length - kept.length;
          if (kept.length === calls.length) return reply(await this.forward(calls));
          if (kept.length === 0 || !batch) return void req.socket.destroy();
          this.stats.partial++;
          return reply(await this.forward(kept)); // the batch's answer lacks the dropped calls
        }
        const f = fault.fraction ?? 1;
        if (Math.floor((index + 1) * f) > Math.floor(index * f)) {
          this.stats.dropped += calls.length;
          return void req.socket.destroy();
        }
        return reply(await this.forward(calls));
      }
      case "delay":
        await new Promise<void>((r) => {
          const t = setTimeout(() => (this.timers.delete(t), r()), fault.ms);
          this.timers.add(t);
        });
        if (res.destroyed || req.socket.destroyed) return;
        return reply(await this.forward(calls));
      case "httpError":
        this.stats.failed += calls.length;
        return void res.writeHead(fault.status, { "content-type": "text/plain" }).end("upstream unavailable");
      case "rpcError": {
        const hit = (c: RpcCall) => !fault.methods || fault.methods.includes(c.method);
        const passed = await this.forward(calls.filter((c) => !hit(c)));
        const byId = new Map(passed.map((a) => [a.id, a]));
        this.stats.failed += calls.filter(hit).length;
        return reply(calls.map((c) => (hit(c) ? { jsonrpc: "2.0", id: c.id, error: { code: fault.code, message: fault.message } } : byId.get(c.id)!)));
      }
      case "lag":
      case "freeze": {
        const head = fault.kind === "freeze" ? this.frozenHead : Math.max(0, (await this.upstreamHead()) - fault.blocks);
        this.stats.lagged += calls.length;
        return reply(await this.answerAtHead(calls, head));
      }
    }
  }

  /** What a node whose head is `head` answers: its head, "latest" at that block, nothing after it. */
  private async answerAtHead(calls: RpcCall[], head: number): Promise<RpcAnswer[]> {
    const headHex = `0x${head.toString(16)}`;
    const local = new Map<RpcCall["id"], RpcAnswer>();
    const forwarded: RpcCall[] = [];
    for (const c of calls) {
      if (c.method === "eth_blockNumber") {
        local.set(c.id, { jsonrpc: "2.0", id: c.id, result: headHex });
        continue;
      }
      const params = (c.params ?? []).map((p) => pinHeadTags(p, headHex));
      const asked = c.method === "eth_getBlockByNumber" ? blockNumberOf(params[0]) : undefined;
      if (asked !== undefined && asked > head) local.set(c.id, { jsonrpc: "2.0", id: c.id, result: null });
      else forwarded.push({ ...c, params });
    }
    const answers = new Map((await this.forward(forwarded)).map((a) => [a.id, a]));
    return calls.map((c) => {
      const a = local.get(c.id) ?? answers.get(c.id)!;
      // A receipt mined after its head is one this node has not seen yet.
      const minedIn = blockNumberOf((a.result as { blockNumber?: unknown } | null)?.blockNumber);
      if (c.method === "eth_getTransactionReceipt" && minedIn !== undefined && minedIn > head) return { ...a, result: null };
      return a;
    });
  }

  private async forward(calls: RpcCall[]): Promise<RpcAnswer[]> {
    if (calls.length === 0) return [];
    const res = await fetch(this.upstream, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify(calls) });
    if (!res.ok) throw new Error(`upstream answered HTTP ${res.status}`);
    return (await res.json()) as RpcAnswer[];
  }

  private async upstreamHead(): Promise<number> {
    const [a] = await this.forward([{ jsonrpc: "2.0", id: 0, method: "eth_blockNumber", params: [] }]);
    return Number(a.result);
  }
}

function emptyStats(): RpcProxyStats {
  return { requests: 0, calls: 0, dropped: 0, partial: 0, failed: 0, lagged: 0, byMethod: {} };
}

function readBody(req: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    let body = "";
    req.setEncoding("utf8");
    req.on("data", (chunk: string) => (body += chunk));
    req.on("end", () => resolve(body));
    req.on("error", reject);
  });
}

/** "latest"-like tags, alone or as a filter's bounds (eth_getLogs), become the served head. */
function pinHeadTags(param: unknown, headHex: string): unknown {
  if (typeof param === "string") return HEAD_TAGS.has(param) ? headHex : param;
  if (param !== null && typeof param === "object" && !Array.isArray(param)) {
    const o = { ...(param as Record<string, unknown>) };
    for (const k of ["fromBlock", "toBlock", "blockTag"]) if (typeof o[k] === "string" && HEAD_TAGS.has(o[k] as string)) o[k] = headHex;
    return o;
  }
  return param;
}

function blockNumberOf(v: unknown): number | undefined {
  return typeof v === "string" && /^0x[0-9a-fA-F]+$/.test(v) ? Number(v) : undefined;
}
