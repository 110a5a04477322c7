import { expect } from "chai";
import { existsSync, mkdtempSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { chromium } from "playwright-core";
import type { Scorecard } from "../../../src/evaluate/evaluate";
import { runCli } from "../../helpers/cli";

const SUITE = join(__dirname, "..", "..", "fixtures", "evaluate-smoke");

/**
 * The scorecard's smoke run: the real CLI on the embedded chain (30 positions), two short
 * scenarios — one a drop on a thinned pool, one an explicit price path — under none and the keeper,
 * at two noise seeds (the drop has noise and is played twice; the price path has none, once).
 * The full suite under all four strategies is `svr-keeper evaluate` itself, not a test.
 */
describe("svr-keeper evaluate (smoke: two short scenarios, two strategies)", function () {
  this.timeout(600_000);
  const outDir = mkdtempSync(join(tmpdir(), "svr-evaluate-"));
  let card: Scorecard;
  let lastLine: Record<string, unknown>;

  before(async () => {
    const r = await runCli(["evaluate", "--suite", SUITE, "--strategies", "none,keeper", "--positions", "30", "--seeds", "2", "--out", outDir, "--json"], {}, 540_000);
    expect(r.code, r.stderr).to.equal(0);
    const lines = r.stdout.trim().split("\n");
    lastLine = JSON.parse(lines[lines.length - 1]) as Record<string, unknown>;
    card = JSON.parse(readFileSync(join(outDir, "scorecard.json"), "utf8")) as Scorecard;
  });

  it("prints the one-line summary last, with the issue's field names", () => {
    for (const k of ["scenarios", "keeper_added_bad_debt", "keeper_calm_forced_liquidation_max_pct", "keeper_dominated", "keeper_dominates_naive_pct", "wall_s"])
      expect(lastLine, k).to.have.property(k);
    expect(lastLine.scenarios).to.equal(2);
    expect(lastLine.seeds).to.equal(2);
    expect(lastLine).to.deep.include({ profile: "permissive", strategies: ["none", "keeper"] });
    expect(lastLine.wall_s as number).to.be.greaterThan(0);
  });

  it("scores each scenario under each strategy from the same chain state, on what really happened on the chain", () => {
    expect(card.scenarios.map((s) => [s.scenario, s.seed])).to.deep.equal([
      ["short-drop", 2],
      ["short-drop-seed103", 103],
      ["short-path", 1],
    ]);
    for (const s of card.scenarios) {
      expect(s.strategies.map((x) => x.strategy)).to.deep.equal(["none", "keeper"]);
      expect(s.startOpenInterestUsd).to.be.greaterThan(1_000_000);
      const none = s.strategies[0];
      expect(none).to.deep.include({ forcedLiquidationUsd: 0, accountsAffected: 0, actionsSent: 0, gasUsed: 0 });
      const passes = card.passes[s.scenario];
      // Both passes started from the same state: the same starting prices and step count.
      expect(passes.none!.steps.length).to.equal(passes.keeper!.steps.length);
      expect(passes.none!.steps[0].effects.prices).to.deep.equal(passes.keeper!.steps[0].effects.prices);
    }
    const drop = card.scenarios[0];
    const [none, keeper] = drop.strategies;
    // A 20 % drop on a thinned pool liquidates without the keeper; the keeper acts through its steward.
    expect(card.passes["short-drop"].none!.final.liquidations).to.be.greaterThan(0);
    expect(none.traderLossUsd).to.be.greaterThan(0);
    expect(keeper.actionsSent).to.equal(card.passes["short-drop"].keeper!.actions.filter((a) => a.outcome === "included").length);
    expect(keeper.actionsSent).to.be.greaterThan(0);
    expect(keeper.gasUsed).to.be.greaterThan(50_000 * keeper.actionsSent);
    // The explicit price path is what the feeds published: BTC 121k → 113k at 120 s is −6.6 % at step 2.
    const btc = card.passes["short-path"].none!.steps.map((st) => st.effects.prices.WBTC);
    expect(btc[2] / btc[0]).to.be.closeTo(113_000 / 121_000, 1e-6);
    // The second seed played other prices on the same path; the spread is taken over both plays.
    const eth = (name: string) => card.passes[name].none!.steps.map((st) => st.effects.prices.WETH);
    expect(eth("short-drop-seed103")).to.not.deep.equal(eth("short-drop"));
    expect(eth("short-drop-seed103")[0]).to.equal(eth("short-drop")[0]);
    const spread = card.acrossSeeds!;
    expect(spread.map((x) => [x.scenario, x.seeds])).to.deep.equal([
      ["short-drop", [2, 103]],
      ["short-path", [1]],
    ]);
    const noneDebt = spread[0].strategies.find((x) => x.strategy === "none")!.badDebtUsd;
    const plays = card.scenarios.slice(0, 2).map((s) => s.strategies[0].badDebtUsd);
    expect(noneDebt).to.deep.equal({ mean: (plays[0] + plays[1]) / 2, min: Math.min(...plays), max: Math.max(...plays) });
    expect(card.provenance.real.join(" ")).to.match(/bytecode/);
    expect(card.provenance.synthetic.join(" ")).to.match(/price paths/);
  });

  it("writes an HTML scorecard whose Pareto panels render a point per strategy in headless Chromium", async () => {
    const html = join(outDir, "scorecard.html");
    expect(existsSync(html)).to.equal(true);
    expect(readFileSync(html, "utf8")).to.not.match(/<script src|<link [^>]*href="http/);
    const browser = await chromium.launch({ executablePath: "/usr/bin/chromium", args: ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking"] });
    try {
      const page = await browser.newPage();
      const errors: string[] = [];
      page.on("pageerror", (e) => errors.push(e.message));
      page.on("request", (r) => {
        if (!r.url().startsWith("file:")) errors.push(`fetched ${r.url()}`);
      });
      await page.goto(`file://${html}`);
      const panels = await page.$$eval("svg.pareto", (svgs) =>
        svgs.map((s) => {
          const box = s.getBoundingClientRect();
          return {
            scenario: s.getAttribute("data-scenario"),
            width: box.width,
            points: [...s.querySelectorAll("circle.point")].map((c) => ({
              strategy: c.getAttribute("data-strategy"),
              cx: Number(c.getAttribute("cx")),
              cy: Number(c.getAttribute("cy")),
              w: c.getBoundingClientRect().width,
            })),
          };
        }),
      );
      expect(panels.map((p) => p.scenario)).to.deep.equal(["short-drop", "short-drop-seed103", "short-path"]);
      for (const p of panels) {
        expect(p.width).to.be.greaterThan(100);
        expect(p.points.map((x) => x.strategy)).to.deep.equal(["none", "keeper"]);
        for (const pt of p.points) {
          expect(Number.isFinite(pt.cx) && Number.isFinite(pt.cy)).to.equal(true);
          expect(pt.w).to.be.greaterThan(0);
        }
      }
      expect(await page.$$eval("#summary tr", (rows) => rows.length)).to.equal(3); // header + a row per strategy
      // The spread over seeds: a row per scenario and strategy, the keeper's with its verdict.
      const seedRows = await page.$$eval("#seeds tr", (rows) => rows.slice(1).map((r) => [...r.querySelectorAll("td")].map((td) => td.textContent ?? "")));
      expect(seedRows.map((r) => r.slice(0, 3))).to.deep.equal([
        ["short-drop", "2 103", "none"],
        ["short-drop", "2 103", "keeper"],
        ["short-path", "1", "none"],
        ["short-path", "1", "keeper"],
      ]);
      expect(seedRows[1][5]).to.match(/dominated on \d\/2 seeds/);
      expect(await page.textContent("body")).to.not.include("NaN");
      const embedded = JSON.parse(await page.$eval("#scorecard-data", (e) => e.textContent ?? "")) as Omit<Scorecard, "passes">;
      expect(embedded.summary).to.deep.equal(lastLine);
      expect(errors).to.deep.equal([]);
    } finally {
      await browser.close();
    }
  });

  it("refuses a scenario written for another chain: betas naming an asset the embedded chain does not price (the replica's scenarios)", async () => {
    const r = await runCli(["evaluate", "--suite", join(__dirname, "..", "..", "..", "scenarios", "replica"), "--only", "replica-crash", "--strategies", "none", "--positions", "3", "--out", outDir]);
    expect(r.code).to.equal(1);
    expect(r.stderr).to.match(/scenario replica-crash: betas\.wstETH names an asset no rehearsed protocol prices \(they price DAI, USDC, WBTC, WETH, WSOL\)/);
  });

  it("refuses --only naming a scenario the suite does not have, before starting a chain", async () => {
    const r = await runCli(["evaluate", "--suite", SUITE, "--only", "short-drop,replica-crash"]);
    expect(r.code).to.equal(1);
    expect(r.stderr).to.include("--only short-drop,replica-crash: no scenario replica-crash in");
    expect(r.stderr).to.not.include("embedded chain at");
  });

  it("refuses a strategy list it cannot play, naming what is wrong, before starting a chain", async () => {
    const r = await runCli(["evaluate", "--suite", SUITE, "--strategies", "static,clever"]);
    expect(r.code).to.equal(1);
    expect(r.stderr).to.include("--strategies static,clever: no strategy clever");
    expect(r.stderr).to.not.include("embedded chain at");
  });
});
