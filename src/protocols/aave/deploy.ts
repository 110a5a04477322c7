import { Contract, parseUnits, ZeroAddress, type Signer } from "ethers";
import { applyProfile } from "../../steward/install-bounds";
import { DEFAULT_GOVERNANCE_PROFILE, type GovernanceProfileName } from "../../steward/profiles";
import { aaveAbi, aaveFactory, Multicall3__factory, ourFactory, type AaveContract, type Multicall3, type OurContract } from "../../abi";

/** One reserve of the embedded Aave market. */
export interface ReserveSpec {
  symbol: string;
  decimals: number;
  price: number;
  ltvBps: number;
  liquidationThresholdBps: number;
  /** Aave convention: 10500 = 5 % bonus. */
  liquidationBonusBps: number;
  /** Whole tokens. */
  supplyCap: number;
  borrowCap: number;
  /** The oracle's exact answer (8 decimals), when `price` must not go through a float. */
  priceAnswer?: bigint;
  /** The reserve's own interest-rate parameters (ray); the embedded default strategy otherwise. */
  strategy?: { optimalUsageRatio: bigint; baseVariableBorrowRate: bigint; variableRateSlope1: bigint; variableRateSlope2: bigint };
}

export const DEFAULT_RESERVES: ReserveSpec[] = [
  { symbol: "WETH", decimals: 18, price: 3000, ltvBps: 8000, liquidationThresholdBps: 8250, liquidationBonusBps: 10500, supplyCap: 100_000, borrowCap: 80_000 },
  { symbol: "WBTC", decimals: 8, price: 60_000, ltvBps: 7000, liquidationThresholdBps: 7500, liquidationBonusBps: 10650, supplyCap: 5_000, borrowCap: 3_000 },
  { symbol: "USDC", decimals: 6, price: 1, ltvBps: 7700, liquidationThresholdBps: 8000, liquidationBonusBps: 10450, supplyCap: 500_000_000, borrowCap: 450_000_000 },
  { symbol: "DAI", decimals: 18, price: 1, ltvBps: 7500, liquidationThresholdBps: 8000, liquidationBonusBps: 10500, supplyCap: 300_000_000, borrowCap: 250_000_000 },
];

export interface DeployedReserve extends ReserveSpec {
  token: Contract;
  feed: Contract;
  aToken: string;
  variableDebtToken: string;
  stableDebtToken: string;
}

export interface AaveMarket {
  addressesProvider: Contract;
  acl: Contract;
  pool: Contract;
  configurator: Contract;
  oracle: Contract;
  dataProvider: Contract;
  steward: Contract;
  multicall: Multicall3;
  reserves: DeployedReserve[];
}

export interface AaveDeployOptions {
  reserves?: ReserveSpec[];
  /** Keeper addresses: the first is the steward's primary keeper (immutable), the others are allowlisted. */
  keepers?: string[];
  /** Use an already deployed Multicall3 instead of deploying one. */
  multicall?: Multicall3;
}

const RAY = 10n ** 27n;
const ray = (x: number) => (BigInt(Math.round(x * 1e6)) * RAY) / 1_000_000n;

/**
 * Deploys a real Aave V3 market from @aave/core-v3's artifacts: addresses provider, ACL manager,
 * the logic libraries, Pool and PoolConfigurator behind their proxies, token implementations, an
 * interest rate strategy, AaveOracle over Chainlink-compatible feeds and the protocol data provider;
 * lists the reserves, and installs an AaveRiskSteward holding RISK_ADMIN. `governance` is the
 * market's owner, ACL admin and pool admin.
 */
export async function deployAaveMarket(governance: Signer, opts: AaveDeployOptions = {}): Promise<AaveMarket> {
  const gov = await governance.getAddress();
  const deployAave = async (name: AaveContract, args: unknown[] = [], libraries: Record<string, string> = {}) => {
    const c = await aaveFactory(name, governance, libraries).deploy(...args);
    await c.waitForDeployment();
    return c as unknown as Contract;
  };
  const deployOurs = async (name: OurContract, ...args: unknown[]) => {
    const c = await ourFactory(name, governance).deploy(...args);
    await c.waitForDeployment();
    return c as unknown as Contract;
  };
  const send = async (p: Promise<{ wait(): Promise<unknown> }>) => (await p).wait();
  const at = (name: AaveContract, address: string) => new Contract(address, aaveAbi(name), governance);

  const addressesProvider = await deployAave("PoolAddressesProvider", ["svr-keeper embedded market", gov]);
  const providerAddress = await addressesProvider.getAddress();
  await send(addressesProvider.setACLAdmin(gov));
  const acl = await deployAave("ACLManager", [providerAddress]);
  await send(addressesProvider.setACLManager(await acl.getAddress()));
  await send(acl.addPoolAdmin(gov));

  const lib = async (name: AaveContract, libraries: Record<string, string> = {}) => (await deployAave(name, [], libraries)).getAddress();
  const borrowLogic = await lib("BorrowLogic");
  const libraries = {
    BorrowLogic: borrowLogic,
    BridgeLogic: await lib("BridgeLogic"),
    EModeLogic: await lib("EModeLogic"),
    FlashLoanLogic: await lib("FlashLoanLogic", { BorrowLogic: borrowLogic }),
    LiquidationLogic: await lib("LiquidationLogic"),
    PoolLogic: await lib("PoolLogic"),
    SupplyLogic: await lib("SupplyLogic"),
  };
  const poolImpl = await deployAave("Pool", [providerAddress], libraries);
  await send(addressesProvider.setPoolImpl(await poolImpl.getAddress()));
  const pool = at("Pool", await addressesProvider.getPool());
  const configuratorImpl = await deployAave("PoolConfigurator", [], { ConfiguratorLogic: await lib("ConfiguratorLogic") });
  await send(addressesProvider.setPoolConfiguratorImpl(await configuratorImpl.getAddress()));
  const configurator = at("PoolConfigurator", await addressesProvider.getPoolConfigurator());

  const specs = opts.reserves ?? DEFAULT_RESERVES;
  const tokens: Contract[] = [];
  const feeds: Contract[] = [];
  for (const r of specs) {
    tokens.push(await deployAave("MintableERC20", [`${r.symbol} (embedded)`, r.symbol, r.decimals]));
    feeds.push(await deployOurs("MockV3Aggregator", 8, r.priceAnswer ?? parseUnits(String(r.price), 8)));
  }
  const oracle = await deployAave("AaveOracle", [
    providerAddress,
    await Promise.all(tokens.map((t) => t.getAddress())),
    await Promise.all(feeds.map((f) => f.getAddress())),
    "0x0000000000000000000000000000000000000000",
    "0x0000000000000000000000000000000000000000",
    10n ** 8n,
  ]);
  await send(addressesProvider.setPriceOracle(await oracle.getAddress()));
  const dataProvider = await deployAave("AaveProtocolDataProvider", [providerAddress]);
  await send(addressesProvider.setPoolDataProvider(await dataProvider.getAddress()));

  const poolAddress = await pool.getAddress();
  const aTokenImpl = await deployAave("AToken", [poolAddress]);
  const variableImpl = await deployAave("VariableDebtToken", [poolAddress]);
  const stableImpl = await deployAave("StableDebtToken", [poolAddress]);
  const strategy = await deployAave("DefaultReserveInterestRateStrategy", [providerAddress, ray(0.8), 0n, ray(0.04), ray(0.75), 0n, 0n, 0n, 0n, ray(0.2)]);
  // One reserve a transaction: listing all of them at once exceeds the per-transaction gas cap (EIP-7825).
  for (const [i, r] of specs.entries()) {
    const own = r.strategy
      ? await deployAave("DefaultReserveInterestRateStrategy", [
          providerAddress,
          r.strategy.optimalUsageRatio,
          r.strategy.baseVariableBorrowRate,
          r.strategy.variableRateSlope1,
          r.strategy.variableRateSlope2,
          0n,
          0n,
          0n,
          0n,
          ray(0.2),
        ])
      : strategy;
    await send(
      configurator.initReserves([
        {
          aTokenImpl: await aTokenImpl.getAddress(),
          stableDebtTokenImpl: await stableImpl.getAddress(),
          variableDebtTokenImpl: await variableImpl.getAddress(),
          underlyingAssetDecimals: r.decimals,
          interestRateStrategyAddress: await own.getAddress(),
          underlyingAsset: await tokens[i].getAddress(),
          treasury: gov,
          incentivesController: "0x0000000000000000000000000000000000000000",
          aTokenName: `Aave ${r.symbol}`,
          aTokenSymbol: `a${r.symbol}`,
          variableDebtTokenName: `Aave variable debt ${r.symbol}`,
          variableDebtTokenSymbol: `variableDebt${r.symbol}`,
          stableDebtTokenName: `Aave stable debt ${r.symbol}`,
          stableDebtTokenSymbol: `stableDebt${r.symbol}`,
          params: "0x",
        },
      ]),
    );
  }

  // The first keeper is the steward's primary (immutable, no allowlist read); the others are allowlisted.
  const [primaryKeeper, ...otherKeepers] = opts.keepers ?? [];
  const steward = await deployOurs("AaveRiskSteward", await configurator.getAddress(), await dataProvider.getAddress(), gov, primaryKeeper ?? ZeroAddress);
  await send(acl.addRiskAdmin(await steward.getAddress()));
  for (const k of otherKeepers) await send(steward.setKeeper(k, true));

  const reserves: DeployedReserve[] = [];
  for (const [i, r] of specs.entries()) {
    const asset = await tokens[i].getAddress();
    await send(configurator.configureReserveAsCollateral(asset, r.ltvBps, r.liquidationThresholdBps, r.liquidationBonusBps));
    await send(configurator.setReserveBorrowing(asset, true));
    await send(configurator.setSupplyCap(asset, r.supplyCap));
    await send(configurator.setBorrowCap(asset, r.borrowCap));
    await configureAaveStewardBounds(steward, asset, r);
    const t = await dataProvider.getReserveTokensAddresses(asset);
    reserves.push({ ...r, token: tokens[i], feed: feeds[i], aToken: t.aTokenAddress, variableDebtToken: t.variableDebtTokenAddress, stableDebtToken: t.stableDebtTokenAddress });
  }
  const multicall = opts.multicall ?? (await (await new Multicall3__factory(governance).deploy()).waitForDeployment());
  return { addressesProvider, acl, pool, configurator, oracle, dataProvider, steward, multicall, reserves };
}

/** The bounds a governance profile gives each of a reserve's risk parameters and caps, around its launch values. */
export async function configureAaveStewardBounds(
  steward: Contract,
  asset: string,
  r: Pick<ReserveSpec, "ltvBps" | "liquidationThresholdBps" | "liquidationBonusBps" | "supplyCap" | "borrowCap">,
  profile: GovernanceProfileName = DEFAULT_GOVERNANCE_PROFILE,
): Promise<void> {
  // A cap of 0 is "no cap" on Aave: nothing to bound around, and only governance may set a first one.
  await applyProfile(steward, await steward.marketKey(asset), profile, {
    LTV: BigInt(r.ltvBps),
    LIQ_THRESHOLD: BigInt(r.liquidationThresholdBps),
    LIQ_BONUS: BigInt(r.liquidationBonusBps),
    ...(r.supplyCap > 0 ? { SUPPLY_CAP: BigInt(r.supplyCap) } : {}),
    ...(r.borrowCap > 0 ? { BORROW_CAP: BigInt(r.borrowCap) } : {}),
  });
}

/** Users supply and borrow for real: each loan supplies one reserve and, optionally, borrows another against it. */
export async function openAaveBook(
  market: AaveMarket,
  users: Signer[],
  loans: { user: number; supply: { symbol: string; amount: number }; borrow?: { symbol: string; amount: number } }[],
): Promise<void> {
  const bySymbol = new Map(market.reserves.map((r) => [r.symbol, r]));
  const poolAddress = await market.pool.getAddress();
  for (const loan of loans) {
    const user = users[loan.user];
    const who = await user.getAddress();
    const s = bySymbol.get(loan.supply.symbol);
    const b = loan.borrow && bySymbol.get(loan.borrow.symbol);
    if (!s || (loan.borrow && !b)) throw new Error(`unknown reserve in loan ${JSON.stringify(loan)}`);
    const amount = parseUnits(String(loan.supply.amount), s.decimals);
    await (await (s.token.connect(user) as Contract)["mint(address,uint256)"](who, amount)).wait();
    await (await (s.token.connect(user) as Contract).approve(poolAddress, amount)).wait();
    await (await (market.pool.connect(user) as Contract).supply(await s.token.getAddress(), amount, who, 0)).wait();
    if (b && loan.borrow) {
      await (await (market.pool.connect(user) as Contract).borrow(await b.token.getAddress(), parseUnits(String(loan.borrow.amount), b.decimals), 2, 0, who)).wait();
    }
  }
}

/** A small realistic book: a lender funds every reserve, borrowers lever ETH and BTC against stablecoins and back. */
export const DEMO_LOANS = [
  { user: 0, supply: { symbol: "USDC", amount: 20_000_000 } },
  { user: 0, supply: { symbol: "DAI", amount: 10_000_000 } },
  { user: 0, supply: { symbol: "WETH", amount: 2_000 } },
  { user: 0, supply: { symbol: "WBTC", amount: 100 } },
  { user: 1, supply: { symbol: "WETH", amount: 500 }, borrow: { symbol: "USDC", amount: 1_100_000 } },
  { user: 2, supply: { symbol: "WETH", amount: 200 }, borrow: { symbol: "DAI", amount: 400_000 } },
  { user: 3, supply: { symbol: "WBTC", amount: 20 }, borrow: { symbol: "USDC", amount: 800_000 } },
  { user: 4, supply: { symbol: "USDC", amount: 2_000_000 }, borrow: { symbol: "WETH", amount: 450 } },
  { user: 5, supply: { symbol: "DAI", amount: 1_000_000 }, borrow: { symbol: "WBTC", amount: 10 } },
];
