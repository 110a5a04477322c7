import { Interface, type Provider, type Result } from "ethers";
import { ourInterface } from "../../abi";
import type { ActionProvenance, ActionRequest } from "../../policy/actions";
import type { AssetState, MarketState, Position, Snapshot } from "../../risk/snapshot";
import type { ProtocolAdapter } from "../adapter";
import type { OnchainMarketState, PopulatedAction, ProtocolSnapshot, StewardState } from "../../domain/protocol-state";
import { NoContractError, OracleAnswerError, UnknownMarketError, UnsupportedActionError } from "../errors";
import { actionTag, decodeBoundsBatch } from "../steward-bounds";
import { MulticallReader, type TypedCall } from "../multicall";
import { marketIdToText, textToMarketId, toFloat } from "../units";

export interface ReferenceAdapterOptions {
  protocolId: string;
  chainId: bigint;
  perps: string;
  steward: string;
  multicall: string;
  /** Market name ("ETH-USD") → ConstantProductPool read as that asset's liquidity depth. */
  pools?: Record<string, string>;
  /** Haircut applied to the stablecoin collateral (0 for a fully trusted stablecoin). */
  collateralHaircut?: number;
  /** Positions per getPositions call; each costs ~15k gas of cold reads per position. */
  positionsPerCall?: number;
}

const PARAMS = ["IMR", "MMR", "LONG_CAP", "SHORT_CAP"] as const;
const POSITION_PAGE = 500;
const GAS_PER_POSITION = 8_000; // getPositionsPacked: three cold slots a position, ~7.5k gas
// Nodes cap a call's gas (EIP-7825: 2^24 ≈ 16.8M on Hardhat and post-Osaka chains).
const ETH_CALL_GAS_BUDGET = 12_000_000;

interface RawMarket {
  id: string;
  name: string;
  feed: string;
  feedDecimals: number;
  heartbeat: bigint;
  imrBps: bigint;
  mmrBps: bigint;
  liqFeeBps: bigint;
  longCap: bigint;
  shortCap: bigint;
}

/**
 * Reads the reference perpetuals protocol, its steward, oracles and pools at one pinned block in
 * two rounds of Multicall3 reads (state and markets, then everything that depends on them), and
 * addresses actions to its RiskSteward.
 */
export class ReferencePerpsAdapter implements ProtocolAdapter {
  readonly protocolId: string;
  readonly chainId: bigint;
  private readonly perps: Interface;
  private readonly steward: Interface;
  private readonly feed: Interface;
  private readonly pool: Interface;
  private readonly reader: MulticallReader;
  private readonly pageLimit: number;

  constructor(
    private readonly provider: Provider,
    private readonly opts: ReferenceAdapterOptions,
  ) {
    this.protocolId = opts.protocolId;
    this.chainId = opts.chainId;
    this.perps = ourInterface("ReferencePerps");
    this.steward = ourInterface("RiskSteward");
    this.feed = ourInterface("MockV3Aggregator");
    this.pool = ourInterface("ConstantProductPool");
    this.pageLimit = opts.positionsPerCall ?? POSITION_PAGE;
    // getPositions pages are heavy (~16k gas of cold reads a position): size each eth_call's batch
    // to stay well under nodes' eth_call gas cap.
    this.reader = new MulticallReader(provider, opts.multicall, {
      pageSize: Math.max(1, Math.floor(ETH_CALL_GAS_BUDGET / (this.pageLimit * GAS_PER_POSITION))),
    });
  }

  /** Checks that every configured address holds code; call once at start. */
  async verifyDeployment(): Promise<void> {
    const roles: [string, string][] = [
      ["protocol", this.opts.perps],
      ["steward", this.opts.steward],
      ["multicall", this.opts.multicall],
      ...Object.entries(this.opts.pools ?? {}).map(([m, a]) => [`pool of ${m}`, a] as [string, string]),
    ];
    const codes = await Promise.all(roles.map(([, a]) => this.provider.getCode(a)));
    codes.forEach((code, i) => {
      if (code === "0x") throw new NoContractError(roles[i][0], roles[i][1], this.chainId);
    });
  }

  async readSnapshot(blockNumber: number): Promise<ProtocolSnapshot> {
    const call = <T>(target: string, iface: Interface, method: string, args: readonly unknown[], decode: (r: Result) => T): TypedCall<T> => ({
      target,
      iface,
      method,
      args,
      decode,
    });
    const [header, first] = await Promise.all([
      this.provider.getBlock(blockNumber),
      this.reader.read<unknown>(
        [
          call(this.opts.perps, this.perps, "getProtocolState", [], (r) => r[0]),
          call(this.opts.perps, this.perps, "getMarkets", [], (r) => r[0]),
          call(this.opts.steward, this.steward, "frozen", [], (r) => r[0]),
        ],
        blockNumber,
      ),
    ]);
    if (!header) throw new Error(`block ${blockNumber} not found`);
    const state = first[0] as Result;
    const markets: RawMarket[] = (first[1] as Result[]).map((m) => ({
      id: m.id as string,
      name: marketIdToText(m.id as string),
      feed: m.feed as string,
      feedDecimals: Number(m.feedDecimals),
      heartbeat: BigInt(m.heartbeat),
      imrBps: BigInt(m.imrBps),
      mmrBps: BigInt(m.mmrBps),
      liqFeeBps: BigInt(m.liqFeeBps),
      longCap: BigInt(m.longCap),
      shortCap: BigInt(m.shortCap),
    }));
    const collateralDecimals = Number(state.collateralDecimals);
    const positionCount = Number(state.positionCount);

    const pools = this.opts.pools ?? {};
    const second: TypedCall<unknown>[] = [];
    for (const m of markets) second.push(call(m.feed, this.feed, "latestRoundData", [], (r) => ({ answer: r[1] as bigint, updatedAt: r[3] as bigint })));
    for (const m of markets) {
      const pool = pools[m.name];
      if (pool) second.push(call(pool, this.pool, "getReserves", [], (r) => [r[0] as bigint, r[1] as bigint]));
    }
    const marketIds = markets.flatMap((m) => PARAMS.map(() => m.id));
    const paramIds = markets.flatMap(() => PARAMS.map((p) => textToMarketId(p)));
    second.push(call(this.opts.steward, this.steward, "getBoundsBatch", [marketIds, paramIds], (r) => r));
    // Whole USD on-chain; 18 decimals here, like every other USD amount the policy compares.
    for (const m of markets) {
      second.push(call(this.opts.steward, this.steward, "deleverageLimits", [m.id], (r) => ({ maxPerCall: BigInt(r[0].maxPerCallUsd) * WAD, available: BigInt(r[1]) * WAD })));
    }
    const pageCount = Math.ceil(positionCount / this.pageLimit);
    const pageCalls = Array.from({ length: pageCount }, (_, i) => ({
      target: this.opts.perps,
      callData: this.perps.encodeFunctionData("getPositionsPacked", [i * this.pageLimit, this.pageLimit]),
    }));
    const [results, rawPages] = await Promise.all([this.reader.read(second, blockNumber), this.reader.aggregate(pageCalls, blockNumber)]);

    let k = 0;
    const oracles = markets.map(() => results[k++] as { answer: bigint; updatedAt: bigint });
    const reserves = new Map<string, [bigint, bigint]>();
    for (const m of markets) if (pools[m.name]) reserves.set(m.name, results[k++] as [bigint, bigint]);
    const boundsResult = results[k++] as Result;
    const deleverage = Object.fromEntries(markets.map((m) => [m.name, results[k++] as { maxPerCall: bigint; available: bigint }]));

    const onchainMarkets: OnchainMarketState[] = markets.map((m, i) => {
      if (oracles[i].answer <= 0n) throw new OracleAnswerError(m.name, m.feed, oracles[i].answer);
      return {
        id: m.name,
        params: { IMR: m.imrBps, MMR: m.mmrBps, LONG_CAP: m.longCap, SHORT_CAP: m.shortCap, LIQ_FEE: m.liqFeeBps },
        oracle: { address: m.feed, answer: oracles[i].answer, decimals: m.feedDecimals, updatedAt: oracles[i].updatedAt, heartbeat: m.heartbeat },
      };
    });

    const riskMarkets: MarketState[] = markets.map((m, i) => ({
      id: m.name,
      asset: baseOf(m.name),
      mark: toFloat(oracles[i].answer, m.feedDecimals),
      imr: Number(m.imrBps) / 10_000,
      mmr: Number(m.mmrBps) / 10_000,
      liquidationFee: Number(m.liqFeeBps) / 10_000,
      oiCapLong: toFloat(m.longCap, 18),
      oiCapShort: toFloat(m.shortCap, 18),
    }));
    const locked = BigInt(state.totalTraderCollateral) + BigInt(state.poolBalance) + BigInt(state.insuranceFund);
    const assets: AssetState[] = [
      { id: "USD", price: 1, amount: toFloat(locked, collateralDecimals), haircut: this.opts.collateralHaircut ?? 0, liquidity: { kind: "none" } },
      ...markets.map((m, i): AssetState => {
        const r = reserves.get(m.name);
        return {
          id: baseOf(m.name),
          price: toFloat(oracles[i].answer, m.feedDecimals),
          amount: 0,
          haircut: 0,
          liquidity: r ? { kind: "constantProduct", baseReserve: toFloat(r[0], 18), quoteReserve: toFloat(r[1], collateralDecimals) } : { kind: "none" },
          priceUpdatedAt: Number(oracles[i].updatedAt),
        };
      }),
    ];
    const marketNames = markets.map((m) => m.name);
    const positions: Position[] = [];
    const positionSizes: Record<string, bigint> = {};
    for (const page of rawPages) decodePackedPositions(page.returnData, marketNames, collateralDecimals, positions, positionSizes);
    if (positions.length !== positionCount) throw new Error(`read ${positions.length} positions at block ${blockNumber}, the protocol reports ${positionCount}`);
    const risk: Snapshot = {
      protocol: this.protocolId,
      block: blockNumber,
      timestamp: header.timestamp,
      assets,
      markets: riskMarkets,
      positions,
      insuranceFund: toFloat(BigInt(state.insuranceFund), collateralDecimals),
    };
    return {
      risk,
      block: { number: blockNumber, hash: header.hash ?? "", timestamp: header.timestamp },
      markets: onchainMarkets,
      steward: this.stewardState(first[2] as boolean, deleverage, markets, boundsResult),
      positionSizes,
      recordedBadDebtUsd: toFloat(BigInt(state.badDebt), collateralDecimals),
    };
  }

  buildAction(action: ActionRequest, provenance: ActionProvenance): PopulatedAction {
    const tag = actionTag(provenance);
    const market = textToMarketId(action.market);
    let data: string;
    switch (action.kind) {
      case "setMarginRatios":
        data = this.steward.encodeFunctionData("updateMarginRatios", [market, action.expected, { imrBps: action.imrBps, mmrBps: action.mmrBps }, tag]);
        break;
      case "setOpenInterestCaps":
        data = this.steward.encodeFunctionData("updateOpenInterestCaps", [market, action.expected, { longCap: action.longCap, shortCap: action.shortCap }, tag]);
        break;
      case "deleverage":
        data = this.steward.encodeFunctionData("deleverage", [market, action.reductions.map((r) => ({ positionId: r.positionId, expectedSize: r.expectedSize, sizeDelta: r.sizeDelta })), tag]);
        break;
      default:
        throw new UnsupportedActionError("reference", action.kind);
    }
    return { to: this.opts.steward, data, value: 0n };
  }

  async readParams(market: string, blockNumber: number): Promise<Record<string, bigint>> {
    const id = textToMarketId(market);
    const [[imr, mmr], [longCap, shortCap]] = await this.reader
      .read<bigint[]>(
        [
          { target: this.opts.perps, iface: this.perps, method: "marginRatios", args: [id], decode: (r) => [BigInt(r[0]), BigInt(r[1])] },
          { target: this.opts.perps, iface: this.perps, method: "openInterestCaps", args: [id], decode: (r) => [BigInt(r[0]), BigInt(r[1])] },
        ],
        blockNumber,
      )
      .catch((e: unknown) => {
        throw (e as Error).message.includes("UnknownMarket") ? new UnknownMarketError(this.protocolId, market) : e;
      });
    return { IMR: imr, MMR: mmr, LONG_CAP: longCap, SHORT_CAP: shortCap };
  }

  private stewardState(frozen: boolean, deleverage: StewardState["deleverage"], markets: RawMarket[], r: Result): StewardState {
    return {
      address: this.opts.steward,
      frozen,
      bounds: decodeBoundsBatch(
        r,
        markets.map((m) => m.name),
        PARAMS,
      ),
      deleverage,
    };
  }
}

/** "ETH-USD" → "ETH": the traded asset a market's mark follows. */
export function baseOf(marketName: string): string {
  return marketName.split("-")[0];
}

const WAD = 10n ** 18n;
const MASK_64 = (1n << 64n) - 1n;
const MASK_128 = (1n << 128n) - 1n;

/**
 * Decodes getPositionsPacked's uint256[] (three words a position) straight from the hex: a
 * generic ABI decoder spends more time on a 10,000-position book than the node does reading it.
 */
export function decodePackedPositions(hex: string, marketNames: string[], collateralDecimals: number, out: Position[], sizes?: Record<string, bigint>): void {
  const body = hex.startsWith("0x") ? hex.slice(2) : hex;
  const word = (i: number) => BigInt(`0x${body.slice(i * 64, i * 64 + 64)}`);
  const length = Number(word(1));
  if (length % 3 !== 0 || body.length < (2 + length) * 64) throw new Error(`malformed getPositionsPacked result (${length} words)`);
  for (let w = 2; w < 2 + length; w += 3) {
    const w0 = word(w);
    const w1 = word(w + 1);
    const marketIndex = Number((w0 >> 224n) & 0xffffn);
    const market = marketNames[marketIndex];
    if (market === undefined) throw new Error(`position references market index ${marketIndex}, the protocol lists ${marketNames.length}`);
    const id = String((w0 >> 160n) & MASK_64);
    if (sizes) sizes[id] = w1 & MASK_128;
    out.push({
      id,
      account: `0x${body.slice(w * 64 + 24, w * 64 + 64)}`,
      market,
      side: (w0 >> 240n) & 1n ? 1 : -1,
      size: toFloat(w1 & MASK_128, 18),
      entryPrice: toFloat(w1 >> 128n, 18),
      collateral: toFloat(word(w + 2), collateralDecimals),
    });
  }
}
