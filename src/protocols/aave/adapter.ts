import { Interface, type Provider, type Result } from "ethers";
import type { ActionProvenance, ActionRequest } from "../../policy/actions";
import type { LendingAccount, LendingBook } from "../../policy/lending";
import type { Account, EModeCategory } from "../../risk/accounts/model";
import type { AssetState, MarketState, Snapshot } from "../../risk/snapshot";
import type { ProtocolAdapter } from "../adapter";
import type { OnchainMarketState, PopulatedAction, ProtocolSnapshot, StewardState } from "../../domain/protocol-state";
import { NoContractError, OracleAnswerError, UnsupportedActionError } from "../errors";
import { actionTag, decodeBoundsBatch } from "../steward-bounds";
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
  /** Accounts discovered from the Pool's events, caught up to each snapshot's block (an AaveAccountIndexer). */
  discovery?: { accountsAt(block: number): Promise<string[]> };
  /**
   * Max age, seconds, of each price source's last answer (its heartbeat), by source address; sources
   * not listed get `defaultSeconds`. An older answer is stale: the keeper does not act on it.
   */
  oracleHeartbeats?: OracleHeartbeats;
}

export interface OracleHeartbeats {
  defaultSeconds: number;
  sources?: Record<string, number>;
}

/** Chainlink's longest common heartbeat (stablecoin feeds): a source silent for longer is stale. */
export const DEFAULT_ORACLE_HEARTBEAT_SECONDS = 86_400;

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
  eModeCategory: number;
  /** Share of the bonus to the treasury, bps. */
  protocolFee: bigint;
}

/** A reserve priced within this of $1 is treated as a USD stablecoin in protocol-wide stress. */
const STABLE_PRICE_BAND = 0.02;

/**
 * Aave V3 read as a lending protocol (SPEC §1): each borrower is an `aaveV3` account whose
 * collateral legs are the reserves it supplies with usage as collateral on, and whose debt legs are
 * its stable plus variable debt per reserve; its eMode category, each reserve's eMode category,
 * bonus and protocol fee, and the categories' thresholds and bonuses come with the snapshot, so the
 * risk engine computes the health factor and liquidations by Aave's own rules (src/risk/accounts/aave.ts).
 * A scenario moves collateral and debt alike: a crash of the collateral shows.
 *
 * Each reserve is also a market (its asset's price is its mark) so that metrics keep their names per
 * market: svr of a reserve = threshold-valued collateral backing its debt ÷ that debt. A reserve
 * priced within 2 % of one dollar is taken for a USD stablecoin and does not move in a protocol-wide
 * stress (beta 0); every other reserve moves with it. Its IMR and MMR (1/LTV − 1 and 1/LT − 1 of the
 * collateral backing its debt, by value) are kept for the policy's margin view.
 */
export class AaveV3Adapter implements ProtocolAdapter {
  readonly protocolId: string;
  readonly chainId: bigint;
  private readonly pool: Interface;
  private readonly provider_: Interface;
  private readonly data: Interface;
  private readonly oracle: Interface;
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
    const [assets, baseUnit] = (await this.reader.read<unknown>(
      [c(poolAddress, this.pool, "getReservesList", [], (r) => [...(r[0] as string[])]), c(oracleAddress, this.oracle, "BASE_CURRENCY_UNIT", [], (r) => r[0] as bigint)],
      blockNumber,
    )) as [string[], bigint];
    const priceDecimals = decimalsOfUnit(baseUnit, oracleAddress);

    const dp = this.opts.dataProvider;
    const perReserve: TypedCall<unknown>[] = [];
    for (const a of assets) {
      perReserve.push(c(dp, this.data, "getReserveConfigurationData", [a], (r) => r));
      perReserve.push(c(dp, this.data, "getReserveCaps", [a], (r) => [r[0] as bigint, r[1] as bigint]));
      perReserve.push(c(dp, this.data, "getReserveData", [a], (r) => r));
      perReserve.push(c(oracleAddress, this.oracle, "getAssetPrice", [a], (r) => r[0] as bigint));
      perReserve.push(c(oracleAddress, this.oracle, "getSourceOfAsset", [a], (r) => r[0] as string));
      perReserve.push(c(dp, this.data, "getReserveEModeCategory", [a], (r) => Number(r[0])));
      perReserve.push(c(dp, this.data, "getLiquidationProtocolFee", [a], (r) => BigInt(r[0])));
    }
    const PER_RESERVE = 7;
    const discovered = this.opts.discovery ? await this.opts.discovery.accountsAt(blockNumber) : [];
    const users = discovered.length ? [...new Set([...this.opts.accounts.map((a) => a.toLowerCase()), ...discovered])] : this.opts.accounts;
    const perUser: TypedCall<unknown>[] = [];
    for (const u of users) for (const a of assets) perUser.push(c(dp, this.data, "getUserReserveData", [a, u], (r) => r));
    for (const u of users) perUser.push(c(poolAddress, this.pool, "getUserEMode", [u], (r) => Number(r[0])));
    const keys = assets.flatMap((a) => AAVE_PARAMS.map(() => marketKey(a)));
    const params = assets.flatMap(() => AAVE_PARAMS.map((p) => textToMarketId(p)));
    const boundsCall = c(this.opts.steward, this.steward, "getBoundsBatch", [keys, params], (r) => r);
    // Symbols from the data provider: it answers MKR's, whose token returns bytes32, not a string.
    const symbolsCall = c(dp, this.data, "getAllReservesTokens", [], (r) => new Map((r[0] as Result[]).map((t) => [String(t[1]).toLowerCase(), String(t[0])])));
    const second = await this.reader.read<unknown>([...perReserve, ...perUser, boundsCall, symbolsCall], blockNumber);
    const symbols = second[second.length - 1] as Map<string, string>;

    const reserves: Reserve[] = assets.map((asset, i) => {
      const [conf, caps, data, price, source, eModeCategory, protocolFee] = second.slice(i * PER_RESERVE, (i + 1) * PER_RESERVE) as [Result, [bigint, bigint], Result, bigint, string, number, bigint];
      return {
        asset,
        symbol: symbols.get(asset.toLowerCase()) ?? asset,
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
        eModeCategory,
        protocolFee,
      };
    });
    const userRows = second.slice(assets.length * PER_RESERVE, assets.length * PER_RESERVE + users.length * assets.length) as Result[];
    const userEModes = second.slice(assets.length * PER_RESERVE + users.length * assets.length, assets.length * PER_RESERVE + perUser.length) as number[];
    const bounds = second[second.length - 2] as Result;
    const categoryIds = [...new Set([...reserves.map((r) => r.eModeCategory), ...userEModes])].filter((id) => id !== 0);
    const third = await this.reader.read<unknown>(
      [
        ...reserves.map((r) => c(r.source, this.feed, "latestRoundData", [], (x) => x[3] as bigint)),
        ...categoryIds.map((id) => c(poolAddress, this.pool, "getEModeCategoryData", [id], (x) => x[0] as Result)),
      ],
      blockNumber,
    );
    const feeds = third.slice(0, reserves.length) as bigint[];
    const eModeCategories: EModeCategory[] = categoryIds.map((id, i) => {
      const data = third[reserves.length + i] as Result;
      return { id, liquidationThreshold: Number(data.liquidationThreshold) / 10_000, liquidationBonus: Math.max(0, Number(data.liquidationBonus) / 10_000 - 1) };
    });

    for (const r of reserves) if (r.price <= 0n) throw new OracleAnswerError(r.asset, r.source, r.price);
    const risk = this.toSnapshot(reserves, users, userRows, userEModes, eModeCategories, feeds, priceDecimals, blockNumber, header.timestamp);
    const categoryBps = new Map(
      categoryIds.map((id, i) => [id, { lt: BigInt((third[reserves.length + i] as Result).liquidationThreshold), bonus: BigInt((third[reserves.length + i] as Result).liquidationBonus) }]),
    );
    const terms: Terms = (u, i) => {
      const e = userEModes[u] !== 0 && reserves[i].eModeCategory === userEModes[u] ? categoryBps.get(userEModes[u]) : undefined;
      return e ? { ...e, reserveGoverned: false } : { lt: reserves[i].lt, bonus: reserves[i].bonus, reserveGoverned: true };
    };
    const lendingBook = lendingBookOf(
      reserves,
      users,
      userRows,
      terms,
      risk.assets.map((a) => a.price),
    );
    const markets: OnchainMarketState[] = reserves.map((r, i) => ({
      id: r.asset,
      label: r.symbol,
      params: { LTV: r.ltv, LIQ_THRESHOLD: r.lt, LIQ_BONUS: r.bonus, SUPPLY_CAP: r.supplyCap, BORROW_CAP: r.borrowCap, SUPPLIED: r.supplied, DEBT: r.debt, DECIMALS: BigInt(r.decimals) },
      oracle: { address: r.source, answer: r.price, decimals: priceDecimals, updatedAt: feeds[i], heartbeat: this.heartbeatOf(r.source) },
    }));
    return {
      risk,
      block: { number: blockNumber, hash: header.hash ?? "", timestamp: header.timestamp },
      markets,
      lendingBook,
      // Aave keeps no bad-debt ledger (3.0): what it cannot recover is debt left on accounts with no collateral.
      recordedBadDebtUsd: lendingBook.accounts.filter((a) => a.collateral.length === 0).reduce((s, a) => s + a.debt.reduce((t, d) => t + d.usd, 0), 0),
      steward: this.stewardState(frozen, reserves, bounds),
    };
  }

  private toSnapshot(
    reserves: Reserve[],
    users: string[],
    rows: Result[],
    userEModes: number[],
    eModeCategories: EModeCategory[],
    updatedAt: bigint[],
    priceDecimals: number,
    block: number,
    timestamp: number,
  ): Snapshot {
    const price = reserves.map((r) => toFloat(r.price, priceDecimals));
    const assets: AssetState[] = reserves.map((r, i) => ({
      id: r.asset,
      price: price[i],
      amount: toFloat(r.supplied, r.decimals),
      haircut: 1 - Number(r.lt) / 10_000,
      liquidity: { kind: "none" },
      priceUpdatedAt: Number(updatedAt[i]),
      beta: Math.abs(price[i] - 1) < STABLE_PRICE_BAND ? 0 : 1,
    }));
    const category = new Map(eModeCategories.map((c) => [c.id, c]));
    const accounts: Account[] = [];
    // Per debt market: value-weighted LT and LTV of the collateral backing it.
    const backing = reserves.map(() => ({ value: 0, lt: 0, ltv: 0 }));
    users.forEach((user, u) => {
      const account: Account = { id: user, family: "aaveV3", collateral: [], debts: [], eModeCategory: userEModes[u] };
      const userCategory = category.get(userEModes[u]);
      let collateral = 0;
      let ltWeighted = 0;
      let ltvWeighted = 0;
      const debtValues: { i: number; value: number }[] = [];
      reserves.forEach((r, i) => {
        const row = rows[u * reserves.length + i];
        const units = toFloat(BigInt(row.currentATokenBalance), r.decimals);
        if (row.usageAsCollateralEnabled && units > 0 && r.lt > 0n) {
          account.collateral.push({ asset: r.asset, amount: units });
          const inCategory = userCategory !== undefined && r.eModeCategory === userCategory.id;
          const v = units * price[i];
          collateral += v;
          ltWeighted += v * (inCategory ? userCategory.liquidationThreshold : Number(r.lt) / 10_000);
          ltvWeighted += v * (Number(r.ltv) / 10_000);
        }
        const debt = toFloat(BigInt(row.currentStableDebt) + BigInt(row.currentVariableDebt), r.decimals);
        if (debt > 0) {
          account.debts!.push({ asset: r.asset, amount: debt });
          debtValues.push({ i, value: debt * price[i] });
        }
      });
      const totalDebt = debtValues.reduce((s, d) => s + d.value, 0);
      for (const d of debtValues) {
        const share = d.value / totalDebt;
        backing[d.i].value += collateral * share;
        backing[d.i].lt += ltWeighted * share;
        backing[d.i].ltv += ltvWeighted * share;
      }
      if (account.collateral.length > 0 || account.debts!.length > 0) accounts.push(account);
    });
    const markets: MarketState[] = reserves.map((r, i) => {
      const lt = backing[i].value > 0 ? backing[i].lt / backing[i].value : Number(r.lt) / 10_000;
      const ltv = backing[i].value > 0 ? backing[i].ltv / backing[i].value : Number(r.ltv) / 10_000;
      // A reserve that is not collateral (LT 0) has no maintenance view: the widest the engine accepts.
      const mmr = lt > 0 ? Math.min(0.998, 1 / lt - 1) : 0.998;
      return {
        id: r.asset,
        asset: r.asset,
        mark: price[i],
        imr: Math.max(Math.min(1, ltv > 0 ? 1 / ltv - 1 : 1), Math.min(1, mmr + 0.001)),
        mmr,
        liquidationFee: Math.max(0, Number(r.bonus) / 10_000 - 1),
        oiCapLong: 0,
        oiCapShort: toFloat(r.borrowCap, 0) * price[i],
      };
    });
    const lending = {
      reserves: reserves.map((r) => ({
        asset: r.asset,
        liquidationThreshold: Number(r.lt) / 10_000,
        liquidationBonus: Math.max(0, Number(r.bonus) / 10_000 - 1),
        protocolFee: Number(r.protocolFee) / 10_000,
        eModeCategory: r.eModeCategory,
      })),
      eModeCategories,
    };
    return { protocol: this.protocolId, block, timestamp, assets, markets, positions: [], insuranceFund: 0, accounts, lending };
  }

  buildAction(action: ActionRequest, provenance: ActionProvenance): PopulatedAction {
    const tag = actionTag(provenance);
    const risk = (r: { ltvBps: bigint; liquidationThresholdBps: bigint; liquidationBonusBps: bigint }) => ({
      ltv: r.ltvBps,
      liquidationThreshold: r.liquidationThresholdBps,
      liquidationBonus: r.liquidationBonusBps,
    });
    switch (action.kind) {
      case "setReserveRisk":
        return { to: this.opts.steward, data: this.steward.encodeFunctionData("updateReserveRisk", [action.market, risk(action.expected), risk(action), tag]), value: 0n };
      case "setReserveCaps":
        return {
          to: this.opts.steward,
          data: this.steward.encodeFunctionData("updateReserveCaps", [action.market, action.expected, { supplyCap: action.supplyCap, borrowCap: action.borrowCap }, tag]),
          value: 0n,
        };
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

  private heartbeatOf(source: string): bigint {
    const hb = this.opts.oracleHeartbeats;
    const listed = hb?.sources && Object.entries(hb.sources).find(([a]) => a.toLowerCase() === source.toLowerCase());
    return BigInt(listed ? listed[1] : (hb?.defaultSeconds ?? DEFAULT_ORACLE_HEARTBEAT_SECONDS));
  }

  private stewardState(frozen: boolean, reserves: Reserve[], r: Result): StewardState {
    return {
      address: this.opts.steward,
      frozen,
      bounds: decodeBoundsBatch(
        r,
        reserves.map((x) => x.asset),
        AAVE_PARAMS,
      ),
      deleverage: {},
    };
  }
}

/** The threshold and bonus (bps) that apply to user u's holding of reserve i: its eMode category's when the user is in it. */
type Terms = (u: number, i: number) => { lt: bigint; bonus: bigint; reserveGoverned: boolean };

/** Each account's collateral (enabled, with a threshold) and debt in USD, with the terms that apply to each holding. */
function lendingBookOf(reserves: Reserve[], users: string[], rows: Result[], terms: Terms, price: number[]): LendingBook {
  const accounts: LendingAccount[] = [];
  users.forEach((account, u) => {
    const a: LendingAccount = { account, collateral: [], debt: [] };
    reserves.forEach((r, i) => {
      const row = rows[u * reserves.length + i];
      const t = terms(u, i);
      const supplied = toFloat(BigInt(row.currentATokenBalance), r.decimals) * price[i];
      if (row.usageAsCollateralEnabled && supplied > 0 && t.lt > 0n) {
        a.collateral.push({ reserve: r.asset, usd: supplied, liquidationThreshold: Number(t.lt) / 10_000, liquidationBonus: Number(t.bonus) / 10_000, reserveGoverned: t.reserveGoverned });
      }
      const owed = toFloat(BigInt(row.currentStableDebt) + BigInt(row.currentVariableDebt), r.decimals) * price[i];
      if (owed > 0) a.debt.push({ reserve: r.asset, usd: owed });
    });
    if (a.collateral.length || a.debt.length) accounts.push(a);
  });
  return { accounts };
}

/** Aave's oracle answers in units of BASE_CURRENCY_UNIT (1e8 for USD on Ethereum): its decimals. */
function decimalsOfUnit(unit: bigint, oracle: string): number {
  const digits = unit.toString();
  if (!/^10*$/.test(digits)) throw new Error(`AaveOracle ${oracle} reports BASE_CURRENCY_UNIT ${unit}, not a power of ten`);
  return digits.length - 1;
}

/** The steward's bounds key of a reserve: its address as bytes32. */
export function marketKey(asset: string): string {
  return `0x${asset.slice(2).toLowerCase().padStart(64, "0")}`;
}
