import { expect } from "chai";
import type { ChildProcess } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Contract, JsonRpcProvider } from "ethers";
import { chromium } from "playwright-core";
import { ourAbi } from "../../../src/abi";
import { textToMarketId } from "../../../src/protocols/units";
import type { RehearsalReport } from "../../../src/rehearse/rehearse";
import { deployEmbeddedWorld } from "../../../src/rehearse/targets";
import { runCli, writeConfig } from "../../helpers/cli";
import { startUpstream } from "../../helpers/upstream";

describe("svr-keeper rehearse against a fork of a separate chain", function () {
  this.timeout(400_000);
  let upstream: { url: string; child: ChildProcess };
  let provider: JsonRpcProvider;
  let report: RehearsalReport;
  let outDir: string;
  let pinned: number;
  let perps: Contract;

  before(async () => {
    upstream = await startUpstream();
    provider = new JsonRpcProvider(upstream.url, undefined, { staticNetwork: true, pollingInterval: 50 });
    const { targets } = await deployEmbeddedWorld(provider, { positions: 30, seed: 11 });
    const ref = targets.find((t) => t.kind === "reference")!;
    const aave = targets.find((t) => t.kind === "aaveV3")!;
    if (ref.kind !== "reference" || aave.kind !== "aaveV3") throw new Error("unexpected targets");
    pinned = await provider.getBlockNumber();

    // After the pinned block, upstream governance changes ETH's margins: the fork must not see it.
    perps = new Contract(ref.perps, ourAbi("ReferencePerps"), await provider.getSigner(0));
    await (await perps.setRiskAdmin(await (await provider.getSigner(0)).getAddress())).wait();
    await (await perps.setMarginRatios(textToMarketId("ETH-USD"), 3000, 1500)).wait();

    const config = writeConfig({
      chain: { chainId: 31337, rpcUrl: upstream.url },
      protocols: [
        { id: "reference-perps", adapter: "reference", protocol: ref.perps, steward: "0x0000000000000000000000000000000000000001", multicall: ref.multicall, pools: ref.pools },
        {
          id: "aave-v3",
          adapter: "aaveV3",
          addressesProvider: aave.addressesProvider,
          dataProvider: aave.dataProvider,
          steward: "0x0000000000000000000000000000000000000001",
          multicall: aave.multicall,
          accounts: aave.accounts,
        },
      ],
    });
    outDir = mkdtempSync(join(tmpdir(), "svr-rehearsal-"));
    const run = await runCli(["rehearse", "--config", config, "--block", String(pinned), "--scenario", "crash-thin-liquidity", "--out", outDir, "--json"], {}, 380_000);
    expect(run.code, run.stderr.slice(-3000)).to.equal(0);
    report = JSON.parse(run.stdout) as RehearsalReport;
  });

  after(async () => {
    provider?.destroy();
    upstream?.child.kill("SIGKILL");
  });

  it("sees the upstream state at the pinned block, not what came after", () => {
    expect(report.chain.fork?.block).to.equal(pinned);
    const before = report.before.find((p) => p.protocol === "reference-perps")!;
    expect(before.params["ETH-USD"].IMR).to.equal("1000"); // upstream says 3000 since the block after
    expect(before.params["ETH-USD"].MMR).to.equal("500");
    expect(report.before.find((p) => p.protocol === "aave-v3")!.svr).to.be.a("number");
    expect(report.governanceProfile.name, "the profile the stewards were bounded by").to.equal("permissive");
  });

  it("reports Value at Risk before and after, and at every planned step of both passes", () => {
    for (const picture of [...report.before, ...report.after]) {
      expect(picture.valueAtRisk!.model, picture.protocol).to.match(/^multivariate Student-t/);
      expect(picture.valueAtRisk!.protocols[0].shortfall.es99).to.be.at.least(picture.valueAtRisk!.protocols[0].shortfall.p99);
    }
    for (const pass of [report.counterfactual, report.keeperRun]) {
      const planned = pass.steps.flatMap((s) => s.protocols).filter((p) => p.status === "planned");
      expect(planned.length).to.be.greaterThan(0);
      for (const p of planned) expect(p.valueAtRiskP99ShortfallUsd, `${pass.pass} ${p.protocol} block ${p.block}`).to.be.a("number");
    }
  });

  it("lands the keeper's actions on the fork only", async () => {
    const included = report.keeperRun.actions.filter((a) => a.outcome === "included");
    expect(included.length).to.be.greaterThan(0);
    for (const s of report.stewards) expect(await provider.getCode(s.steward), `steward ${s.steward} exists upstream`).to.equal("0x");
    for (const a of included) expect(await provider.getTransaction(a.txHash!), `tx ${a.txHash} upstream`).to.equal(null);
    // No upstream block after the pin carries a transaction of the keeper or of the rehearsal's actors.
    for (let n = pinned + 1; n <= (await provider.getBlockNumber()); n++) {
      const block = await provider.getBlock(n, true);
      for (const tx of block!.prefetchedTransactions) expect(tx.from.toLowerCase(), `block ${n}`).to.not.equal(report.keeper.toLowerCase());
    }
    const [imr, mmr] = await perps.marginRatios(textToMarketId("ETH-USD"));
    expect([imr, mmr]).to.deep.equal([3000n, 1500n]);
    expect(await perps.riskAdmin()).to.equal(await (await provider.getSigner(0)).getAddress());
  });

  it("never leaves more bad debt with the keeper than without it on the cascade scenario", () => {
    const without = report.counterfactual.final.badDebtUsd;
    const withKeeper = report.keeperRun.final.badDebtUsd;
    console.log(`      bad debt: without the keeper $${without.toFixed(0)}, with it $${withKeeper.toFixed(0)}; ${report.keeperRun.actions.length} actions; ${(report.wallMs / 1000).toFixed(1)} s`);
    expect(without).to.be.greaterThan(0);
    // To the cent: the two passes liquidate in a different order, and on-chain rounding leaves sub-cent dust (the scorecard's tie rule).
    expect(withKeeper).to.be.at.most(without + 0.01);
    expect(report.counterfactual.actions.every((a) => a.outcome === "not sent")).to.equal(true);
  });

  it("writes an HTML report whose charts render with data in headless Chromium", async () => {
    const html = join(outDir, "report.html");
    expect(existsSync(html)).to.equal(true);
    expect(readFileSync(html, "utf8")).to.not.match(/<script src|<link [^>]*href="http/); // self-contained
    const browser = await chromium.launch({ executablePath: "/usr/bin/chromium", args: ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking"] });
    try {
      const page = await browser.newPage();
      const errors: string[] = [];
      page.on("pageerror", (e) => errors.push(e.message));
      page.on("request", (r) => {
        if (!r.url().startsWith("file:")) errors.push(`fetched ${r.url()}`);
      });
      await page.goto(`file://${html}`);
      expect(await page.title()).to.include("crash-thin-liquidity");
      expect(await page.$$eval("td", (tds) => tds.filter((t) => t.textContent === "p99 shortfall (Value at Risk)").length)).to.equal(2);
      expect(await page.content()).to.match(/Value at Risk: multivariate Student-t[^<]*a synthetic model over the real book/);
      const charts = await page.$$eval("svg[data-chart]", (svgs) =>
        svgs.map((s) => {
          const box = s.getBoundingClientRect();
          return {
            id: s.getAttribute("data-chart"),
            width: box.width,
            height: box.height,
            series: [...s.querySelectorAll("path[data-series]")].map((p) => ({ points: Number(p.getAttribute("data-points")), d: p.getAttribute("d") ?? "" })),
            markers: s.querySelectorAll(".action-marker").length,
          };
        }),
      );
      for (const id of ["svr-reference-perps", "stress-reference-perps", "debt-reference-perps", "svr-aave-v3"]) {
        const c = charts.find((x) => x.id === id);
        expect(c, `chart ${id}`).to.not.equal(undefined);
        expect(c!.width).to.be.greaterThan(100);
        expect(c!.height).to.be.greaterThan(50);
        expect(c!.series.length).to.equal(2);
        for (const s of c!.series) {
          expect(s.points).to.be.greaterThan(5);
          expect(s.d).to.match(/^M[0-9.]+,[0-9.]+L/);
          expect(s.d).to.not.include("NaN");
        }
      }
      expect(charts.find((x) => x.id === "svr-reference-perps")!.markers).to.equal(report.keeperRun.actions.filter((a) => a.protocol === "reference-perps").length);
      // The transactions table fits the page: long hashes wrap instead of pushing it wider than the body.
      const fit = await page.$eval(".txs", (t) => ({ table: t.getBoundingClientRect().right, body: t.ownerDocument.body.getBoundingClientRect().right }));
      expect(fit.table).to.be.at.most(fit.body + 1);
      const embedded = JSON.parse(await page.$eval("#report-data", (e) => e.textContent ?? "")) as RehearsalReport;
      expect(embedded.keeperRun.final.badDebtUsd).to.equal(report.keeperRun.final.badDebtUsd);
      expect(errors).to.deep.equal([]);
    } finally {
      await browser.close();
    }
  });
});
