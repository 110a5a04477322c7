import { Contract, ethers, JsonRpcProvider, type Signer } from "ethers";
import { startEmbeddedNode } from "../../src/embedded/hardhat-node";
import { deployReferenceSystem, USDC_DECIMALS, type ReferenceSystem } from "../../src/embedded/reference-system";
import { deployAaveMarket } from "../../src/protocols/aave/deploy";

export interface GasRow {
  entry: string;
  direct: number;
  steward: number;
  overhead: number;
}

const usd = (v: number) => ethers.parseUnits(String(v), 18);
const gasOf = async (p: Promise<{ wait(): Promise<{ gasUsed: bigint } | null> }>) => Number((await (await p).wait())!.gasUsed);

/**
 * Gas of each keeper entry point of the RiskSteward against the same change made by a direct
 * risk-admin call, each on its own fresh deployment of the reference protocol (same state); then the
 * AaveRiskSteward's against the same change made by governance (pool admin) on the PoolConfigurator,
 * from the same chain state (snapshot, direct call, revert, steward call). Every steward call is sent
 * by the primary keeper, as the keeper service sends it.
 */
export async function measureStewardGas(): Promise<GasRow[]> {
  const node = await startEmbeddedNode();
  const provider = new JsonRpcProvider(node.url, undefined, { staticNetwork: true });
  try {
    const [governance, keeper, trader] = await Promise.all([0, 1, 2].map((i) => provider.getSigner(i)));
    const viaSteward = await deployReferenceSystem(governance, { keepers: [await keeper.getAddress()] });
    const direct = await deployReferenceSystem(governance);
    await (await direct.perps.setRiskAdmin(await governance.getAddress())).wait();
    const steward = viaSteward.steward.connect(keeper) as unknown as Contract;
    const eth = (s: ReferenceSystem) => s.markets[0].id;
    const now = Number((await provider.getBlock("latest"))!.timestamp);
    const tag = (n: string) => ({ key: ethers.id(`gas:${n}`), evidenceHash: ethers.id("evidence"), validUntil: now + 3600 });

    const rows: GasRow[] = [];
    const row = (entry: string, d: number, s: number) => rows.push({ entry, direct: d, steward: s, overhead: s - d });
    row(
      "margins (IMR+MMR)",
      await gasOf(direct.perps.setMarginRatios(eth(direct), 1200, 600)),
      await gasOf(steward.updateMarginRatios(eth(viaSteward), { imrBps: 1000, mmrBps: 500 }, { imrBps: 1200, mmrBps: 600 }, tag("m"))),
    );
    const cap = usd(60_000_000);
    row(
      "OI caps (long+short)",
      await gasOf(direct.perps.setOpenInterestCaps(eth(direct), usd(50_000_000), usd(50_000_000))),
      await gasOf(steward.updateOpenInterestCaps(eth(viaSteward), { longCap: cap, shortCap: cap }, { longCap: usd(50_000_000), shortCap: usd(50_000_000) }, tag("c"))),
    );
    const ids: bigint[] = [];
    for (const s of [direct, viaSteward]) ids.push(await openProfitable(s, trader));
    const size = ethers.parseUnits("10", 18);
    const half = ethers.parseUnits("5", 18);
    row(
      "deleverage (1 position)",
      await gasOf(direct.perps.deleverage(ids[0], half)),
      await gasOf(steward.deleverage(eth(viaSteward), [{ positionId: ids[1], expectedSize: size, sizeDelta: half }], tag("d"))),
    );
    rows.push(...(await measureAaveStewardGas(provider, governance, keeper, now + 3600)));
    return rows;
  } finally {
    provider.destroy();
    await node.close();
  }
}

/** The AaveRiskSteward's entry points against direct PoolConfigurator calls on a real Aave V3 market. */
async function measureAaveStewardGas(provider: JsonRpcProvider, governance: Signer, keeper: Signer, validUntil: number): Promise<GasRow[]> {
  const market = await deployAaveMarket(governance, { keepers: [await keeper.getAddress()] });
  const configurator = market.configurator.connect(governance) as Contract;
  const steward = market.steward.connect(keeper) as Contract;
  const weth = await market.reserves[0].token.getAddress();
  const tag = (n: string) => ({ key: ethers.id(`gas:aave:${n}`), evidenceHash: ethers.id("evidence"), validUntil });
  /** Gas of `f`, then the chain put back as it was. */
  const undone = async (f: () => Promise<number>) => {
    const snapshot: string = await provider.send("evm_snapshot", []);
    const gas = await f();
    await provider.send("evm_revert", [snapshot]);
    return gas;
  };
  /** Gas of `direct` and of `viaSteward`, each from the same chain state. */
  const fromSameState = async (direct: () => Promise<number>, viaSteward: () => Promise<number>) => [await undone(direct), await undone(viaSteward)] as const;
  const rows: GasRow[] = [];
  const row = (entry: string, [d, s]: readonly [number, number]) => rows.push({ entry, direct: d, steward: s, overhead: s - d });
  // WETH launches at LTV 80 %, threshold 82.5 %, bonus 5 %, caps 100,000 / 80,000 (permissive profile: tighten up to 15 %).
  row(
    "aave risk (LTV+LT+bonus)",
    await fromSameState(
      () => gasOf(configurator.configureReserveAsCollateral(weth, 7500, 8000, 10600)),
      () => gasOf(steward.updateReserveRisk(weth, { ltv: 8000, liquidationThreshold: 8250, liquidationBonus: 10500 }, { ltv: 7500, liquidationThreshold: 8000, liquidationBonus: 10600 }, tag("r"))),
    ),
  );
  row(
    "aave supply cap",
    await fromSameState(
      () => gasOf(configurator.setSupplyCap(weth, 90_000)),
      () => gasOf(steward.updateReserveCaps(weth, { supplyCap: 100_000, borrowCap: 80_000 }, { supplyCap: 90_000, borrowCap: 80_000 }, tag("s"))),
    ),
  );
  // The configurator sets one cap a call: direct makes both in one transaction through Multicall3 (made
  // pool admin here), as a governance payload would; Multicall3's own gas counts on the direct side.
  const multicall = market.multicall.connect(governance) as unknown as Contract;
  await (await (market.acl.connect(governance) as Contract).addPoolAdmin(await multicall.getAddress())).wait();
  const target = await configurator.getAddress();
  const batch = [configurator.interface.encodeFunctionData("setSupplyCap", [weth, 90_000]), configurator.interface.encodeFunctionData("setBorrowCap", [weth, 70_000])];
  row(
    "aave caps (supply+borrow)",
    await fromSameState(
      () => gasOf(multicall.aggregate3(batch.map((callData) => ({ target, allowFailure: false, callData })))),
      () => gasOf(steward.updateReserveCaps(weth, { supplyCap: 100_000, borrowCap: 80_000 }, { supplyCap: 90_000, borrowCap: 70_000 }, tag("c"))),
    ),
  );
  return rows;
}

/** A 10-ETH long opened at 3,000 and marked at 3,300: in profit, so it can be deleveraged. */
async function openProfitable(s: ReferenceSystem, trader: Signer): Promise<bigint> {
  const perps = s.perps.connect(trader) as unknown as Contract;
  const usdc = s.usdc.connect(trader) as unknown as Contract;
  await (await usdc.mint(await trader.getAddress(), ethers.parseUnits("100000", USDC_DECIMALS))).wait();
  await (await usdc.approve(await s.perps.getAddress(), ethers.MaxUint256)).wait();
  await (await perps.deposit(ethers.parseUnits("100000", USDC_DECIMALS))).wait();
  const args = [s.markets[0].id, true, ethers.parseUnits("10", 18), ethers.parseUnits("6000", USDC_DECIMALS)] as const;
  const id = (await perps.openPosition.staticCall(...args)) as bigint;
  await (await perps.openPosition(...args)).wait();
  await (await s.markets[0].feed.updateAnswer(ethers.parseUnits("3300", 8))).wait();
  return id;
}

/** The bench section: overhead of each entry point over a direct call, in gas. */
export async function benchStewardGas(): Promise<Record<string, number>> {
  const rows = await measureStewardGas();
  const overhead = (prefix: string) => rows.find((r) => r.entry.startsWith(prefix))!.overhead;
  return {
    steward_overhead_gas_margins: overhead("margins"),
    steward_overhead_gas_caps: overhead("OI caps"),
    steward_overhead_gas_deleverage: overhead("deleverage"),
    steward_overhead_gas_aave_risk: overhead("aave risk"),
    steward_overhead_gas_aave_caps: overhead("aave caps"),
  };
}
