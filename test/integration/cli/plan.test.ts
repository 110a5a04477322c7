import { expect } from "chai";
import { ethers } from "hardhat";
import { openBook, syntheticIntents } from "../../../src/embedded/book";
import { startEmbeddedNode, type EmbeddedNode } from "../../../src/embedded/hardhat-node";
import { keccakText } from "../../../src/policy";
import { referenceFixture, type ReferenceFixture } from "../../contracts/fixtures";
import { runCli, writeConfig } from "../../helpers/cli";

describe("svr-keeper plan (dry run against a served chain)", function () {
  this.timeout(180_000);
  let node: EmbeddedNode;
  let f: ReferenceFixture;
  let configPath: string;

  before(async () => {
    f = await referenceFixture();
    await openBook(f, f.traders, syntheticIntents(f, 60, 7));
    node = await startEmbeddedNode();
    const pools: Record<string, string> = {};
    for (const m of f.markets) pools[m.name] = await m.pool.getAddress();
    configPath = writeConfig({
      chain: { chainId: 31337, rpcUrl: node.url },
      protocols: [{ id: "ref-perps", adapter: "reference", protocol: await f.perps.getAddress(), steward: await f.steward.getAddress(), multicall: await f.multicall.getAddress(), pools }],
    });
  });

  after(async () => node?.close());

  it("prints actions with reasons, expected metrics, calldata and a passing simulation, and changes nothing", async () => {
    const before = await ethers.provider.getBlockNumber();
    const paramsBefore = await Promise.all(f.markets.map((m) => f.perps.marginRatios(m.id)));
    const r = await runCli(["plan", "--config", configPath, "--from", await f.keeper.getAddress(), "--json"]);
    expect(r.code, r.stderr).to.equal(0);
    const [{ plan, calls }] = JSON.parse(r.stdout);
    expect(plan.actions.length, JSON.stringify(plan.deferred)).to.be.greaterThan(0);
    for (const [i, a] of plan.actions.entries()) {
      expect(a.reason.metric).to.be.a("string");
      expect(a.provenance.evidenceHash).to.equal(plan.evidence.hash);
      expect(calls[i].to).to.equal(await f.steward.getAddress());
      expect(calls[i].data).to.match(/^0x[0-9a-f]+$/);
      expect(calls[i].simulation.status, JSON.stringify(calls[i].simulation)).to.equal("ok");
    }
    // Value at Risk, per protocol and per market, with the model it was sampled from.
    expect(plan.valueAtRisk.model).to.match(/^multivariate Student-t \(ν = 4\).*10000 samples, seed 1/);
    expect(plan.valueAtRisk.protocols[0].loss.p99).to.be.a("number");
    for (const m of plan.markets) expect(m.valueAtRisk.loss.es99).to.be.at.least(m.valueAtRisk.loss.p99);
    // Anyone can recompute the evidence hash from the printed encoding.
    expect(keccakText(plan.evidence.encoding)).to.equal(plan.evidence.hash);
    expect(JSON.parse(plan.evidence.encoding).block.number).to.equal(plan.block);
    // A dry run: no block mined, no parameter moved.
    expect(await ethers.provider.getBlockNumber()).to.equal(before);
    expect(await Promise.all(f.markets.map((m) => f.perps.marginRatios(m.id)))).to.deep.equal(paramsBefore);
  });

  it("names the steward's custom error when the simulated sender may not act", async () => {
    const r = await runCli(["plan", "--config", configPath, "--from", await f.stranger.getAddress()]);
    expect(r.code, r.stderr).to.equal(0);
    expect(r.stdout).to.match(/^Value at Risk — multivariate Student-t/m);
    expect(r.stdout).to.include(`REVERTS NotKeeper(caller=${await f.stranger.getAddress()})`);
  });

  it("asks for the keeper's address when it has none", async () => {
    const r = await runCli(["plan", "--config", configPath], { KEEPER_PRIVATE_KEY: "" });
    expect(r.code).to.equal(1);
    expect(r.stderr).to.include("pass --from or set KEEPER_PRIVATE_KEY");
  });
});
