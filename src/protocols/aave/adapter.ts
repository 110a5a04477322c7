import { Interface, type Provider, type Result } from "ethers";
import type { ActionProvenance, ActionRequest } from "../../policy/actions";
import type { AssetState, MarketState, Position, Snapshot } from "../../risk/snapshot";
import type { ProtocolAdapter } from "../adapter";
import type { OnchainMarketState, PopulatedAction, ProtocolSnapshot, StewardState } from "../../domain/protocol-state";
import { NoContractError, OracleAnswerError, UnsupportedActionError } from "../errors";
import { decodeBoundsBatch } from "../steward-bounds";
import { MulticallReader, type TypedCall } from "../multicall";
import { textToMarketId, toFloat } from "../units";
import { aaveInterface, ourInterface } from "../../abi";

export interface AaveAdapterOptions {
  protocolId: string;
  chainId: bigint;
  addressesProvider: string;
  dataProvider: string;
  steward: string;
  multicall: string;
  /** Aave keeps no list of borrowers on-chain: the accounts whose positions are read. */
  accounts: string[];
}

export const AAVE_PARAMS = ["LTV", "LIQ_THRESHOLD", "LIQ_BONUS", "SUPPLY_CAP", "BORROW_CAP"] as const;

interface Reserve {
  asset: string;
  symbol: string;
  decimals: number;
  ltv: bigint;
  lt: bigint;
  bonus: bigint;
  borrowCap: bigint;
  supplyCap: bigint;
  supplied: bigint;
  debt: bigint;
  price: bigint;
  source: string;
}

/**
 * Aave V3 read as a margin protocol (SPEC §1): supplied collateral is the collateral, borrowed
 * value is the exposure, and 1 − liquidation threshold is the haircut.
 *
 * Positions: each borrower's debt in each reserve is a short of that asset (a rise in the borrowed
 * asset is what hurts), sized in tokens, entered at the current price, with the borrower's collateral
 * allocated across their debts by value (collateral of the position = allocated collateral − debt value,
 * so that its equity is the borrower's true equity). Each debt market's maintenance ratio is
 * 1/LT̄ − 1, where LT̄ is the liquidation threshold of the collateral backing that market's debt,
 * averaged by value: then "equity < maintenance" is exactly Aave's "health factor < 1" for a borrower
 * with one kind of collateral. Limitation: collateral is held at its current USD value, so a stress
 * shock moves the borrowed assets, not the collateral; borrowers with several collateral assets are
 * approximated by their average threshold.
 */
export class AaveV3Adapter implements ProtocolAdapter {
  readonly protocolId: string;
  readonly chainId: bigint;
  private readonly pool: Interface;
  private readonly provider_: Interface;
  private readonly data: Interface;
  private readonly oracle: Interface;
  private readonly erc20: Interface;
  private readonly feed: Interface;
  private readonly steward: Interface;
  private readonly reader: MulticallReader;

  constructor(
    private readonly provider: Provider,
    private readonly opts: AaveAdapterOptions,
  ) {
    this.protocolId = opts.protocolId;
    this.chainId = opts.chainId;
    this.pool = aaveInterface("Pool");
    this.provider_ = aaveInterface("PoolAddressesProvider");
    this.data = aaveInterface("AaveProtocolDataProvider");
    this.oracle = aaveInterface("AaveOracle");
    this.erc20 = aaveInterface("MintableERC20");
    this.feed = ourInterface("MockV3Aggregator");
    this.steward = ourInterface("AaveRiskSteward");
    this.reader = new MulticallReader(provider, opts.multicall, { pageSize: 400 });
  }

  async verifyDeployment(): Promise<void> {
    const roles: [string, string][] = [
      ["addresses provider", this.opts.addressesProvider],
      ["data provider", this.opts.dataProvider],
      ["steward", this.opts.steward],
      ["multicall", this.opts.multicall],
    ];
    const codes = await Promise.all(roles.map(([, a]) => this.provider.getCode(a)));
    codes.forEach((code, i) => {
      if (code === "0x") throw new NoContractError(roles[i][0], roles[i][1], this.chainId);
    });
  }

  async readSnapshot(blockNumber: number): Promise<ProtocolSnapshot> {
    const c = <T>(target: string, iface: Interface, method: string, args: readonly unknown[], decode: (r: Result) => T): TypedCall<T> => ({ target, iface, method, args, decode });
    const ap = this.opts.addressesProvider;
    const [header, first] = await Promise.all([
      this.provider.getBlock(blockNumber),
      this.reader.read<unknown>(
        [
          c(ap, this.provider_, "getPool", [], (r) => r[0] as string),
          c(ap, this.provider_, "getPriceOracle", [], (r) => r[0] as string),
          c(this.opts.steward, this.steward, "frozen", [], (r) => r[0] as boolean),
        ],
        blockNumber,
      ),
    ]);
    if (!header) throw new Error(`block ${blockNumber} not found`);
    const [poolAddress, oracleAddress, frozen] = first as [string, string, boolean];
    const [assets] = await this.reader.read([c(poolAddress, this.pool, "getReservesList", [], (r) => [...(r[0] as string[])])], blockNumber);

    const dp = this.opts.dataProvider;
    const perReserve: TypedCall<unknown>[] = [];
    for (const a of assets) {
      perReserve.push(c(dp, this.data, "getReserveConfigurationData", [a], (r) => r));
      perReserve.push(c(dp, this.data, "getReserveCaps", [a], (r) => [r[0] as bigint, r[1] as bigint]));
      perReserve.push(c(dp, this.data, "getReserveData", [a], (r) => r));
      perReserve.push(c(oracleAddress, this.oracle, "getAssetPrice", [a], (r) => r[0] as bigint));
      perReserve.push(c(oracleAddress, this.oracle, "getSourceOfAsset", [a], (r) => r[0] as string));
      perReserve.push(c(a, this.erc20, "symbol", [], (r) => r[0] as string));
    }
    const users = this.opts.accounts;
    const perUser: TypedCall<unknown>[] = [];
    for (const u of users) for (const a of assets) perUser.push(c(dp, this.data, "getUserReserveData", [a, u], (r) => r));
    const keys = assets.flatMap((a) => AAVE_PARAMS.map(() => marketKey(a)));
    const params = assets.flatMap(() => AAVE_PARAMS.map((p) => textToMarketId(p)));
    const boundsCall = c(this.opts.steward, this.steward, "getBoundsBatch", [keys, params], (r) => r);
    const second = await this.reader.read<unknown>([...perReserve, ...perUser, boundsCall], blockNumber);

    const reserves: Reserve[] = assets.map((asset, i) => {
      const [conf, caps, data, price, source, symbol] = second.slice(i * 6, i * 6 + 6) as [Result, [bigint, bigint], Result, bigint, string, string];
      return {
        asset,
        symbol,
        decimals: Number(conf.decimals),
        ltv: BigInt(conf.ltv),
        lt: BigInt(conf.liquidationThreshold),
        bonus: BigInt(conf.liquidationBonus),
        borrowCap: caps[0],
        supplyCap: caps[1],
        supplied: BigInt(data.totalAToken),
        debt: BigInt(data.totalStableDebt) + BigInt(data.totalVariableDebt),
        price,
        source,
      };
    });
    const userRows = second.slice(assets.length * 6, assets.length * 6 + perUser.length) as Result[];
    const bounds = second[second.length - 1] as Result;
    const feeds = await this.reader.read(
      reserves.map((r) => c(r.source, this.feed, "latestRoundData", [], (x) => x[3] as bigint)),
      blockNumber,
    );

    for (const r of reserves) if (r.price <= 0n) throw new OracleAnswerError(r.symbol, r.source, r.price);
    const risk = this.toSnapshot(reserves, users, userRows, feeds, blockNumber, header.timestamp);
    const markets: OnchainMarketState[] = reserves.map((r, i) => ({
      id: r.symbol,
      params: { LTV: r.ltv, LIQ_THRESHOLD: r.lt, LIQ_BONUS: r.bonus, SUPPLY_CAP: r.supplyCap, BORROW_CAP: r.borrowCap, SUPPLIED: r.supplied, DEBT: r.debt },
      oracle: { address: r.source, answer: r.price, decimals: 8, updatedAt: feeds[i] },
    }));
    return {
      risk,
      block: { number: blockNumber, hash: header.hash ?? "", timestamp: header.timestamp },
      markets,
      steward: this.stewardState(frozen, reserves, bounds),
    };
  }

  private toSnapshot(reserves: Reserve[], users: string[], rows: Result[], updatedAt: bigint[], block: number, timestamp: number): Snapshot {
    const price = reserves.map((r) => toFloat(r.price, 8));
    const assets: AssetState[] = reserves.map((r, i) => ({
      id: r.symbol,
      price: price[i],
      amount: toFloat(r.supplied, r.decimals),
      haircut: 1 - Number(r.lt) / 10_000,
      liquidity: { kind: "none" },
      priceUpdatedAt: Number(updatedAt[i]),
    }));
    const positions: Position[] = [];
    // Per debt market: value-weighted LT and LTV of the collateral backing it.
    const backing = reserves.map(() => ({ value: 0, lt: 0, ltv: 0 }));
    users.forEach((user, u) => {
      let collateral = 0;
      let ltWeighted = 0;
      let ltvWeighted = 0;
      const debts: { i: number; units: number; value: number }[] = [];
      reserves.forEach((r, i) => {
        const row = rows[u * reserves.length + i];
        const supplied = toFloat(BigInt(row.currentATokenBalance), r.decimals) * price[i];
        if (row.usageAsCollateralEnabled && supplied > 0 && r.lt > 0n) {
          collateral += supplied;
          ltWeighted += supplied * (Number(r.lt) / 10_000);
          ltvWeighted += supplied * (Number(r.ltv) / 10_000);
        }
        const units = toFloat(BigInt(row.currentStableDebt) + BigInt(row.currentVariableDebt), r.decimals);
        if (units > 0) debts.push({ i, units, value: units * price[i] });
      });
      const totalDebt = debts.reduce((s, d) => s + d.value, 0);
      for (const d of debts) {
        const share = d.value / totalDebt;
        backing[d.i].value += collateral * share;
        backing[d.i].lt += ltWeighted * share;
        backing[d.i].ltv += ltvWeighted * share;
        positions.push({
          id: `${user}:${reserves[d.i].asset}`,
          account: user,
          market: reserves[d.i].symbol,
          side: -1,
          size: d.units,
          entryPrice: price[d.i],
          collateral: Math.max(0, collateral * share - d.value),
        });
      }
    });
    const markets: MarketState[] = reserves.map((r, i) => {
      const lt = backing[i].value > 0 ? backing[i].lt / backing[i].value : Number(r.lt) / 10_000;
      const ltv = backing[i].value > 0 ? backing[i].ltv / backing[i].value : Number(r.ltv) / 10_000;
      return {
        id: r.symbol,
        asset: r.symbol,
        mark: price[i],
        imr: ltv > 0 ? Math.min(1, 1 / ltv - 1) : 1,
        mmr: lt > 0 ? Math.min(0.999, 1 / lt - 1) : 0.999,
        liquidationFee: Math.max(0, Number(r.bonus) / 10_000 - 1),
        oiCapLong: 0,
        oiCapShort: toFloat(r.borrowCap, 0) * price[i],
      };
    });
    return { protocol: this.protocolId, block, timestamp, assets, markets, positions, insuranceFund: 0 };
  }

  buildAction(action: ActionRequest, provenance: ActionProvenance): PopulatedAction {
    const { idempotencyKey: key, evidenceHash: evidence } = provenance;
    switch (action.kind) {
      case "setReserveRisk":
        return {
          to: this.opts.steward,
          data: this.steward.encodeFunctionData("updateReserveRisk", [action.market, action.ltvBps, action.liquidationThresholdBps, action.liquidationBonusBps, key, evidence]),
          value: 0n,
        };
      case "setReserveCaps":
        return { to: this.opts.steward, data: this.steward.encodeFunctionData("updateReserveCaps", [action.market, action.supplyCap, action.borrowCap, key, evidence]), value: 0n };
      default:
        throw new UnsupportedActionError("aaveV3", action.kind);
    }
  }

  /** `market` is the reserve's asset address. */
  async readParams(market: string, blockNumber: number): Promise<Record<string, bigint>> {
    const dp = this.opts.dataProvider;
    const [conf, caps] = await this.reader.read<Result>(
      [
        { target: dp, iface: this.data, method: "getReserveConfigurationData", args: [market], decode: (r) => r },
        { target: dp, iface: this.data, method: "getReserveCaps", args: [market], decode: (r) => r },
      ],
      blockNumber,
    );
    return { LTV: BigInt(conf.ltv), LIQ_THRESHOLD: BigInt(conf.liquidationThreshold), LIQ_BONUS: BigInt(conf.liquidationBonus), SUPPLY_CAP: BigInt(caps[1]), BORROW_CAP: BigInt(caps[0]) };
  }

  private stewardState(frozen: boolean, reserves: Reserve[], r: Result): StewardState {
    return { address: this.opts.steward, frozen, bounds: decodeBoundsBatch(r, reserves.map((x) => x.symbol), AAVE_PARAMS), maxDeleverageNotional: 0n };
  }

}

/** The steward's bounds key of a reserve: its address as bytes32. */
export function marketKey(asset: string): string {
  return `0x${asset.slice(2).toLowerCase().padStart(64, "0")}`;
}
