import { expect } from "chai";
import { ethers } from "hardhat";
import { time } from "@nomicfoundation/hardhat-network-helpers";
import { openBook, syntheticIntents } from "../../../src/embedded/book";
import { startEmbeddedNode, type EmbeddedNode } from "../../../src/embedded/hardhat-node";
import { referenceFixture, type ReferenceFixture } from "../../contracts/fixtures";
import { runCli, writeConfig } from "../../helpers/cli";

describe("svr-keeper status (the real CLI against a served chain)", function () {
  this.timeout(180_000);
  let node: EmbeddedNode;
  let f: ReferenceFixture;
  let config: Record<string, unknown>;

  before(async () => {
    f = await referenceFixture();
    await openBook(f, f.traders, syntheticIntents(f, 30, 3));
    node = await startEmbeddedNode();
    const pools: Record<string, string> = {};
    for (const m of f.markets) pools[m.name] = await m.pool.getAddress();
    config = {
      chain: { chainId: 31337, rpcUrl: node.url },
      protocols: [
        {
          id: "ref-perps",
          adapter: "reference",
          protocol: await f.perps.getAddress(),
          steward: await f.steward.getAddress(),
          multicall: await f.multicall.getAddress(),
          pools,
        },
      ],
    };
  });

  after(async () => node?.close());

  it("prints a table per market with svr, buffer, breaking shocks and oracle age", async () => {
    const r = await runCli(["status", "--config", writeConfig(config)]);
    expect(r.code, r.stderr).to.equal(0);
    for (const header of ["collateral", "notional OI", "svr", "adj svr", "buffer", "breaks ↓", "breaks ↑", "oracle age"]) expect(r.stdout).to.include(header);
    for (const m of ["ETH-USD", "BTC-USD", "SOL-USD", "protocol"]) expect(r.stdout).to.match(new RegExp(`^${m}\\s`, "m"));
    expect(r.stdout).to.include("30 positions");
    expect(r.stdout).to.match(/^Value at Risk — multivariate Student-t \(ν = 4\) log returns over 1 day, σ ETH 5\.0 %, BTC 5\.0 %, SOL 5\.0 %/m);
    for (const header of ["p99 loss", "ES99 loss", "p99 shortfall"]) expect(r.stdout).to.include(header);
  });

  it("prints the same figures as JSON for machines", async () => {
    const r = await runCli(["status", "--config", writeConfig(config), "--json"]);
    expect(r.code, r.stderr).to.equal(0);
    const [report] = JSON.parse(r.stdout);
    expect(report.protocol).to.equal("ref-perps");
    expect(report.markets).to.have.length(3);
    expect(report.metrics.positions).to.equal(30);
    expect(report.metrics.svr).to.be.a("number");
    expect(report.valueAtRisk.cascade).to.deep.equal({ path: "prefix" });
    expect(report.valueAtRisk.markets.map((m: { market: string }) => m.market)).to.deep.equal(["ETH-USD", "BTC-USD", "SOL-USD"]);
    const p = report.valueAtRisk.protocols[0];
    expect(p.shortfall.p99).to.equal(Math.max(0, p.loss.p99 - p.insuranceFund));
  });

  it("takes the Value at Risk model from the protocol's policy, and refuses a bad one naming the field", async () => {
    const withPolicy = (valueAtRisk: unknown) => ({ ...config, protocols: [{ ...(config.protocols as Record<string, unknown>[])[0], policy: { valueAtRisk } }] });
    const r = await runCli(["status", "--config", writeConfig(withPolicy({ samples: 500, seed: 9, volatility: { ETH: 0.1 } })), "--json"]);
    expect(r.code, r.stderr).to.equal(0);
    expect(JSON.parse(r.stdout)[0].valueAtRisk.model).to.match(/σ ETH 10\.0 %.*500 samples, seed 9/);
    const bad = await runCli(["status", "--config", writeConfig(withPolicy({ degreesOfFreedom: 1 }))]);
    expect(bad.code).to.equal(1);
    expect(bad.stderr).to.include("protocols[0].policy.valueAtRisk.degreesOfFreedom: must be > 2");
  });

  it("names an unreachable RPC without printing the secret part of its URL", async () => {
    const secretUrl = "http://127.0.0.1:9/v2/SECRETapiKEY0123456789";
    const cfg = { ...config, chain: { chainId: 31337, rpcUrlEnv: "TEST_RPC_URL" } };
    const r = await runCli(["status", "--config", writeConfig(cfg)], { TEST_RPC_URL: secretUrl });
    expect(r.code).to.equal(1);
    expect(r.stderr).to.include("cannot reach the RPC at http://127.0.0.1:9/[REDACTED]");
    expect(r.stderr + r.stdout).not.to.include("SECRETapiKEY");
  });

  it("names a wrong chain id and a missing contract", async () => {
    const wrongChain = await runCli(["status", "--config", writeConfig({ ...config, chain: { chainId: 1, rpcUrl: node.url } })]);
    expect(wrongChain.code).to.equal(1);
    expect(wrongChain.stderr).to.include("serves chain id 31337, but the config says chain.chainId = 1");
    const protocols = [{ ...(config.protocols as Record<string, unknown>[])[0], steward: "0x000000000000000000000000000000000000bEEF" }];
    const missing = await runCli(["status", "--config", writeConfig({ ...config, protocols })]);
    expect(missing.code).to.equal(1);
    expect(missing.stderr).to.include("no contract at 0x000000000000000000000000000000000000bEEF (steward)");
  });

  it("refuses a config with a bad field, naming it", async () => {
    const bad = await runCli(["status", "--config", writeConfig({ ...config, chain: { chainId: "x", rpcUrl: node.url } })]);
    expect(bad.code).to.equal(1);
    expect(bad.stderr).to.include("chain.chainId");
  });

  it("flags a stale oracle and exits non-zero", async () => {
    await time.increase(3601); // past the one-hour heartbeat, with no new price
    await ethers.provider.send("evm_mine", []);
    const r = await runCli(["status", "--config", writeConfig(config)]);
    expect(r.code).to.equal(2);
    expect(r.stdout).to.include("STALE");
    expect(r.stderr).to.include("stale oracles: ref-perps/ETH-USD, ref-perps/BTC-USD, ref-perps/SOL-USD");
  });
});
