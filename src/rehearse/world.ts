import { Contract, formatUnits, getAddress, Interface, keccak256, parseUnits, toQuantity, toUtf8Bytes, type JsonRpcProvider, type JsonRpcSigner, type Result } from "ethers";
import { aaveAbi, ourAbi, ourFactory, ourInterface } from "../abi";
import { MulticallReader } from "../protocols/multicall";
import { marketIdToText } from "../protocols/units";
import { headOf } from "../rpc/reads";
import { AaveLiquidatorBot } from "./aave-liquidator";
import { impersonate, type RehearsalTarget } from "./install";
import { eventsAt, priceMultipliers, type Scenario, type ScenarioEvent } from "./scenario";

/** One price feed the scenario drives, and the asset whose path it follows. */
interface DrivenFeed {
  feed: Contract;
  asset: string;
  decimals: number;
  start: number;
}

interface DrivenMarket {
  id: string;
  name: string;
  asset: string;
  pool?: Contract;
  baseToken?: Contract;
  feed: DrivenFeed;
  /** The protocol's liquidation fee, a share of notional (governance's, not the steward's). */
  liquidationFee: number;
}

/** What the world did in one step, besides prices. */
export interface StepEffects {
  prices: Record<string, number>;
  liquidations: number;
  /** Reference protocol: notional closed; Aave: debt repaid by liquidators (USD). */
  liquidatedNotionalUsd: number;
  /** Owners of the positions liquidated this step. */
  liquidatedAccounts: string[];
  /** What liquidated traders paid the liquidators: the fee, out of their remaining equity, USD. */
  liquidationFeesUsd: number;
  /** The same two, by protocol id. */
  byProtocol: Record<string, { liquidations: number; liquidatedNotionalUsd: number }>;
  opened: number;
  /** Openings the protocol refused (a cap reached, a margin too high for the trader's collateral). */
  refused: number;
  /** USD notional of the refused openings: business turned away. */
  refusedNotionalUsd: number;
  liquidityWithdrawn: string[];
}

const ERC20_ABI = [
  "function symbol() view returns (string)",
  "function decimals() view returns (uint8)",
  "function mint(address to, uint256 amount)",
  "function approve(address spender, uint256 amount) returns (bool)",
];

/**
 * Gas limit of the world's own transactions: given, so the node need not estimate each one (an
 * estimate is a simulation, and on the rehearsal clock a simulation costs four more round trips).
 */
const WORLD_GAS = toQuantity(3_000_000);

/**
 * The world around the keeper on the rehearsal chain: the scenario's prices written to the
 * feeds, liquidity withdrawn, traders opening positions, and liquidators who liquidate every
 * position below maintenance each step and sell what they seize into the spot pools — which,
 * when the oracle follows the pool, feeds the next step's price. Deterministic for a given chain.
 */
export class ScenarioWorld {
  private readonly feeds = new Map<string, DrivenFeed>();
  private readonly markets: DrivenMarket[] = [];
  private perps?: Contract;
  private referenceId?: string;
  private readonly aaveBots: { id: string; bot: AaveLiquidatorBot }[] = [];
  /** Who provided the reference protocol's pool liquidity: its deployer, the governance on the chain. */
  private liquidityProvider?: string;
  private multicall?: MulticallReader;
  private readonly impact = new Map<string, number>();
  private multipliers: Record<string, number[]> = {};
  private readonly signers = new Map<string, JsonRpcSigner>();

  private constructor(
    private readonly provider: JsonRpcProvider,
    private readonly scenario: Scenario,
    private readonly governance: Map<string, string>,
  ) {}

  /**
   * Finds every feed and pool of the targets. Aave's oracle sources are replaced by feeds the
   * rehearsal can move (on mainnet they are Chainlink aggregators nobody but its nodes can write).
   */
  static async open(provider: JsonRpcProvider, scenario: Scenario, targets: { target: RehearsalTarget; governance: string }[]): Promise<ScenarioWorld> {
    const w = new ScenarioWorld(provider, scenario, new Map(targets.map((t) => [t.target.id, t.governance])));
    for (const { target, governance } of targets) {
      if (target.kind === "reference") await w.openReference(target);
      else await w.openAave(target, governance);
    }
    const assets = [...new Set([...w.feeds.values()].map((f) => f.asset))];
    for (const field of ["pricePath", "betas"] as const) {
      const unknown = Object.keys(scenario[field]).filter((a) => !assets.includes(a));
      if (unknown.length)
        throw new Error(
          `scenario ${scenario.name}: ${field}.${unknown[0]} names an asset no rehearsed protocol prices (they price ${[...assets].sort().join(", ")}): is the scenario written for another chain?`,
        );
    }
    w.multipliers = priceMultipliers(scenario, assets);
    return w;
  }

  /** Starting price of every driven asset, USD. */
  startPrices(): Record<string, number> {
    return Object.fromEntries([...this.feeds.values()].map((f) => [f.asset, f.start]));
  }

  private async openReference(target: Extract<RehearsalTarget, { kind: "reference" }>): Promise<void> {
    this.perps = new Contract(target.perps, ourAbi("ReferencePerps"), this.provider);
    this.referenceId = target.id;
    this.liquidityProvider = this.governance.get(target.id);
    this.multicall = new MulticallReader(this.provider, target.multicall);
    const feedAbi = ourAbi("MockV3Aggregator");
    for (const m of await this.perps.getMarkets()) {
      const name = marketIdToText(m.id);
      const poolAddress = target.pools[name];
      const pool = poolAddress ? new Contract(poolAddress, ourAbi("ConstantProductPool"), this.provider) : undefined;
      const baseToken = pool ? new Contract(await pool.base(), ERC20_ABI, this.provider) : undefined;
      const asset = baseToken ? ((await baseToken.symbol()) as string) : name.split("-")[0];
      const feed = await this.drivenFeed(new Contract(m.feed, feedAbi, this.provider), asset);
      this.markets.push({ id: m.id, name, asset, pool, baseToken, feed, liquidationFee: Number(m.liqFeeBps) / 10_000 });
    }
  }

  private async openAave(target: Extract<RehearsalTarget, { kind: "aaveV3" }>, governance: string): Promise<void> {
    const gov = await impersonate(this.provider, governance);
    const addresses = new Contract(target.addressesProvider, aaveAbi("PoolAddressesProvider"), this.provider);
    const acl = new Contract(await addresses.getACLManager(), aaveAbi("ACLManager"), gov);
    const oracle = new Contract(await addresses.getPriceOracle(), aaveAbi("AaveOracle"), gov);
    const data = new Contract(target.dataProvider, aaveAbi("AaveProtocolDataProvider"), this.provider);
    if (!(await acl.isPoolAdmin(governance))) await (await acl.addPoolAdmin(governance)).wait();
    const assets: string[] = [];
    const sources: string[] = [];
    // The oracle answers in BASE_CURRENCY_UNIT; the feeds that replace its sources answer in the same unit.
    const decimals = ((await oracle.BASE_CURRENCY_UNIT()) as bigint).toString().length - 1;
    for (const { symbol, tokenAddress } of await data.getAllReservesTokens()) {
      const existing = this.feeds.get(symbol);
      const price = Number(formatUnits(await oracle.getAssetPrice(tokenAddress), decimals));
      const feed = existing?.feed ?? (await this.deployFeed(gov, price, decimals));
      if (!existing) this.feeds.set(symbol, { feed, asset: symbol, decimals, start: price });
      assets.push(tokenAddress);
      sources.push(await feed.getAddress());
    }
    await (await oracle.setAssetSources(assets, sources)).wait();
    this.aaveBots.push({ id: target.id, bot: await AaveLiquidatorBot.open(this.provider, target) });
  }

  private async deployFeed(signer: JsonRpcSigner, price: number, decimals: number): Promise<Contract> {
    const c = await ourFactory("MockV3Aggregator", signer).deploy(decimals, parseUnits(price.toFixed(decimals), decimals));
    await c.waitForDeployment();
    return c as unknown as Contract;
  }

  /** One feed per asset: a second market on the same asset follows the same feed's path. */
  private async drivenFeed(feed: Contract, asset: string): Promise<DrivenFeed> {
    const existing = this.feeds.get(asset);
    if (existing) return existing;
    const decimals = Number(await feed.decimals());
    const [, answer] = await feed.latestRoundData();
    const driven = { feed, asset, decimals, start: Number(formatUnits(answer, decimals)) };
    this.feeds.set(asset, driven);
    return driven;
  }

  /** Forget what a previous pass did (the chain was reverted under us): price impact and funded actors. */
  reset(): void {
    this.impact.clear();
    this.signers.clear();
  }

  /** Plays step `step`: prices (with the pools' feedback), then the step's events, then liquidations. */
  async play(step: number): Promise<StepEffects> {
    const prices: Record<string, number> = {};
    const writer = await this.actor("oracle");
    for (const f of this.feeds.values()) {
      const price = f.start * this.multipliers[f.asset][step] * (this.impact.get(f.asset) ?? 1);
      prices[f.asset] = price;
      await this.send(writer, f.feed, "updateAnswer", [parseUnits(price.toFixed(f.decimals), f.decimals)]);
    }
    const effects: StepEffects = {
      prices,
      liquidations: 0,
      liquidatedNotionalUsd: 0,
      byProtocol: {},
      liquidatedAccounts: [],
      liquidationFeesUsd: 0,
      opened: 0,
      refused: 0,
      refusedNotionalUsd: 0,
      liquidityWithdrawn: [],
    };
    for (const e of eventsAt(this.scenario, step)) await this.apply(e, effects);
    await this.liquidate(effects);
    await this.liquidateAave(effects);
    return effects;
  }

  private market(name: string): DrivenMarket {
    const m = this.markets.find((x) => x.name === name);
    if (!m) throw new Error(`scenario names market ${name}, which the rehearsed protocol does not list (it has ${this.markets.map((x) => x.name).join(", ") || "none"})`);
    return m;
  }

  private async apply(e: ScenarioEvent, effects: StepEffects): Promise<void> {
    const m = this.market(e.market);
    if (e.kind === "withdrawLiquidity") {
      if (!m.pool) throw new Error(`scenario withdraws liquidity from ${e.market}, which has no pool configured`);
      const holder = this.liquidityProvider!;
      const lp = await impersonate(this.provider, holder);
      const shares = (await m.pool.shares(holder)) as bigint;
      const amount = (shares * BigInt(Math.round(e.fraction * 1e6))) / 1_000_000n;
      if (amount === 0n) throw new Error(`scenario withdraws liquidity from ${e.market}, but ${holder} holds no share of its pool`);
      await this.send(lp, m.pool, "removeLiquidity", [amount]);
      effects.liquidityWithdrawn.push(e.market);
      return;
    }
    const perps = this.perps!;
    // Reads pinned to the head asked of the node: ethers may answer an unpinned read from a cache.
    const at = { blockTag: await headOf(this.provider) };
    const price = Number(formatUnits((await perps.markPrice(m.id, at)) as bigint, 18));
    const [imrBps] = (await perps.marginRatios(m.id, at)) as [bigint, bigint];
    const imr = Number(imrBps) / 10_000;
    const state = await perps.getProtocolState(at);
    const collateralToken = new Contract(state.collateralToken, ERC20_ABI, this.provider);
    const decimals = Number(state.collateralDecimals);
    for (let i = 0; i < e.count; i++) {
      const trader = await this.actor(`trader-${e.step}-${e.market}-${e.side}-${i}`);
      const leverage = e.leverage === "max" ? 1 / imr : Math.min(e.leverage, 1 / imr);
      // A hair above the IMR so rounding never fails an intended max-leverage opening.
      const collateral = parseUnits(((e.notionalUsd / leverage) * 1.001).toFixed(decimals), decimals);
      const size = parseUnits((e.notionalUsd / price).toFixed(18), 18);
      const who = await trader.getAddress();
      await this.send(trader, collateralToken, "mint", [who, collateral]);
      await this.send(trader, collateralToken, "approve", [perps.target, collateral]);
      await this.send(trader, perps, "deposit", [collateral]);
      try {
        await (perps.connect(trader) as Contract).openPosition.staticCall(m.id, e.side === "long", size, collateral);
      } catch {
        effects.refused++;
        effects.refusedNotionalUsd += e.notionalUsd;
        continue;
      }
      await this.send(trader, perps, "openPosition", [m.id, e.side === "long", size, collateral]);
      effects.opened++;
    }
  }

  /**
   * Liquidators take every position below maintenance, then hedge what they took in the spot
   * pool: seized longs are sold, seized shorts bought back. Under oracleFollowsPool the pool's
   * move is carried into the feed at the next step (oracles report with a block's lag).
   */
  private async liquidate(effects: StepEffects): Promise<void> {
    const perps = this.perps;
    if (!perps) return;
    const iface = perps.interface as Interface;
    const target = perps.target as string;
    const head = await headOf(this.provider);
    const [state, listed] = (await this.multicall!.read<unknown>(
      [
        { target, iface, method: "getProtocolState", args: [], decode: (r) => r[0] },
        { target, iface, method: "getMarkets", args: [], decode: (r) => r[0] },
      ],
      head,
    )) as [Result, Result[]];
    const count = Number(state.positionCount);
    const pages: { target: string; callData: string }[] = [];
    for (let offset = 0; offset < count; offset += 500) pages.push({ target, callData: iface.encodeFunctionData("getPositionsPacked", [offset, 500]) });
    const feedIface = ourInterface("MockV3Aggregator");
    const feeds = listed.map((m) => ({ target: m.feed as string, callData: feedIface.encodeFunctionData("latestRoundData") }));
    const raw = await this.multicall!.aggregate([...feeds, ...pages], head);
    const markets = listed.map((m, i) => {
      const answer = feedIface.decodeFunctionResult("latestRoundData", raw[i].returnData)[1] as bigint;
      const decimals = BigInt(m.feedDecimals);
      return { id: m.id as string, mmrBps: BigInt(m.mmrBps), price: decimals <= 18n ? answer * 10n ** (18n - decimals) : answer / 10n ** (decimals - 18n) };
    });
    const positions = raw.slice(feeds.length).flatMap((page) => unpackPositions(page.returnData, markets));
    if (positions.length !== count) throw new Error(`read ${positions.length} positions, the protocol reports ${count}`);
    // Only positions near maintenance by the contract's own arithmetic are asked about: the
    // contract's answer decides (a 5 % margin covers any drift of this copy), and a step where
    // nothing is near costs no health reads at all.
    const toUsdScale = 10n ** (18n - BigInt(state.collateralDecimals));
    const near = positions.filter((p) => {
      const m = markets[p.marketIndex];
      const move = ((m.price - p.entryPrice) * p.size) / WAD;
      const equity = p.collateral * toUsdScale + (p.isLong ? move : -move);
      const maintenance = ceilDiv(((p.size * m.price) / WAD) * m.mmrBps, 10_000n);
      return equity < maintenance + maintenance / 20n + 1n;
    });
    const checked = await this.multicall!.read(
      near.map((p) => ({ target, iface, method: "positionHealth", args: [p.id], decode: (r) => ({ equity: r[0] as bigint, maintenance: r[1] as bigint }) })),
      head,
    );
    const healthOf = new Map(near.map((p, i) => [p.id, checked[i]]));
    const liquidator = await this.actor("liquidator");
    const seized = new Map<string, bigint>();
    for (const p of positions) {
      const health = healthOf.get(p.id);
      if (!health || health.equity >= health.maintenance) continue;
      await this.send(liquidator, perps, "liquidate", [p.id]);
      const m = this.markets.find((x) => x.id === p.market)!;
      const notional = Number(formatUnits(p.size, 18)) * effects.prices[m.asset];
      countLiquidation(effects, this.referenceId!, notional);
      effects.liquidatedAccounts.push(getAddress(p.account));
      // The contract's fee: a share of notional, out of what equity remains (none when underwater).
      const equity = Number(formatUnits(health.equity, 18));
      if (equity > 0) effects.liquidationFeesUsd += Math.min(notional * m.liquidationFee, equity);
      seized.set(p.market, (seized.get(p.market) ?? 0n) + (p.isLong ? p.size : -p.size));
    }
    for (const [marketId, net] of seized) {
      const m = this.markets.find((x) => x.id === marketId)!;
      if (!m.pool || !m.baseToken || net === 0n) continue;
      const flow = (net * BigInt(Math.round(this.scenario.liquidationFlowToPool * 1e6))) / 1_000_000n;
      if (flow === 0n) continue;
      const moved = await this.hedge(m, flow, liquidator);
      if (this.scenario.oracleFollowsPool) this.impact.set(m.asset, (this.impact.get(m.asset) ?? 1) * moved);
    }
  }

  /**
   * Aave's liquidator bot takes every borrower under health factor 1; what it seizes is sold into
   * that asset's pool (the same spot pool the reference protocol's liquidators hedge in), so
   * liquidations on one protocol move the price the other sees, and, under oracleFollowsPool, cascade.
   */
  private async liquidateAave(effects: StepEffects): Promise<void> {
    if (this.aaveBots.length === 0) return;
    const liquidator = await this.actor("aave-liquidator");
    const sold = new Map<string, number>();
    for (const { id, bot } of this.aaveBots) {
      for (const l of await bot.run(liquidator)) {
        countLiquidation(effects, id, l.repaidUsd);
        effects.liquidatedAccounts.push(l.account);
        effects.liquidationFeesUsd += Math.max(0, l.seizedUsd - l.repaidUsd); // the bonus the borrower paid
        sold.set(l.collateralSymbol, (sold.get(l.collateralSymbol) ?? 0) + Number(formatUnits(l.seized, l.collateralDecimals)));
      }
    }
    for (const [symbol, units] of sold) {
      const m = this.markets.find((x) => x.asset === symbol && x.pool && x.baseToken);
      if (!m) continue; // no spot pool for this asset in the rehearsal: sold elsewhere, no price impact modelled
      const decimals = Number(await m.baseToken!.decimals());
      const flow = parseUnits((units * this.scenario.liquidationFlowToPool).toFixed(decimals), decimals);
      if (flow === 0n) continue;
      const moved = await this.hedge(m, flow, liquidator);
      if (this.scenario.oracleFollowsPool) this.impact.set(m.asset, (this.impact.get(m.asset) ?? 1) * moved);
    }
  }

  /** Sells (net > 0) or buys back (net < 0) base in the pool; returns the spot price's move (after ÷ before). */
  private async hedge(m: DrivenMarket, net: bigint, liquidator: JsonRpcSigner): Promise<number> {
    const pool = m.pool!.connect(liquidator) as Contract;
    const spot = async () => {
      const [b, q] = (await pool.getReserves({ blockTag: await headOf(this.provider) })) as [bigint, bigint];
      return Number(q) / Number(b);
    };
    const before = await spot();
    const who = await liquidator.getAddress();
    if (net > 0n) {
      await this.send(liquidator, m.baseToken!, "mint", [who, net]);
      await this.send(liquidator, m.baseToken!, "approve", [pool.target, net]);
      await this.send(liquidator, pool, "swap", [true, net, 0]);
    } else {
      const [b, q] = (await pool.getReserves({ blockTag: await headOf(this.provider) })) as [bigint, bigint];
      const out = -net >= b / 2n ? b / 2n : -net; // never drain the pool: the rest is bought elsewhere
      const fee = BigInt(await pool.feeBps());
      const quoteIn = (q * out * 10_000n) / ((b - out) * (10_000n - fee)) + 1n;
      const quote = new Contract(await pool.quote(), ERC20_ABI, liquidator);
      await this.send(liquidator, quote, "mint", [who, quoteIn]);
      await this.send(liquidator, quote, "approve", [pool.target, quoteIn]);
      await this.send(liquidator, pool, "swap", [false, quoteIn, 0]);
    }
    return (await spot()) / before;
  }

  /**
   * One transaction of the world, mined at once: one request instead of ethers' estimate, send,
   * lookup and receipt. Hardhat's automine answers a reverted transaction with an error, so a
   * failure still surfaces here.
   */
  private async send(from: JsonRpcSigner, contract: Contract, method: string, args: unknown[]): Promise<void> {
    const data = contract.interface.encodeFunctionData(method, args);
    await this.provider.send("eth_sendTransaction", [{ from: from.address, to: contract.target as string, data, gas: WORLD_GAS }]);
  }

  /** A deterministic, impersonated account for a role of the world (liquidator, trader n…). */
  private async actor(role: string): Promise<JsonRpcSigner> {
    const cached = this.signers.get(role);
    if (cached) return cached;
    const address = `0x${keccak256(toUtf8Bytes(`svr-keeper rehearsal ${this.scenario.name} ${role}`)).slice(-40)}`;
    const signer = await impersonate(this.provider, address);
    this.signers.set(role, signer);
    return signer;
  }
}

const WAD = 10n ** 18n;
const MASK_64 = (1n << 64n) - 1n;
const MASK_128 = (1n << 128n) - 1n;

interface BookPosition {
  id: bigint;
  /** Lowercase hex. */
  account: string;
  /** The market's id (bytes32), and its index in getMarkets(). */
  market: string;
  marketIndex: number;
  isLong: boolean;
  size: bigint;
  entryPrice: bigint;
  collateral: bigint;
}

/**
 * getPositionsPacked's words (see the contract), three a position, read straight from the hex (as
 * the reference adapter does): a generic decode and a checksummed address for each of the book's
 * positions every step cost more than the step's EVM work. `account` is lowercase hex.
 */
function unpackPositions(hex: string, markets: { id: string }[]): BookPosition[] {
  const body = hex.startsWith("0x") ? hex.slice(2) : hex;
  const word = (i: number) => BigInt(`0x${body.slice(i * 64, i * 64 + 64)}`);
  const length = Number(word(1));
  if (length % 3 !== 0 || body.length < (2 + length) * 64) throw new Error(`malformed getPositionsPacked result (${length} words)`);
  const out: BookPosition[] = [];
  for (let w = 2; w < 2 + length; w += 3) {
    const w0 = word(w);
    const w1 = word(w + 1);
    const marketIndex = Number((w0 >> 224n) & 0xffffn);
    if (!markets[marketIndex]) throw new Error(`position references market index ${marketIndex}, the protocol lists ${markets.length}`);
    out.push({
      id: (w0 >> 160n) & MASK_64,
      account: `0x${body.slice(w * 64 + 24, w * 64 + 64)}`,
      market: markets[marketIndex].id,
      marketIndex,
      isLong: ((w0 >> 240n) & 1n) === 1n,
      size: w1 & MASK_128,
      entryPrice: w1 >> 128n,
      collateral: word(w + 2),
    });
  }
  return out;
}

function ceilDiv(a: bigint, b: bigint): bigint {
  return a === 0n ? 0n : (a - 1n) / b + 1n;
}

function countLiquidation(effects: StepEffects, protocol: string, notionalUsd: number): void {
  effects.liquidations++;
  effects.liquidatedNotionalUsd += notionalUsd;
  const p = (effects.byProtocol[protocol] ??= { liquidations: 0, liquidatedNotionalUsd: 0 });
  p.liquidations++;
  p.liquidatedNotionalUsd += notionalUsd;
}
