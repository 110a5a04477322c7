import { expect } from "chai";
import type { ChildProcess } from "node:child_process";
import { ethers } from "hardhat";
import { Wallet } from "ethers";
import Redis from "ioredis";
import { openBook, syntheticIntents } from "../../../src/embedded/book";
import { startEmbeddedNode, type EmbeddedNode } from "../../../src/embedded/hardhat-node";
import { referenceFixture, type ReferenceFixture } from "../../contracts/fixtures";
import { referenceProtocolEntry, spawnKeeper, writeConfig } from "../../helpers/cli";
import { freePort } from "../../helpers/redis-server";

describe("svr-keeper run (a real keeper process, real Redis, a served chain)", function () {
  this.timeout(120_000);
  let node: EmbeddedNode;
  let f: ReferenceFixture;
  let child: ChildProcess | undefined;
  const keeperKey = Wallet.createRandom().privateKey;
  const rpcSecret = "pathSECRETtoken0123456789";
  const prefix = `svrrun${process.pid}${Date.now()}`;

  before(async () => {
    f = await referenceFixture();
    await openBook(f, f.traders, syntheticIntents(f, 60, 7));
    const keeper = new Wallet(keeperKey);
    await ethers.provider.send("hardhat_setBalance", [keeper.address, "0x3635C9ADC5DEA00000"]);
    await (await f.steward.setKeeper(keeper.address, true)).wait();
    node = await startEmbeddedNode();
  });

  after(async () => {
    child?.kill("SIGKILL");
    await node?.close();
    const redis = new Redis();
    const keys = await redis.keys(`${prefix}*`);
    if (keys.length) await redis.del(...keys);
    redis.disconnect();
  });

  it("observes, acts through the steward, serves metrics, keeps secrets out of its logs, and stops gracefully", async () => {
    const metricsPort = await freePort();
    const config = writeConfig({
      chain: { chainId: 31337, rpcUrlEnv: "TEST_RPC_URL" },
      protocols: [await referenceProtocolEntry(f, { observe: { intervalSeconds: 0.5 }, policy: { defaults: { confirmations: 1 } } })],
      keeper: { signerKeyEnv: "TEST_KEEPER_KEY", confirmations: 1, maxFeePerGasGwei: 300, stuckAfterBlocks: 3 },
      redis: { url: "redis://127.0.0.1:6379", prefix },
      metrics: { port: metricsPort },
    });
    const keeper = spawnKeeper(config, { TEST_RPC_URL: `${node.url}/${rpcSecret}`, TEST_KEEPER_KEY: keeperKey });
    child = keeper.child;

    // The keeper acts: the steward records an executed action from it.
    const filter = f.steward.filters.ActionExecuted();
    const start = Date.now();
    let executed: unknown[] = [];
    while (executed.length === 0 && Date.now() - start < 60_000) {
      executed = await f.steward.queryFilter(filter);
      await new Promise((r) => setTimeout(r, 250));
    }
    expect(executed.length, keeper.output().slice(-3000)).to.be.greaterThan(0);

    const body = await (await fetch(`http://127.0.0.1:${metricsPort}/metrics`)).text();
    expect(body).to.match(/svr_keeper_svr\{protocol="ref-perps",market="ETH-USD"\} [0-9.]+/);
    expect(body).to.match(/svr_keeper_actions_total\{protocol="ref-perps",kind="[a-zA-Z]+",outcome="included"\} [1-9]/);
    expect(body).to.include("svr_keeper_queue_depth");

    const exited = new Promise<number | null>((r) => child!.once("exit", (code) => r(code)));
    child.kill("SIGTERM");
    expect(await exited).to.equal(0);

    // JSON log lines that carry the protocol and block; no secret anywhere.
    const logs = keeper.output();
    const lines = logs.split("\n").filter((l) => l.startsWith("{"));
    expect(lines.some((l) => JSON.parse(l).protocol === "ref-perps" && typeof JSON.parse(l).block === "number")).to.equal(true);
    expect(lines.some((l) => JSON.parse(l).txHash)).to.equal(true);
    expect(logs).to.not.include(keeperKey.slice(2));
    expect(logs).to.not.include(rpcSecret);
  });

  it("takes an explicit --log-level warn over the config's log.level", async () => {
    const metricsPort = await freePort();
    const config = writeConfig({
      chain: { chainId: 31337, rpcUrlEnv: "TEST_RPC_URL" },
      protocols: [await referenceProtocolEntry(f, { observe: { intervalSeconds: 0.5 } })],
      keeper: { signerKeyEnv: "TEST_KEEPER_KEY", confirmations: 1 },
      redis: { url: "redis://127.0.0.1:6379", prefix: `${prefix}w` },
      metrics: { port: metricsPort },
      log: { level: "info" },
    });
    const keeper = spawnKeeper(config, { TEST_RPC_URL: node.url, TEST_KEEPER_KEY: keeperKey }, ["--log-level", "warn"]);
    child = keeper.child;
    const start = Date.now();
    let up = false;
    while (!up && Date.now() - start < 30_000) {
      up = await fetch(`http://127.0.0.1:${metricsPort}/healthz`).then(
        (r) => r.ok,
        () => false,
      );
      if (!up) await new Promise((r) => setTimeout(r, 200));
    }
    expect(up, keeper.output().slice(-2000)).to.equal(true);
    await new Promise((r) => setTimeout(r, 1500)); // a few observations, which log at info
    const exited = new Promise<number | null>((r) => child!.once("exit", (code) => r(code)));
    child.kill("SIGTERM");
    expect(await exited).to.equal(0);
    const levels = keeper
      .output()
      .split("\n")
      .filter((l) => l.startsWith("{"))
      .map((l) => JSON.parse(l).level as string);
    expect(levels.filter((l) => l === "info" || l === "debug")).to.deep.equal([]);
  });
});
