import { expect } from "chai";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { AaveV3Ethereum } from "@bgd-labs/aave-address-book";
import type { RehearsalReport } from "../../../src/rehearse/rehearse";
import { runCli, writeConfig } from "../../helpers/cli";

/** A block of 2024-10 (Ethereum mainnet): pinned, so a rerun forks the same state. */
const PINNED_BLOCK = 21_000_000;

describe("svr-keeper rehearse on a fork of Ethereum mainnet (live Aave V3)", function () {
  this.timeout(900_000);

  before(function () {
    if (!process.env.MAINNET_RPC_URL) {
      console.log("      skipped: set MAINNET_RPC_URL (an archive-capable Ethereum JSON-RPC URL) to rehearse against the live Aave V3 deployment");
      this.skip();
    }
  });

  it("discovers real borrowers from the Pool's events, installs a steward in front of Aave V3 at a pinned block, drives its oracle and acts through the steward", async () => {
    const config = writeConfig({
      chain: { chainId: 1, rpcUrlEnv: "MAINNET_RPC_URL" },
      protocols: [
        {
          id: "aave-v3-ethereum",
          adapter: "aaveV3",
          addressesProvider: AaveV3Ethereum.POOL_ADDRESSES_PROVIDER,
          dataProvider: AaveV3Ethereum.AAVE_PROTOCOL_DATA_PROVIDER,
          steward: "0x0000000000000000000000000000000000000001",
          accounts: [],
          // Real borrowers: every account the Pool's events name in the 300 blocks (about an hour) before the pin.
          discovery: { startBlock: PINNED_BLOCK - 300, pageSize: 100 },
          policy: { defaults: { confirmations: 1 } },
        },
      ],
    });
    // Prices only: live Aave has no pools or positions of the rehearsal's own to open.
    const scenario = join(mkdtempSync(join(tmpdir(), "svr-scenario-")), "mainnet-crash.json");
    writeFileSync(scenario, JSON.stringify({ name: "mainnet-crash", description: "ETH and BTC fall 40 % over 10 blocks", factor: [{ steps: 10, to: -0.4 }], betas: { USDC: 0, USDT: 0, DAI: 0 } }));
    const out = mkdtempSync(join(tmpdir(), "svr-rehearsal-"));
    const run = await runCli(["rehearse", "--config", config, "--block", String(PINNED_BLOCK), "--scenario", scenario, "--out", out, "--json"], {}, 880_000);
    expect(run.code, run.stderr.slice(-3000)).to.equal(0);
    const report = JSON.parse(run.stdout) as RehearsalReport;
    expect(report.chain.fork?.block).to.equal(PINNED_BLOCK);
    expect(report.chain.fork?.url).to.not.include(process.env.MAINNET_RPC_URL!.split("/").pop()!); // the key is redacted
    expect(report.before[0].protocol).to.equal("aave-v3-ethereum");
    expect(Object.keys(report.before[0].params).length).to.be.greaterThan(5);
    // The book is real (discovered), so the crash moves it, and the keeper acts on it through the steward.
    expect(report.counterfactual.steps[0].protocols[0].svr).to.be.a("number");
    const included = report.keeperRun.actions.filter((a) => a.outcome === "included");
    expect(included.length, JSON.stringify(report.keeperRun.actions.slice(0, 5))).to.be.greaterThan(0);
    expect(included.every((a) => a.kind === "setReserveRisk" || a.kind === "setReserveCaps")).to.equal(true);
  });
});
