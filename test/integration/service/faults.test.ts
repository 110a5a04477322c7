import { expect } from "chai";
import { ethers } from "hardhat";
import { faultGoalsMet, runFaults } from "../../../scripts/reliability/faults-harness";

/**
 * The short fault matrix (the whole one: npm run reliability:faults): a reorg before confirmation,
 * one after it (the keeper's transaction goes back to the pool with its block: its own action, not
 * another's change), and a Sentinel failover with an action in flight, each against a real keeper
 * process with a Redis of its own. A Redis that lost its data is in the whole matrix; its repair
 * is tested piece by piece in self-heal.test.ts.
 */
describe("fault matrix, short (real keeper processes, own Redis and Sentinel, a served chain)", function () {
  this.timeout(240_000);

  it("loses and duplicates nothing, brings a reorged action back within 2 blocks, follows the new primary within 3 intervals, and alerts on each, never as another's change", async () => {
    const results = await runFaults({ ethers, faults: ["reorg-before-confirmation", "reorg-after-confirmation", "sentinel-failover"] });
    for (const r of results) console.log(`      ${JSON.stringify(r.figures)}`);
    const [reorg, reorgAfter, failover] = results;
    for (const r of results) {
      expect(faultGoalsMet(r), r.figures.fault).to.deep.equal([]);
      expect(r.figures.keys_executed, `${r.figures.fault}: the keeper acted`).to.be.greaterThan(0);
    }
    expect(reorg.figures.alerts.reorg, "the reorg is alerted").to.be.at.least(1);
    expect(reorg.figures.txs_sent, "the reorged transaction and its replacement").to.equal(reorg.figures.keys_executed + 1);
    expect(reorg.reorgBackInBlocks).to.be.at.most(2);
    expect(reorgAfter.figures.alerts.reorg, "the reorg after confirmation is alerted").to.be.at.least(1);
    expect(reorgAfter.figures.alerts.changedByOther, "its own transaction back in the pool is not another's change").to.equal(undefined);
    expect(failover.figures.recovery_s).to.be.at.most(3);
    expect(failover.figures.alerts.workerError, "the lost connection is alerted").to.be.at.least(1);
  });
});
