/**
 * Gas of each keeper entry point through the RiskSteward against the same change made by a
 * direct risk-admin call. Run: npx hardhat run scripts/gas-report.ts
 */
import { ethers } from "hardhat";
import { deployReferenceSystem, USDC_DECIMALS } from "../src/embedded/reference-system";

async function main(): Promise<void> {
  const [governance, keeper, trader] = await ethers.getSigners();
  const viaSteward = await deployReferenceSystem(governance, { keepers: [keeper.address] });
  const direct = await deployReferenceSystem(governance);
  await (await direct.perps.setRiskAdmin(governance.address)).wait();

  const eth = (s: typeof viaSteward) => s.markets[0];
  const steward = viaSteward.steward.connect(keeper);
  const gasOf = async (p: Promise<{ wait(): Promise<{ gasUsed: bigint } | null> }>) => (await (await p).wait())!.gasUsed;
  const key = (n: string) => ethers.id(`gas:${n}`);
  const evidence = ethers.id("evidence");
  const usd = (v: number) => ethers.parseUnits(String(v), 18);

  const rows: { entry: string; direct: bigint; steward: bigint }[] = [];
  rows.push({
    entry: "margins (IMR+MMR)",
    direct: await gasOf(direct.perps.setMarginRatios(eth(direct).id, 1200, 600)),
    steward: await gasOf(steward.updateMarginRatios(eth(viaSteward).id, 1200, 600, key("m"), evidence)),
  });
  rows.push({
    entry: "OI caps (long+short)",
    direct: await gasOf(direct.perps.setOpenInterestCaps(eth(direct).id, usd(50_000_000), usd(50_000_000))),
    steward: await gasOf(steward.updateOpenInterestCaps(eth(viaSteward).id, usd(50_000_000), usd(50_000_000), key("c"), evidence)),
  });

  // One profitable position in each system, deleveraged by half.
  const ids: bigint[] = [];
  for (const s of [direct, viaSteward]) {
    const perps = s.perps.connect(trader);
    await (await s.usdc.connect(trader).mint(trader.address, ethers.parseUnits("100000", USDC_DECIMALS))).wait();
    await (await s.usdc.connect(trader).approve(await s.perps.getAddress(), ethers.MaxUint256)).wait();
    await (await perps.deposit(ethers.parseUnits("100000", USDC_DECIMALS))).wait();
    const id = await perps.openPosition.staticCall(eth(s).id, true, ethers.parseUnits("10", 18), ethers.parseUnits("6000", USDC_DECIMALS));
    await (await perps.openPosition(eth(s).id, true, ethers.parseUnits("10", 18), ethers.parseUnits("6000", USDC_DECIMALS))).wait();
    await (await eth(s).feed.updateAnswer(ethers.parseUnits("3300", 8))).wait();
    ids.push(id);
  }
  rows.push({
    entry: "deleverage (1 position)",
    direct: await gasOf(direct.perps.deleverage(ids[0], ethers.parseUnits("5", 18))),
    steward: await gasOf(steward.deleverage(eth(viaSteward).id, [ids[1]], [ethers.parseUnits("5", 18)], key("d"), evidence)),
  });

  // What the idempotency key's fresh storage slot costs by itself (cold SSTORE 0 → 1).
  const KEY_SLOT_GAS = 22_100n;
  console.log("entry point               direct   steward  overhead  overhead excl. key slot");
  for (const r of rows) {
    const overhead = r.steward - r.direct;
    console.log(
      `${r.entry.padEnd(24)} ${String(r.direct).padStart(7)} ${String(r.steward).padStart(9)} ${String(overhead).padStart(9)} ${String(overhead - KEY_SLOT_GAS).padStart(10)}`,
    );
  }
  console.log(JSON.stringify(Object.fromEntries(rows.map((r) => [r.entry, { direct: Number(r.direct), steward: Number(r.steward), overhead: Number(r.steward - r.direct) }]))));
}

main().catch((e) => {
  console.error(e);
  process.exitCode = 1;
});
