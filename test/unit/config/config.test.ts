import { expect } from "chai";
import { Wallet } from "ethers";
import { ConfigError, parseConfig } from "../../../src/config/load";
import { resolveSecrets } from "../../../src/config/secrets";
import { Redactor } from "../../../src/log/redact";

const A = "0x" + "11".repeat(20);
const B = "0x" + "22".repeat(20);

function validConfig(): Record<string, unknown> {
  return {
    chain: { chainId: 31337, rpcUrl: "http://127.0.0.1:8545" },
    protocols: [{ id: "ref-perps", adapter: "reference", protocol: A, steward: B }],
  };
}

function problemsOf(raw: unknown): string[] {
  try {
    parseConfig(raw, "test.yaml");
  } catch (e) {
    expect(e).to.be.instanceOf(ConfigError);
    return (e as ConfigError).problems;
  }
  throw new Error("expected the config to be refused");
}

describe("config validation", () => {
  it("accepts a minimal config and fills the defaults", () => {
    const cfg = parseConfig(validConfig());
    expect(cfg.redis.url).to.equal("redis://127.0.0.1:6379");
    expect(cfg.keeper.signerKeyEnv).to.equal("KEEPER_PRIVATE_KEY");
    expect(cfg.protocols[0].observe).to.deep.equal({ intervalSeconds: 2, maxPriceJump: 0.25 });
  });

  it("takes Sentinel and Cluster, and refuses a Cluster prefix that is not a hash tag, saying which", () => {
    const sentinel = parseConfig({ ...validConfig(), redis: { url: "redis://:pw@x", sentinel: { name: "keeper", sentinels: [{ host: "10.0.0.1", port: 26379 }] } } });
    expect(sentinel.redis.sentinel?.name).to.equal("keeper");
    const cluster = parseConfig({ ...validConfig(), redis: { prefix: "{svr}", cluster: { nodes: [{ host: "10.0.0.1", port: 7000 }] } } });
    expect(cluster.redis.prefix).to.equal("{svr}");
    const problems = problemsOf({ ...validConfig(), redis: { prefix: "svr", cluster: { nodes: [{ host: "10.0.0.1", port: 7000 }] } } });
    expect(problems.join("\n")).to.match(/redis\.prefix: .*hash tag such as "\{svr\}"/);
    const both = problemsOf({ ...validConfig(), redis: { prefix: "{svr}", sentinel: { name: "k", sentinels: [{ host: "h", port: 1 }] }, cluster: { nodes: [{ host: "h", port: 2 }] } } });
    expect(both.join("\n")).to.include("at most one of sentinel or cluster");
  });

  it("names every bad field at once", () => {
    const raw = validConfig();
    (raw.chain as Record<string, unknown>).chainId = -1;
    raw.protocols = [{ id: "Bad Id", adapter: "reference", protocol: "0x12", steward: B }];
    const problems = problemsOf(raw);
    expect(problems.some((p) => p.startsWith("chain.chainId:"))).to.equal(true);
    expect(problems.some((p) => p.startsWith("protocols[0].id:"))).to.equal(true);
    expect(problems.some((p) => p.startsWith("protocols[0].protocol:") && p.includes("20-byte hex address"))).to.equal(true);
  });

  it("refuses unknown fields, so a typo is not silently ignored", () => {
    const raw = validConfig();
    (raw.chain as Record<string, unknown>).chainID = 1;
    expect(problemsOf(raw).join()).to.match(/chain: .*chainID/i);
  });

  it("refuses a secret written into the file instead of an environment variable name", () => {
    const raw = validConfig();
    raw.keeper = { signerKeyEnv: Wallet.createRandom().privateKey };
    expect(problemsOf(raw).join()).to.include("keeper.signerKeyEnv: must be the NAME of an environment variable");
  });

  it("refuses duplicate protocol ids and an unknown adapter", () => {
    const raw = validConfig();
    raw.protocols = [...(raw.protocols as unknown[]), ...(raw.protocols as unknown[])];
    expect(problemsOf(raw).join()).to.include('protocols[1].id: duplicate protocol id "ref-perps"');
    const other = validConfig();
    (other.protocols as Record<string, unknown>[])[0].adapter = "compound";
    expect(problemsOf(other).join()).to.include("protocols[0].adapter");
  });
});

describe("secrets from the environment", () => {
  const cfg = parseConfig({ ...validConfig(), chain: { chainId: 1, rpcUrlEnv: "RPC_URL" } });

  it("names the missing variable", () => {
    expect(() => resolveSecrets(cfg, {}, new Redactor(), true)).to.throw(ConfigError, /chain.rpcUrlEnv: environment variable RPC_URL is not set/);
  });

  it("refuses a malformed key and registers the good ones for redaction", () => {
    expect(() => resolveSecrets(cfg, { RPC_URL: "https://x.example/v2/key123456", KEEPER_PRIVATE_KEY: "nope" }, new Redactor(), true)).to.throw(/keeper.signerKeyEnv: the variable does not hold/);
    const key = Wallet.createRandom().privateKey;
    const redactor = new Redactor();
    const secrets = resolveSecrets(cfg, { RPC_URL: "https://x.example/v2/key123456", KEEPER_PRIVATE_KEY: key }, redactor, true);
    expect(secrets.signerKey).to.equal(key);
    expect(redactor.redact(`using ${key} on https://x.example/v2/key123456`)).to.not.include("key123456");
    expect(redactor.redact(`using ${key}`)).to.not.include(key.slice(2));
  });
});
