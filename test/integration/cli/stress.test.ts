import { expect } from "chai";
import { openBook, syntheticIntents } from "../../../src/embedded/book";
import { startEmbeddedNode, type EmbeddedNode } from "../../../src/embedded/hardhat-node";
import { referenceFixture } from "../../contracts/fixtures";
import { referenceProtocolEntry, runCli, writeConfig } from "../../helpers/cli";

interface Row {
  delta: number;
  svr: number | null;
  liquidatedNotionalUsd: number;
  shortfallUsd: number;
}

describe("svr-keeper stress (the real CLI against a served chain)", function () {
  this.timeout(180_000);
  let node: EmbeddedNode;
  let configPath: string;

  before(async () => {
    const f = await referenceFixture();
    await openBook(f, f.traders, syntheticIntents(f, 40, 5));
    node = await startEmbeddedNode();
    configPath = writeConfig({ chain: { chainId: 31337, rpcUrl: node.url }, protocols: [await referenceProtocolEntry(f)] });
  });

  after(async () => node?.close());

  it("prints the grid from −50 % to +50 % with breaking shocks, and says what is real", async () => {
    const r = await runCli(["stress", "--config", configPath, "--json"]);
    expect(r.code, r.stderr).to.equal(0);
    const [out] = JSON.parse(r.stdout) as { protocol: string; source: string; breakingShock: { down: number | null }; grid: Row[] }[];
    expect(out.protocol).to.equal("ref-perps");
    expect(out.source).to.include("real");
    expect(out.grid).to.have.length(101);
    expect(out.grid[0].delta).to.be.closeTo(-0.5, 1e-9);
    // A real cascade per move: a 50 % fall liquidates, no move liquidates less than it.
    const noMove = out.grid.find((g) => Math.abs(g.delta) < 1e-9)!;
    expect(out.grid[0].liquidatedNotionalUsd).to.be.greaterThan(noMove.liquidatedNotionalUsd);
    const text = await runCli(["stress", "--config", configPath]);
    expect(text.stdout).to.include("breaking shock: down");
  });

  it("runs one scenario vector with --shock, and refuses an asset the protocol does not have", async () => {
    const r = await runCli(["stress", "--config", configPath, "--shock", "ETH=-0.4,BTC=-0.3", "--json"]);
    expect(r.code, r.stderr).to.equal(0);
    const [out] = JSON.parse(r.stdout) as { scenario: Row & { shocks: Record<string, number> } }[];
    expect(out.scenario.shocks).to.deep.equal({ ETH: -0.4, BTC: -0.3 });
    expect(out.scenario.liquidatedNotionalUsd).to.be.greaterThan(0);
    const bad = await runCli(["stress", "--config", configPath, "--shock", "DOGE=-0.5"]);
    expect(bad.code).to.equal(1);
    expect(bad.stderr).to.include("has no asset DOGE");
    const malformed = await runCli(["stress", "--config", configPath, "--shock", "ETH:-0.5"]);
    expect(malformed.stderr).to.include("is not ASSET=fraction");
  });
});
