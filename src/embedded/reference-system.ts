import { parseUnits, ZeroAddress, type Contract, type Signer } from "ethers";
import { textToMarketId } from "../protocols/units";
import { applyDeleverageLimits, applyProfile } from "../steward/install-bounds";
import { DEFAULT_GOVERNANCE_PROFILE, type GovernanceProfileName } from "../steward/profiles";
import {
  ConstantProductPool__factory,
  MintableERC20__factory,
  MockV3Aggregator__factory,
  Multicall3__factory,
  ReferencePerps__factory,
  RiskSteward__factory,
  type ConstantProductPool,
  type MintableERC20,
  type MockV3Aggregator,
  type Multicall3,
  type ReferencePerps,
  type RiskSteward,
} from "../abi";

/** One traded market of the reference protocol, as the embedded deployment lists it. */
export interface MarketSpec {
  /** Readable id, stored on-chain as bytes32 ("ETH-USD"). */
  name: string;
  baseSymbol: string;
  /** USD price at deployment. */
  price: number;
  imrBps: number;
  mmrBps: number;
  liqFeeBps: number;
  /** USD notional per side. */
  capUsd: number;
  /** USD on each side of the base/USD constant-product pool. */
  poolDepthUsd: number;
}

export const DEFAULT_MARKETS: MarketSpec[] = [
  { name: "ETH-USD", baseSymbol: "WETH", price: 3000, imrBps: 1000, mmrBps: 500, liqFeeBps: 100, capUsd: 60_000_000, poolDepthUsd: 20_000_000 },
  { name: "BTC-USD", baseSymbol: "WBTC", price: 60_000, imrBps: 1000, mmrBps: 500, liqFeeBps: 100, capUsd: 80_000_000, poolDepthUsd: 30_000_000 },
  { name: "SOL-USD", baseSymbol: "WSOL", price: 150, imrBps: 2000, mmrBps: 1000, liqFeeBps: 200, capUsd: 20_000_000, poolDepthUsd: 4_000_000 },
];

export const FEED_DECIMALS = 8;
export const USDC_DECIMALS = 6;

export interface DeployedMarket extends MarketSpec {
  id: string;
  feed: MockV3Aggregator;
  baseToken: MintableERC20;
  pool: ConstantProductPool;
}

export interface ReferenceSystem {
  usdc: MintableERC20;
  perps: ReferencePerps;
  steward: RiskSteward;
  multicall: Multicall3;
  markets: DeployedMarket[];
  governance: Signer;
}

export interface DeployOptions {
  markets?: MarketSpec[];
  /** Oracle heartbeat, seconds. */
  heartbeat?: number;
  /** Keeper addresses: the first is the steward's primary keeper (immutable), the others are allowlisted. */
  keepers?: string[];
  liquidityUsd?: number;
  insuranceUsd?: number;
  /** The governance profile the steward's bounds come from (default: permissive). */
  profile?: GovernanceProfileName;
}

const usd18 = (v: number) => parseUnits(v.toFixed(6), 18);
const usdc = (v: number) => parseUnits(v.toFixed(2), USDC_DECIMALS);

/**
 * Deploys the reference perpetuals protocol, its RiskSteward (installed as risk admin),
 * Chainlink-compatible feeds, one constant-product pool per traded asset and Multicall3,
 * with the pool and insurance fund funded. `governance` owns everything.
 */
export async function deployReferenceSystem(governance: Signer, opts: DeployOptions = {}): Promise<ReferenceSystem> {
  const specs = opts.markets ?? DEFAULT_MARKETS;
  const gov = await governance.getAddress();
  const deployed = async <C extends { waitForDeployment(): Promise<unknown> }>(c: Promise<C>): Promise<C> => {
    await (await c).waitForDeployment();
    return c;
  };
  const send = async (p: Promise<{ wait(): Promise<unknown> }>) => (await p).wait();

  const usdcToken = await deployed(new MintableERC20__factory(governance).deploy("USD Coin", "USDC", USDC_DECIMALS));
  const perps = await deployed(new ReferencePerps__factory(governance).deploy(await usdcToken.getAddress(), gov));
  // The first keeper is the steward's primary (immutable, no allowlist read); the others are allowlisted.
  const [primaryKeeper, ...otherKeepers] = opts.keepers ?? [];
  const steward = await deployed(new RiskSteward__factory(governance).deploy(await perps.getAddress(), gov, primaryKeeper ?? ZeroAddress));
  const multicall = await deployed(new Multicall3__factory(governance).deploy());
  await send(perps.setRiskAdmin(await steward.getAddress()));

  const markets: DeployedMarket[] = [];
  for (const spec of specs) {
    const id = textToMarketId(spec.name);
    const feed = await deployed(new MockV3Aggregator__factory(governance).deploy(FEED_DECIMALS, parseUnits(String(spec.price), FEED_DECIMALS)));
    const baseToken = await deployed(new MintableERC20__factory(governance).deploy(`Wrapped ${spec.baseSymbol.slice(1)}`, spec.baseSymbol, 18));
    const pool = await deployed(new ConstantProductPool__factory(governance).deploy(await baseToken.getAddress(), await usdcToken.getAddress(), 30));
    await send(perps.addMarket(id, await feed.getAddress(), opts.heartbeat ?? 3600, spec.imrBps, spec.mmrBps, spec.liqFeeBps, usd18(spec.capUsd), usd18(spec.capUsd)));
    const baseAmount = parseUnits((spec.poolDepthUsd / spec.price).toFixed(6), 18);
    await send(baseToken.mint(gov, baseAmount));
    await send(usdcToken.mint(gov, usdc(spec.poolDepthUsd)));
    await send(baseToken.approve(await pool.getAddress(), baseAmount));
    await send(usdcToken.approve(await pool.getAddress(), usdc(spec.poolDepthUsd)));
    await send(pool.addLiquidity(baseAmount, usdc(spec.poolDepthUsd)));
    await configureStewardBounds(steward, id, spec, opts.profile);
    markets.push({ ...spec, id, feed, baseToken, pool });
  }

  const liquidity = usdc(opts.liquidityUsd ?? 50_000_000);
  const insurance = usdc(opts.insuranceUsd ?? 2_000_000);
  await send(usdcToken.mint(gov, liquidity + insurance));
  await send(usdcToken.approve(await perps.getAddress(), liquidity + insurance));
  await send(perps.provideLiquidity(liquidity));
  await send(perps.fundInsurance(insurance));
  for (const k of otherKeepers) await send(steward.setKeeper(k, true));

  return { usdc: usdcToken, perps, steward, multicall, markets, governance };
}

/** Bounds around a market's current values: margins from half today's value up, caps from 1 % to 2× today's. */
export async function configureStewardBounds(
  steward: RiskSteward,
  marketId: string,
  spec: Pick<MarketSpec, "imrBps" | "mmrBps" | "capUsd">,
  profile: GovernanceProfileName = DEFAULT_GOVERNANCE_PROFILE,
): Promise<void> {
  const cap = usd18(spec.capUsd);
  await applyProfile(steward as unknown as Contract, marketId, profile, { IMR: BigInt(spec.imrBps), MMR: BigInt(spec.mmrBps), LONG_CAP: cap, SHORT_CAP: cap });
  await applyDeleverageLimits(steward as unknown as Contract, marketId, profile);
}

export function paramId(name: "IMR" | "MMR" | "LONG_CAP" | "SHORT_CAP"): string {
  return textToMarketId(name);
}
