import { expect } from "chai";
import type { ChildProcess } from "node:child_process";
import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { JsonRpcProvider } from "ethers";
import type { RehearsalReport } from "../../../src/rehearse/rehearse";
import { deployReplicaWorld } from "../../../src/rehearse/targets";
import { runCli, writeConfig } from "../../helpers/cli";
import { startUpstream } from "../../helpers/upstream";

/**
 * The shipped replica-crash (every asset's beta, noise, seed, the same −30 % depth) on 9 steps instead
 * of 21: each step costs two passes of keeper and bot work on the fork, and the assertions below ask
 * for liquidations and included lending actions, which the crash reaches just as well in 6 steps down.
 */
function shortReplicaCrash(dir: string): string {
  const shipped = JSON.parse(readFileSync(join(__dirname, "../../../scenarios/replica/replica-crash.json"), "utf8")) as { name: string; factor: { steps: number; to: number }[] };
  const file = join(dir, "replica-crash-short.json");
  const factor = [
    { steps: 1, to: 0 },
    { steps: 6, to: shipped.factor[1].to },
    { steps: 2, to: shipped.factor[1].to },
  ];
  writeFileSync(file, JSON.stringify({ ...shipped, name: `${shipped.name}-short`, factor }));
  return file;
}

describe("a fork of the Aave V3 Ethereum replica rehearses a crash: the bot liquidates borrowers, the keeper acts through the steward", function () {
  this.timeout(1_200_000);
  let upstream: { url: string; child: ChildProcess };
  let provider: JsonRpcProvider;
  let report: RehearsalReport;

  before(async () => {
    const t0 = Date.now();
    upstream = await startUpstream();
    provider = new JsonRpcProvider(upstream.url, undefined, { staticNetwork: true, pollingInterval: 50 });
    const { targets } = await deployReplicaWorld(provider, { positions: 16, seed: 5 });
    const [aave] = targets;
    if (aave.kind !== "aaveV3") throw new Error("unexpected target");
    const config = writeConfig({
      chain: { chainId: 31337, rpcUrl: upstream.url },
      protocols: [
        {
          id: "aave-replica",
          adapter: "aaveV3",
          addressesProvider: aave.addressesProvider,
          dataProvider: aave.dataProvider,
          steward: "0x0000000000000000000000000000000000000001",
          multicall: aave.multicall,
          accounts: aave.accounts,
        },
      ],
    });
    const out = mkdtempSync(join(tmpdir(), "svr-replica-"));
    const t1 = Date.now();
    const run = await runCli(["rehearse", "--config", config, "--block", String(await provider.getBlockNumber()), "--scenario", shortReplicaCrash(out), "--out", out, "--json"], {}, 1_000_000);
    expect(run.code, run.stderr.slice(-3000)).to.equal(0);
    report = JSON.parse(run.stdout) as RehearsalReport;
    console.log(`      replica deployed in ${((t1 - t0) / 1000).toFixed(0)} s; rehearsal ${((Date.now() - t1) / 1000).toFixed(0)} s (its own wall time ${(report.wallMs / 1000).toFixed(0)} s)`);
  });

  after(async () => {
    provider?.destroy();
    upstream?.child.kill("SIGKILL");
  });

  it("liquidates Aave borrowers through the real Pool in both passes and reports them per protocol", () => {
    for (const pass of [report.counterfactual, report.keeperRun]) {
      const aave = pass.final.protocols.find((p) => p.protocol === "aave-replica")!;
      expect(Object.keys(aave).sort()).to.deep.equal(["badDebtUsd", "liquidatedNotionalUsd", "liquidations", "protocol"]);
      expect(aave.liquidations, pass.pass).to.be.greaterThan(0);
      expect(aave.liquidatedNotionalUsd, pass.pass).to.be.greaterThan(0);
      expect(aave.badDebtUsd).to.be.at.least(0);
    }
  });

  it("acts on Aave through the steward: lending actions included on the fork", () => {
    const included = report.keeperRun.actions.filter((a) => a.outcome === "included" && a.protocol === "aave-replica");
    expect(included.length, JSON.stringify(report.keeperRun.actions.slice(0, 5))).to.be.greaterThan(0);
    expect(included.every((a) => a.kind === "setReserveRisk" || a.kind === "setReserveCaps")).to.equal(true);
  });
});
