import type Redis from "ioredis";
import { expect } from "chai";
import { ConfigError, parseConfig } from "../../../src/config/load";
import { policyFor } from "../../../src/config/policy";
import { DEFAULT_MARKET_POLICY } from "../../../src/policy/config";
import { RedisConnections } from "../../../src/queue/redis-connection";
import { observedEveryMs, observerSettings, observeScheduleOf, publicTransportOptions } from "../../../src/service/settings";

const A = "0x" + "11".repeat(20);
const B = "0x" + "22".repeat(20);

function config(protocol: Record<string, unknown> = {}, rest: Record<string, unknown> = {}) {
  return parseConfig({ chain: { chainId: 31337, rpcUrl: "http://127.0.0.1:8545" }, protocols: [{ id: "ref", adapter: "reference", protocol: A, steward: B, ...protocol }], ...rest });
}

function refused(raw: () => unknown): string[] {
  try {
    raw();
  } catch (e) {
    expect(e).to.be.instanceOf(ConfigError);
    return (e as ConfigError).problems;
  }
  throw new Error("expected the config to be refused");
}

describe("settings the config accepts are the settings the keeper uses", () => {
  it("everyBlock: true observes once per new head, not on a 1 s clock", () => {
    const cfg = config({ observe: { everyBlock: true } });
    expect(observeScheduleOf(cfg.protocols[0])).to.deep.equal({ everyBlock: true });
    expect(observeScheduleOf(config({ observe: { intervalSeconds: 12 } }).protocols[0])).to.deep.equal({ everyMs: 12_000 });
  });

  it("/healthz expects an everyBlock protocol's observations a block age apart, and none on a chain that mines on demand", () => {
    const clock = config({ observe: { intervalSeconds: 12 } });
    expect(observedEveryMs(clock, clock.protocols[0])).to.equal(12_000);
    const clocked = config({ observe: { everyBlock: true } }, { chain: { chainId: 1, rpcUrl: "http://127.0.0.1:8545", maxBlockAgeSeconds: 36 } });
    expect(observedEveryMs(clocked, clocked.protocols[0])).to.equal(36_000);
    const onDemand = config({ observe: { everyBlock: true } });
    expect(observedEveryMs(onDemand, onDemand.protocols[0])).to.equal(undefined);
  });

  it("maxPriceJump per protocol and keeper.deadlineBlocks reach the observer and the transport", () => {
    const cfg = config({ observe: { intervalSeconds: 2, maxPriceJump: 0.4 } }, { keeper: { deadlineBlocks: 12 } });
    expect(observerSettings(cfg, cfg.protocols[0]).maxPriceJump).to.equal(0.4);
    expect(publicTransportOptions(cfg).deadlineBlocks).to.equal(12);
    const defaults = config();
    expect(observerSettings(defaults, defaults.protocols[0]).maxPriceJump).to.equal(0.25);
    expect(publicTransportOptions(defaults).deadlineBlocks).to.equal(50);
  });
});

describe("policy overrides: one strict deep-partial schema, deep-merged and checked at load", () => {
  it("accepts one level of a metric and keeps the other levels of the defaults", () => {
    const cfg = config({ policy: { defaults: { svr: { act: 0.22 }, forecast: { window: 10 } } } });
    const policy = policyFor(cfg.protocols[0], 0);
    expect(policy.defaults.svr).to.deep.equal({ ...DEFAULT_MARKET_POLICY.svr, act: 0.22 });
    expect(policy.defaults.forecast).to.deep.equal({ ...DEFAULT_MARKET_POLICY.forecast, window: 10 });
    expect(policy.defaults.confirmations).to.equal(DEFAULT_MARKET_POLICY.confirmations);
  });

  it("merges a market's override onto the protocol's defaults, field by field", () => {
    const cfg = config({ policy: { defaults: { svr: { act: 0.22 } }, markets: { "ETH-USD": { svr: { critical: 0.1 } } } } });
    const policy = policyFor(cfg.protocols[0], 0);
    expect(policy.markets["ETH-USD"].svr).to.deep.equal({ ...DEFAULT_MARKET_POLICY.svr, act: 0.22, critical: 0.1 });
  });

  it("refuses at load a misspelt field, a wrong type, and levels out of order after the merge, each by path", () => {
    expect(refused(() => config({ policy: { defaults: { svr: { akt: 0.2 } } } })).join("\n")).to.match(/protocols\[0\]\.policy\.defaults\.svr.*akt/);
    expect(refused(() => config({ policy: { defaults: { confirmations: "3" } } })).join("\n")).to.match(/protocols\[0\]\.policy\.defaults\.confirmations/);
    expect(refused(() => config({ policy: { defaults: { svr: { act: 0.5 } } } })).join("\n")).to.include("protocols[0].policy.defaults.svr: levels must decrease");
    expect(refused(() => config({ policy: { markets: { "ETH-USD": { svr: { warn: 0.1 } } } } })).join("\n")).to.include("protocols[0].policy.markets.ETH-USD.svr");
  });
});

describe("the Redis URL is read by ioredis, not by hand", () => {
  // The hosts do not exist: only the parsed options matter (the error listener keeps the retries quiet).
  const opened = (topology: ConstructorParameters<typeof RedisConnections>[0]) => {
    const connections = new RedisConnections(topology, () => undefined);
    return { client: connections.open({ blocking: true }), close: () => connections.closeAll() };
  };

  it("keeps TLS (rediss://), the user name, the password and the database", async () => {
    const { client, close } = opened({ url: "rediss://keeper:s3cret@redis.example:6380/4" });
    try {
      expect((client as Redis).options).to.include({ host: "redis.example", port: 6380, username: "keeper", password: "s3cret", db: 4, maxRetriesPerRequest: null });
      expect((client as Redis).options.tls).to.not.equal(undefined);
    } finally {
      await close();
    }
  });

  it("keeps them behind Sentinel too: the primary is reached with the URL's credentials, database and TLS", async () => {
    const { client, close } = opened({ url: "rediss://keeper:s3cret@ignored:1/2", sentinel: { name: "mymaster", sentinels: [{ host: "sentinel.example", port: 26379 }] } });
    try {
      expect((client as Redis).options).to.include({ name: "mymaster", username: "keeper", password: "s3cret", db: 2 });
      expect((client as Redis).options.tls).to.not.equal(undefined);
    } finally {
      await close();
    }
  });
});
