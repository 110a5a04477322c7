import type { Command } from "commander";
import { JsonRpcProvider } from "ethers";
import { SingleBar, Presets } from "cli-progress";
import { openBook, syntheticIntents } from "../../embedded/book";
import { startEmbeddedNode } from "../../embedded/hardhat-node";
import { deployReferenceSystem } from "../../embedded/reference-system";
import { assess } from "../../keeper/assess";
import { AaveV3Adapter } from "../../protocols/aave/adapter";
import { deployAaveMarket, DEMO_LOANS, openAaveBook } from "../../protocols/aave/deploy";
import { ReferencePerpsAdapter } from "../../protocols/reference/adapter";
import { stressGrid } from "../../risk";
import { headOf } from "../../rpc/reads";
import { percent, ratio, renderTable, usd } from "../../report/format";
import { renderAssessment } from "./status";

/**
 * The embedded demo: an in-process Hardhat chain, the reference protocol and its steward deployed,
 * a realistic book opened by twelve traders, a real Aave V3 market with lenders and borrowers, then
 * the metrics tables and a stress summary.
 */
export function registerDemo(program: Command): void {
  program
    .command("demo")
    .description("deploy the reference protocol on an embedded chain, open a book and show its metrics")
    .option("--positions <n>", "positions to open", (v) => Number.parseInt(v, 10), 150)
    .option("--seed <n>", "seed of the synthetic book", (v) => Number.parseInt(v, 10), 7)
    .action(async (opts: { positions: number; seed: number }) => {
      const node = await startEmbeddedNode();
      const provider = new JsonRpcProvider(node.url, undefined, { staticNetwork: true });
      try {
        process.stderr.write(`embedded chain at ${node.url}\n`);
        const [governance, keeper, ...traders] = await Promise.all(Array.from({ length: 14 }, (_, i) => provider.getSigner(i)));
        const system = await deployReferenceSystem(governance, { keepers: [await keeper.getAddress()] });
        const intents = syntheticIntents(system, opts.positions, opts.seed);
        const bar = new SingleBar({ format: "opening positions [{bar}] {value}/{total}", hideCursor: true, stream: process.stderr }, Presets.shades_classic);
        bar.start(intents.length, 0);
        const batch = 25;
        for (let i = 0; i < intents.length; i += batch) {
          await openBook(system, traders, intents.slice(i, i + batch));
          bar.update(Math.min(intents.length, i + batch));
        }
        bar.stop();

        const pools: Record<string, string> = {};
        for (const m of system.markets) pools[m.name] = await m.pool.getAddress();
        const adapter = new ReferencePerpsAdapter(provider, {
          protocolId: "reference-perps",
          chainId: 31337n,
          perps: await system.perps.getAddress(),
          steward: await system.steward.getAddress(),
          multicall: await system.multicall.getAddress(),
          pools,
        });
        const snap = await adapter.readSnapshot(await headOf(provider));
        process.stdout.write(`\n${renderAssessment(assess(snap))}\n\n`);
        const aave = await deployAaveMarket(governance, { keepers: [await keeper.getAddress()], multicall: system.multicall });
        await openAaveBook(aave, traders, DEMO_LOANS);
        const aaveAdapter = new AaveV3Adapter(provider, {
          protocolId: "aave-v3",
          chainId: 31337n,
          addressesProvider: await aave.addressesProvider.getAddress(),
          dataProvider: await aave.dataProvider.getAddress(),
          steward: await aave.steward.getAddress(),
          multicall: await system.multicall.getAddress(),
          accounts: await Promise.all(traders.slice(0, 6).map((t) => t.getAddress())),
        });
        const aaveSnap = await aaveAdapter.readSnapshot(await headOf(provider));
        process.stdout.write(`${renderAssessment(assess(aaveSnap))}\n\n`);
        const grid = stressGrid(snap.risk).filter((g) => Math.round(g.delta * 100) % 10 === 0);
        process.stdout.write(
          `${snap.risk.protocol} stress: every traded asset moves together, liquidations cascade through the pools\n${renderTable(grid, [
            { header: "move", value: (g) => percent(g.delta, 0) },
            { header: "svr after", value: (g) => ratio(g.svr) },
            { header: "liquidated", value: (g) => usd(g.liquidatedNotional) },
            { header: "rounds", value: (g) => String(g.rounds) },
            { header: "insurance used", value: (g) => usd(g.insuranceUsed) },
            { header: "bad debt", value: (g) => usd(g.shortfall) },
          ])}\n`,
        );
      } finally {
        provider.destroy();
        await node.close();
      }
    });
}
