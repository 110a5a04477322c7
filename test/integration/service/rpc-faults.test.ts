import { expect } from "chai";
import type { ChildProcess } from "node:child_process";
import { ethers } from "hardhat";
import { loadFixture } from "@nomicfoundation/hardhat-network-helpers";
import { Wallet } from "ethers";
import Redis from "ioredis";
import type { Counter } from "prom-client";
import { openBook, syntheticIntents } from "../../../src/embedded/book";
import { startEmbeddedNode, type EmbeddedNode } from "../../../src/embedded/hardhat-node";
import { ObservationReadError, observeProtocol, type ObserveResult, type ObserverDeps } from "../../../src/keeper/observe";
import { silentLogger } from "../../../src/log/logger";
import { DEFAULT_POLICY } from "../../../src/policy";
import { ReferencePerpsAdapter } from "../../../src/protocols/reference/adapter";
import { EMPTY_MEMORY, type ObserverMemory } from "../../../src/keeper/memory";
import { connectRpc, type CountingJsonRpcProvider, type RpcFaultKind } from "../../../src/rpc/connect";
import { KeeperMetrics } from "../../../src/service/metrics";
import { referenceFixture, type ReferenceFixture } from "../../contracts/fixtures";
import { referenceProtocolEntry, spawnKeeper, writeConfig } from "../../helpers/cli";
import { freePort } from "../../helpers/redis-server";
import { RpcProxy, type RpcFault } from "../../helpers/rpc-proxy";

const REQUEST_TIMEOUT_MS = 1000;

/** The observer as the service runs it: its metrics are the Prometheus registry the tests read. */
type ServiceObserverDeps = ObserverDeps & { metrics: KeeperMetrics };

/** 40 positions (seed 5): every market below `act` at deployment prices; BTC +20 % takes BTC-USD to `act` (a cap cut). */
async function bookFixture(): Promise<ReferenceFixture> {
  const f = await referenceFixture();
  await openBook(f, f.traders, syntheticIntents(f, 40, 5));
  return f;
}

/** Fresh answers at deployment prices: earlier tests may have moved the chain's clock past the heartbeat. */
async function refreshFeeds(f: ReferenceFixture): Promise<void> {
  for (const m of f.markets) await (await m.feed.updateAnswer(ethers.parseUnits(String(m.price), 8))).wait();
}

/** A +20 % BTC move: under the keeper's 25 % jump guard, enough to put BTC-USD at `act`. */
async function breach(f: ReferenceFixture): Promise<void> {
  await (await f.btc.feed.updateAnswer(ethers.parseUnits(String(f.btc.price * 1.2), 8))).wait();
}

/** Blocks mined upstream (not through the proxy), `secondsApart` of chain time each. */
async function mine(blocks: number, secondsApart = 0): Promise<void> {
  for (let i = 0; i < blocks; i++) {
    if (secondsApart > 0) await ethers.provider.send("evm_increaseTime", [secondsApart]);
    await ethers.provider.send("evm_mine", []);
  }
}

/** The real head's timestamp, read beside the proxy: the wall clock of a chain that produces blocks on a clock. */
async function chainNow(): Promise<number> {
  return (await ethers.provider.getBlock("latest"))!.timestamp;
}

async function counted(counter: Counter, labels: Record<string, string>): Promise<number> {
  const { values } = await counter.get();
  return values.filter((v) => Object.entries(labels).every(([k, x]) => v.labels[k] === x)).reduce((s, v) => s + v.value, 0);
}

type Fault = RpcFaultKind | "laggingHead" | "staleHead";

interface FaultFigures {
  fault: string;
  attempted: number;
  actions: number;
  rpcErrors: number;
  untilRecovery: number;
}

describe("RPC faults never become actions: a keeper behind a faulty JSON-RPC proxy", function () {
  this.timeout(60_000);
  let node: EmbeddedNode;
  let proxy: RpcProxy;
  let provider: CountingJsonRpcProvider;
  const figures: FaultFigures[] = [];

  before(async () => {
    node = await startEmbeddedNode();
    proxy = await RpcProxy.start(node.url);
    // A wide batching window: a snapshot's header and first multicall always share a request, so
    // dropping eth_call answers a batch in part however busy the machine is.
    provider = await connectRpc(proxy.url, 31337, { requestTimeoutMs: REQUEST_TIMEOUT_MS, batchStallTimeMs: 50 });
  });
  after(async () => {
    provider?.destroy();
    await proxy?.close();
    await node?.close();
    if (figures.length) {
      console.log(`      ${"fault".padEnd(36)}attempted  actions  rpcErrors  observations until recovery`);
      for (const r of figures)
        console.log(`      ${r.fault.padEnd(36)}${String(r.attempted).padStart(9)}${String(r.actions).padStart(9)}${String(r.rpcErrors).padStart(11)}${String(r.untilRecovery).padStart(29)}`);
    }
  });
  afterEach(() => proxy.heal());

  /** Alert kinds raised by the observer under test, since the last observeThrough began. */
  const raised: string[] = [];

  async function observer(f: ReferenceFixture, extra: Partial<Omit<ObserverDeps, "metrics">> = {}, confirmations = 1) {
    let memory: ObserverMemory = structuredClone(EMPTY_MEMORY);
    const pools: Record<string, string> = {};
    for (const m of f.markets) pools[m.name] = await m.pool.getAddress();
    const deps: ServiceObserverDeps = {
      adapter: new ReferencePerpsAdapter(provider, {
        protocolId: "ref",
        chainId: 31337n,
        perps: await f.perps.getAddress(),
        steward: await f.steward.getAddress(),
        multicall: await f.multicall.getAddress(),
        pools,
      }),
      provider,
      policy: { ...DEFAULT_POLICY, defaults: { ...DEFAULT_POLICY.defaults, confirmations } },
      memory: { load: async () => structuredClone(memory), save: async (_p, m) => void (memory = m) },
      metrics: new KeeperMetrics(),
      alert: (a) => void raised.push(a.kind),
      logger: silentLogger(),
      maxPriceJump: 0.25,
      maxHeadLagBlocks: 2,
      ...extra,
    };
    return { deps, memory: () => memory };
  }

  /**
   * Observes `attempts` times under the fault (each must fail as one of `expected` or be skipped), then
   * heals the proxy and observes until the keeper plans again; records the figures.
   */
  async function observeThrough(name: string, deps: ServiceObserverDeps, opts: { attempts: number; expected: Fault[]; beforeRecovery?: () => Promise<void> }) {
    expect((await deps.metrics.rpcErrors.get()).values, "fresh metrics").to.have.length(0);
    raised.length = 0;
    let actions = 0;
    const skipped: string[] = [];
    for (let i = 0; i < opts.attempts; i++) {
      let r: ObserveResult;
      try {
        r = await observeProtocol(deps);
      } catch (e) {
        if (!(e instanceof ObservationReadError)) throw e;
        expect(opts.expected, e.message).to.include(e.fault);
        continue;
      }
      if (r.status === "planned") actions += r.plan.actions.length;
      else skipped.push(r.reason);
    }
    let rpcErrors = 0;
    for (const kind of opts.expected) rpcErrors += await counted(deps.metrics.rpcErrors, { kind: `observe_${kind}` });
    await proxy.heal();
    await opts.beforeRecovery?.();
    let untilRecovery = 0;
    let recovered = false;
    while (!recovered && untilRecovery < 3) {
      untilRecovery++;
      const r = await observeProtocol(deps);
      recovered = r.status === "planned" && r.plan.actions.length > 0;
    }
    figures.push({ fault: name, attempted: opts.attempts, actions, rpcErrors, untilRecovery });
    expect(actions, `${name}: actions planned under the fault`).to.equal(0);
    for (const reason of skipped) expect(reason).to.match(opts.expected.includes("laggingHead") ? /behind block/ : /is \d+s old/);
    // A head the keeper refuses is an operator's problem: it is alerted, once per refused observation.
    const headFaults: string[] = opts.expected.filter((k) => k === "laggingHead" || k === "staleHead");
    if (headFaults.length) expect(raised.filter((k) => headFaults.includes(k)).length, `${name}: alerts`).to.equal(opts.attempts);
    expect(rpcErrors, `${name}: faults counted as ${opts.expected.join(" or ")}`).to.equal(opts.attempts);
    expect(recovered, `${name}: the keeper plans again once the RPC heals`).to.equal(true);
    expect(untilRecovery).to.equal(1);
  }

  async function breachedObserver(extra: Partial<Omit<ObserverDeps, "metrics">> = {}, confirmations = 1) {
    const f = await loadFixture(bookFixture);
    await refreshFeeds(f);
    await breach(f);
    return { f, ...(await observer(f, extra, confirmations)) };
  }

  it("the proxy drops evenly, and a lagging head pins 'latest' to its own head", async () => {
    await proxy.set({ kind: "drop", fraction: 0.5 });
    const answered = [];
    for (let i = 0; i < 4; i++)
      answered.push(
        await fetch(proxy.url, { method: "POST", headers: { "content-type": "application/json" }, body: '{"jsonrpc":"2.0","id":1,"method":"eth_chainId","params":[]}' }).then(
          () => true,
          () => false,
        ),
      );
    expect(answered).to.deep.equal([true, false, true, false]);
    await mine(3);
    const head = await ethers.provider.getBlockNumber();
    await proxy.set({ kind: "lag", blocks: 3 });
    expect(await provider.getBlockNumber()).to.equal(head - 3);
    expect((await provider.getBlock("latest"))!.number).to.equal(head - 3);
    expect(await provider.getBlock(head)).to.equal(null);
  });

  it("control: through a healthy proxy, the healthy chain plans nothing and the breached one plans an action", async () => {
    const f = await loadFixture(bookFixture);
    await refreshFeeds(f);
    const { deps } = await observer(f);
    const healthy = await observeProtocol(deps);
    expect(healthy.status).to.equal("planned");
    expect(healthy.status === "planned" && healthy.plan.actions.length).to.equal(0);
    await breach(f);
    const breached = await observeProtocol(deps);
    // svr at act: the levers that bind new risk (the IMR new positions need, the caps); no MMR raise, nothing to force out.
    expect(breached.status === "planned" && breached.plan.actions.map((a) => `${a.action.kind} ${a.action.market}`)).to.deep.equal(["setMarginRatios BTC-USD", "setOpenInterestCaps BTC-USD"]);
  });

  // ethers batches concurrent calls: a snapshot's eth_calls share an HTTP request with its block
  // header or not, so dropping eth_call answers a batch partially or drops it whole.
  const failing: { name: string; fault: RpcFault; expected: Fault[]; check?: () => void }[] = [
    { name: "drop every request", fault: { kind: "drop" }, expected: ["connection"] },
    {
      name: "drop eth_call (partial)",
      fault: { kind: "drop", methods: ["eth_call"] },
      expected: ["badResponse", "connection"],
      check: () => expect(proxy.stats.partial, "batches answered in part").to.be.greaterThan(0),
    },
    { name: `delay 3 s (timeout ${REQUEST_TIMEOUT_MS} ms)`, fault: { kind: "delay", ms: 3000 }, expected: ["timeout"] },
    { name: "HTTP 500", fault: { kind: "httpError", status: 500 }, expected: ["http"] },
    { name: "JSON-RPC error on eth_call", fault: { kind: "rpcError", code: -32000, message: "header not found", methods: ["eth_call"] }, expected: ["rpcError"] },
    { name: "JSON-RPC error on every call", fault: { kind: "rpcError", code: -32603, message: "internal error" }, expected: ["rpcError"] },
  ];
  for (const { name, fault, expected, check } of failing) {
    it(`${name}: the observation fails, is counted, plans nothing; the next one after healing plans`, async () => {
      const { deps, memory } = await breachedObserver();
      await proxy.set(fault);
      proxy.resetStats();
      await observeThrough(name, deps, { attempts: 3, expected });
      check?.();
      expect(proxy.stats.byMethod.eth_sendRawTransaction ?? 0).to.equal(0);
      expect(memory().lastBlock, "only the healed observation is remembered").to.be.greaterThan(0);
    });
  }

  it("a head lagging behind a block already observed is never acted on, and reported beyond maxHeadLagBlocks", async () => {
    // Two confirmations: the observation at the head only arms the policy; the lagging one would act.
    const { deps } = await breachedObserver({}, 2);
    await mine(4);
    const first = await observeProtocol(deps);
    expect(first.status === "planned" && first.plan.actions.length).to.equal(0);
    await proxy.set({ kind: "lag", blocks: 1 }); // within the tolerance: skipped, not reported
    const near = await observeProtocol(deps);
    expect(near.status).to.equal("skipped");
    expect(await counted(deps.metrics.skipped, { reason: "headBehind" })).to.equal(1);
    expect((await deps.metrics.rpcErrors.get()).values).to.have.length(0);
    deps.metrics.skipped.reset();
    await proxy.set({ kind: "lag", blocks: 4 }); // serves the breached block right after the breach
    await observeThrough("head lags 4 blocks (max 2)", deps, { attempts: 3, expected: ["laggingHead"], beforeRecovery: () => mine(1) });
  });

  it("a head lagging on a chain with a block clock is refused by its age (maxBlockAgeSeconds)", async () => {
    let now = 0;
    const { deps } = await breachedObserver({ maxBlockAgeSeconds: 30, now: () => now });
    await mine(6, 12); // a block every 12 s
    now = await chainNow();
    await proxy.set({ kind: "lag", blocks: 5 }); // 60 s behind
    await observeThrough("head lags 5 blocks (60 s)", deps, { attempts: 3, expected: ["staleHead"] });
  });

  it("a frozen head is refused once it is older than maxBlockAgeSeconds, even on the first observation after a restart", async () => {
    let now = 0;
    const { deps } = await breachedObserver({ maxBlockAgeSeconds: 30, now: () => now });
    await proxy.set({ kind: "freeze" });
    await mine(3, 12);
    now = await chainNow();
    await observeThrough("frozen head (36 s)", deps, { attempts: 3, expected: ["staleHead"] });
  });

  describe("svr-keeper run through the proxy (a real process, real Redis)", () => {
    let child: ChildProcess | undefined;
    const keeperKey = Wallet.createRandom().privateKey;
    const prefix = `svrfault${process.pid}${Date.now()}`;
    after(async () => {
      child?.kill("SIGKILL");
      const redis = new Redis();
      const keys = await redis.keys(`${prefix}:*`);
      if (keys.length) await redis.del(...keys);
      redis.disconnect();
    });

    it("acts on nothing while the RPC fails, then acts exactly once when it heals", async () => {
      const f = await loadFixture(bookFixture);
      await refreshFeeds(f);
      const keeper = new Wallet(keeperKey);
      await ethers.provider.send("hardhat_setBalance", [keeper.address, "0x3635C9ADC5DEA00000"]);
      await (await f.steward.setKeeper(keeper.address, true)).wait();
      const metricsPort = await freePort();
      const config = writeConfig({
        chain: { chainId: 31337, rpcUrl: proxy.url, maxHeadLagBlocks: 2 },
        protocols: [await referenceProtocolEntry(f, { observe: { intervalSeconds: 0.25 }, policy: { defaults: { confirmations: 1 } } })],
        keeper: { signerKeyEnv: "TEST_KEEPER_KEY", confirmations: 1, maxFeePerGasGwei: 300, stuckAfterBlocks: 3 },
        redis: { url: "redis://127.0.0.1:6379", prefix },
        metrics: { port: metricsPort },
      });
      const running = spawnKeeper(config, { TEST_KEEPER_KEY: keeperKey });
      child = running.child;
      // Complete JSON log lines only (the last chunk may end mid-line).
      const lines = () =>
        running
          .output()
          .slice(0, running.output().lastIndexOf("\n"))
          .split("\n")
          .filter((l) => l.startsWith("{"))
          .map((l) => JSON.parse(l) as Record<string, unknown>);
      const metrics = async () => (await fetch(`http://127.0.0.1:${metricsPort}/metrics`)).text();
      const series = (body: string, name: string, labels: string) => Number(body.match(new RegExp(`${name}\\{${labels}\\} ([0-9.e+]+)`))?.[1] ?? 0);
      const until = async (what: string, ok: () => Promise<boolean>, ms: number) => {
        const start = Date.now();
        while (!(await ok().catch(() => false))) {
          if (Date.now() - start > ms) throw new Error(`${what} within ${ms} ms\n${running.output().slice(-3000)}`);
          await new Promise((r) => setTimeout(r, 100));
        }
      };
      const executed = () => f.steward.queryFilter(f.steward.filters.ActionExecuted());

      // Up and observing the healthy chain: nothing to do.
      await until("the keeper observes", async () => lines().some((l) => l.message === "observed"), 30_000);
      expect(
        lines()
          .filter((l) => l.message === "observed")
          .every((l) => l.actions === 0),
      ).to.equal(true);

      // The RPC fails (every request, then only the snapshot's eth_calls) while the chain breaches.
      await proxy.set({ kind: "httpError", status: 500 });
      await breach(f);
      await until("HTTP 500s counted", async () => series(await metrics(), "svr_keeper_rpc_errors_total", 'kind="observe_http"') >= 3, 10_000);
      await proxy.set({ kind: "drop", methods: ["eth_call"] });
      const unanswered = (body: string) => series(body, "svr_keeper_rpc_errors_total", 'kind="observe_badResponse"') + series(body, "svr_keeper_rpc_errors_total", 'kind="observe_connection"');
      await until("unanswered eth_calls counted", async () => unanswered(await metrics()) >= 3, 10_000);
      const body = await metrics();
      const failedObservations = series(body, "svr_keeper_rpc_errors_total", 'kind="observe_http"') + unanswered(body);
      const enqueuedUnderFault = lines().filter((l) => l.message === "action enqueued").length;
      expect(enqueuedUnderFault, "enqueued under the fault").to.equal(0);
      expect(await executed(), "executed under the fault").to.have.length(0);

      // Healed: the next observation plans, the action lands once, later observations add nothing.
      const healedAt = lines().length;
      await proxy.heal();
      await until("the steward records both actions", async () => (await executed()).length >= 2, 20_000);
      await new Promise((r) => setTimeout(r, 1500)); // several more ticks
      const events = await executed();
      const enqueued = lines().filter((l) => l.message === "action enqueued");
      const observedAfterHeal = lines()
        .slice(healedAt)
        .filter((l) => l.message === "observed");
      const untilRecovery = observedAfterHeal.findIndex((l) => Number(l.actions) > 0) + 1;
      figures.push({ fault: "run: HTTP 500, then drop eth_call", attempted: failedObservations, actions: enqueuedUnderFault, rpcErrors: failedObservations, untilRecovery });
      // The breach plans two actions (the new-risk IMR and the caps): each lands exactly once.
      expect(events, running.output().slice(-3000)).to.have.length(2);
      expect(new Set(enqueued.map((l) => l.actionKey))).to.deep.equal(new Set(events.map((e) => (e as unknown as { args: { key: string } }).args.key)));
      expect(untilRecovery, "an observation after healing plans the action").to.be.greaterThan(0);
      expect(series(await metrics(), "svr_keeper_actions_total", 'protocol="ref-perps",kind="setOpenInterestCaps",outcome="included"')).to.equal(1);

      const exited = new Promise<number | null>((r) => child!.once("exit", (code) => r(code)));
      child.kill("SIGTERM");
      expect(await exited).to.equal(0);
    });
  });
});
