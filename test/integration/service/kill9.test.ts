import { expect } from "chai";
import { ethers } from "hardhat";
import { formatFigures, runKill9 } from "../../../scripts/reliability/kill9-harness";

describe("kill -9 at every point of a send (real keeper processes, real Redis, a served chain)", function () {
  this.timeout(300_000); // seven keeper processes start one after another: ts-node start-up dominates on a loaded machine

  it("lands every queued action exactly once through six kills, two at each point", async () => {
    const figures = await runKill9({
      ethers,
      actions: 8,
      // Each point twice, in an order where every point follows every other once at least.
      crash: { sequence: ["afterSign", "beforeSign", "afterBroadcast", "afterSign", "afterBroadcast", "beforeSign"] },
      lockDurationMs: 1000,
      stalledIntervalMs: 300,
    });
    console.log(formatFigures(figures).replace(/^/gm, "      "));
    expect(figures.killsByPoint).to.deep.equal({ beforeSign: 2, afterSign: 2, afterBroadcast: 2 });
    expect(figures.lost, "actions never executed").to.equal(0);
    expect(figures.duplicates, "second executions or second transactions").to.equal(0);
    expect(figures.landedOnce).to.equal(8);
    expect(figures.keeperTransactions).to.equal(8);
    expect(figures.failedJobs).to.equal(0);
    expect(figures.unexpected).to.equal(0);
    expect(figures.changedByOther, "own landed actions mistaken for someone else's change").to.equal(0);
    // The two processes killed after signing and the two killed after broadcasting left transactions that the next finished.
    expect(figures.resumed + figures.alreadyExecuted).to.be.at.least(4);
  });
});
