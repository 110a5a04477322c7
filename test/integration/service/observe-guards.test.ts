import { expect } from "chai";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { ethers } from "hardhat";
import { loadFixture, time } from "@nomicfoundation/hardhat-network-helpers";
import { JsonRpcProvider } from "ethers";
import { openBook, syntheticIntents } from "../../../src/embedded/book";
import { startEmbeddedNode, type EmbeddedNode } from "../../../src/embedded/hardhat-node";
import { observeProtocol, type ObserverDeps } from "../../../src/keeper/observe";
import { silentLogger } from "../../../src/log/logger";
import { DEFAULT_POLICY } from "../../../src/policy";
import { ReferencePerpsAdapter } from "../../../src/protocols/reference/adapter";
import { EMPTY_MEMORY, type ObserverMemory } from "../../../src/keeper/memory";
import { WebhookAlerter } from "../../../src/service/alerts";
import { type Alert } from "../../../src/keeper/ports";
import { KeeperMetrics } from "../../../src/service/metrics";
import { referenceFixture } from "../../contracts/fixtures";

async function bookFixture() {
  const f = await referenceFixture();
  await openBook(f, f.traders, syntheticIntents(f, 40, 7));
  return f;
}

/** Fresh answers at today's prices: earlier tests may have moved the chain's clock past the heartbeat. */
async function refreshFeeds(f: Awaited<ReturnType<typeof bookFixture>>): Promise<void> {
  for (const m of f.markets) await (await m.feed.updateAnswer(ethers.parseUnits(String(m.price), 8))).wait();
}

describe("observation guards: no action on stale, invalid or jumping prices — an alert instead", function () {
  this.timeout(60_000);
  let node: EmbeddedNode;
  let provider: JsonRpcProvider;
  before(async () => {
    node = await startEmbeddedNode();
    provider = new JsonRpcProvider(node.url, 31337, { staticNetwork: true });
  });
  after(async () => {
    provider.destroy();
    await node.close();
  });

  async function observer(f: Awaited<ReturnType<typeof bookFixture>>) {
    const alerts: Alert[] = [];
    let memory: ObserverMemory = structuredClone(EMPTY_MEMORY);
    const deps: ObserverDeps = {
      adapter: new ReferencePerpsAdapter(provider, {
        protocolId: "ref",
        chainId: 31337n,
        perps: await f.perps.getAddress(),
        steward: await f.steward.getAddress(),
        multicall: await f.multicall.getAddress(),
      }),
      provider,
      policy: { ...DEFAULT_POLICY, defaults: { ...DEFAULT_POLICY.defaults, confirmations: 1 } },
      memory: { load: async () => structuredClone(memory), save: async (_p, m) => void (memory = m) },
      metrics: new KeeperMetrics(),
      alert: (a) => alerts.push(a),
      logger: silentLogger(),
      maxPriceJump: 0.25,
    };
    return { deps, alerts };
  }

  it("acts on fresh, sane prices", async () => {
    const f = await loadFixture(bookFixture);
    await refreshFeeds(f);
    const { deps } = await observer(f);
    const r = await observeProtocol(deps);
    expect(r.status).to.equal("planned");
  });

  it("skips a stale oracle and alerts", async () => {
    const f = await loadFixture(bookFixture);
    const { deps, alerts } = await observer(f);
    await time.increase(3601);
    await ethers.provider.send("evm_mine", []);
    const r = await observeProtocol(deps);
    expect(r.status).to.equal("skipped");
    expect(alerts.filter((a) => a.kind === "staleOracle").map((a) => a.market)).to.deep.equal(["ETH-USD", "BTC-USD", "SOL-USD"]);
  });

  it("refuses a non-positive price: nothing is planned, an alert names the market", async () => {
    const f = await loadFixture(bookFixture);
    await refreshFeeds(f);
    const { deps, alerts } = await observer(f);
    await (await f.markets[0].feed.updateAnswer(0)).wait();
    const r = await observeProtocol(deps);
    expect(r.status).to.equal("skipped");
    expect(alerts.map((a) => [a.kind, a.market])).to.deep.equal([["invalidPrice", "ETH-USD"]]);
  });

  it("waits for a price that jumped more than the bound in one round to be seen again", async () => {
    const f = await loadFixture(bookFixture);
    await refreshFeeds(f);
    const { deps, alerts } = await observer(f);
    expect((await observeProtocol(deps)).status).to.equal("planned");
    await (await f.markets[0].feed.updateAnswer(ethers.parseUnits("4500", 8))).wait(); // +50 %
    const jumped = await observeProtocol(deps);
    expect(jumped.status).to.equal("skipped");
    expect(alerts.some((a) => a.kind === "priceJump" && a.market === "ETH-USD")).to.equal(true);
    await ethers.provider.send("evm_mine", []);
    expect((await observeProtocol(deps)).status).to.equal("planned"); // confirmed by the next observation
  });
});

describe("webhook alerts", function () {
  this.timeout(20_000);
  let server: Server;
  let url: string;
  let received: unknown[] = [];
  let failFirst = 0;
  let delayMs = 0;
  before(async () => {
    server = createServer((req, res) => {
      let body = "";
      req.on("data", (c) => (body += c));
      req.on("end", () => {
        setTimeout(() => {
          if (failFirst > 0) {
            failFirst--;
            res.writeHead(503).end();
            return;
          }
          received.push(JSON.parse(body));
          res.writeHead(204).end();
        }, delayMs);
      });
    });
    await new Promise<void>((r) => server.listen(0, "127.0.0.1", () => r()));
    url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/hook`;
  });
  after(() => new Promise<void>((r) => server.close(() => r())));
  beforeEach(() => {
    received = [];
    failFirst = 0;
    delayMs = 0;
  });

  it("retries a failing webhook until it answers", async () => {
    failFirst = 2;
    const alerter = new WebhookAlerter(url, silentLogger(), { retries: 3, timeoutMs: 1000, backoffMs: 20 });
    alerter.notify({ kind: "level", protocol: "ref", market: "ETH-USD", message: "ok → act" });
    await alerter.flush();
    expect(received).to.have.length(1);
    expect(received[0]).to.deep.include({ kind: "level", protocol: "ref", market: "ETH-USD" });
    expect(alerter.delivered).to.equal(1);
  });

  it("never blocks the caller, even when the webhook is slow", async () => {
    delayMs = 500;
    const alerter = new WebhookAlerter(url, silentLogger(), { retries: 0, timeoutMs: 2000 });
    const start = Date.now();
    for (let i = 0; i < 5; i++) alerter.notify({ kind: "actionFailed", protocol: "ref", message: `failure ${i}` });
    expect(Date.now() - start).to.be.lessThan(50);
    await alerter.flush();
    expect(received).to.have.length(5);
  });
});
