import { Contract, MaxUint256, type Interface, type Provider, type Result, type Signer } from "ethers";
import { aaveAbi } from "../abi";
import { MulticallReader } from "../protocols/multicall";
import { toFloat } from "../protocols/units";
import { headOf } from "../rpc/reads";

/** One liquidation the bot made: what it repaid and what it took, in token units and USD at the oracle. */
export interface AaveLiquidation {
  account: string;
  debtAsset: string;
  collateralAsset: string;
  collateralSymbol: string;
  repaidUsd: number;
  seizedUsd: number;
  /** Collateral received, in the collateral token's smallest unit, and its decimals. */
  seized: bigint;
  collateralDecimals: number;
}

interface ReserveInfo {
  asset: string;
  symbol: string;
  decimals: number;
  token: Contract;
}

const ONE = 10n ** 18n;
/** Aave V3.0: at or below this health factor a liquidation may repay all the debt. */
const CLOSE_FACTOR_HF_THRESHOLD = 95n * 10n ** 16n;

/**
 * A profit-seeking liquidator on the rehearsal chain: each step it reads every known account's
 * health factor and calls the real `Pool.liquidationCall` on each one under 1, for as much as the
 * close factor allows (half the debt, all of it under 0.95), choosing the debt and collateral pair
 * that pays it the most bonus. It mints the debt it repays (the rehearsal's tokens are mintable; on a
 * fork of a live chain, whose tokens are not, it liquidates nothing) and keeps the collateral, which
 * the world then sells.
 */
export class AaveLiquidatorBot {
  private constructor(
    private readonly provider: Provider,
    private readonly pool: Contract,
    private readonly data: Contract,
    private readonly oracle: Contract,
    private readonly reader: MulticallReader,
    private readonly reserves: ReserveInfo[],
    private readonly accounts: string[],
    private readonly priceDecimals: number,
  ) {}

  static async open(provider: Provider, target: { addressesProvider: string; dataProvider: string; multicall: string; accounts: string[] }): Promise<AaveLiquidatorBot> {
    const addresses = new Contract(target.addressesProvider, aaveAbi("PoolAddressesProvider"), provider);
    const pool = new Contract(await addresses.getPool(), aaveAbi("Pool"), provider);
    const oracle = new Contract(await addresses.getPriceOracle(), aaveAbi("AaveOracle"), provider);
    const data = new Contract(target.dataProvider, aaveAbi("AaveProtocolDataProvider"), provider);
    const reserves: ReserveInfo[] = [];
    for (const { symbol, tokenAddress } of await data.getAllReservesTokens()) {
      const conf = await data.getReserveConfigurationData(tokenAddress);
      reserves.push({ asset: tokenAddress, symbol, decimals: Number(conf.decimals), token: new Contract(tokenAddress, aaveAbi("MintableERC20"), provider) });
    }
    const priceDecimals = ((await oracle.BASE_CURRENCY_UNIT()) as bigint).toString().length - 1;
    return new AaveLiquidatorBot(provider, pool, data, oracle, new MulticallReader(provider, target.multicall, { pageSize: 400 }), reserves, target.accounts, priceDecimals);
  }

  /** Liquidates every account under health factor 1 once, each at the close factor; returns what was done. */
  async run(liquidator: Signer): Promise<AaveLiquidation[]> {
    const head = await headOf(this.provider);
    const poolIface = this.pool.interface as Interface;
    const health = await this.reader.read(
      this.accounts.map((a) => ({
        target: this.pool.target as string,
        iface: poolIface,
        method: "getUserAccountData",
        args: [a],
        decode: (r: Result) => ({ collateral: r[0] as bigint, debt: r[1] as bigint, hf: r[5] as bigint }),
      })),
      head,
    );
    const underwater = this.accounts.filter((_, i) => health[i].debt > 0n && health[i].collateral > 0n && health[i].hf < ONE);
    const done: AaveLiquidation[] = [];
    if (underwater.length === 0) return done;
    const dataIface = this.data.interface as Interface;
    const oracleIface = this.oracle.interface as Interface;
    const prices = await this.reader.read(
      this.reserves.map((r) => ({ target: this.oracle.target as string, iface: oracleIface, method: "getAssetPrice", args: [r.asset], decode: (x: Result) => x[0] as bigint })),
      head,
    );
    const bonuses = await this.reader.read(
      this.reserves.map((r) => ({
        target: this.data.target as string,
        iface: dataIface,
        method: "getReserveConfigurationData",
        args: [r.asset],
        decode: (x: Result) => Number(x.liquidationBonus) / 10_000,
      })),
      head,
    );
    const who = await liquidator.getAddress();
    for (const account of underwater) {
      const rows = await this.reader.read(
        this.reserves.map((r) => ({ target: this.data.target as string, iface: dataIface, method: "getUserReserveData", args: [r.asset, account], decode: (x: Result) => x })),
        await headOf(this.provider),
      );
      const hf = health[this.accounts.indexOf(account)].hf;
      const closeFactor = hf <= CLOSE_FACTOR_HF_THRESHOLD ? 1 : 0.5;
      const usd = (i: number, amount: bigint) => toFloat(amount, this.reserves[i].decimals) * toFloat(prices[i], this.priceDecimals);
      const debts = rows.map((x, i) => ({ i, owed: BigInt(x.currentVariableDebt) + BigInt(x.currentStableDebt) })).filter((d) => d.owed > 0n);
      const collaterals = rows.map((x, i) => ({ i, held: BigInt(x.currentATokenBalance), on: Boolean(x.usageAsCollateralEnabled) })).filter((c) => c.on && c.held > 0n && bonuses[c.i] > 1);
      // The pair that pays the most: bonus earned on what can actually be seized.
      let best: { d: number; c: number; owed: bigint; profit: number } | undefined;
      for (const d of debts) {
        for (const c of collaterals) {
          const seizable = Math.min(usd(c.i, c.held), usd(d.i, d.owed) * closeFactor * bonuses[c.i]);
          const profit = seizable * (1 - 1 / bonuses[c.i]);
          if (!best || profit > best.profit) best = { d: d.i, c: c.i, owed: d.owed, profit };
        }
      }
      if (!best) continue;
      const debt = this.reserves[best.d];
      const collateral = this.reserves[best.c];
      const debtToken = debt.token.connect(liquidator) as Contract;
      try {
        await (await debtToken["mint(address,uint256)"](who, best.owed)).wait();
      } catch {
        continue; // not a mintable token (a fork of a live chain): this bot cannot fund the repayment
      }
      await (await debtToken.approve(this.pool.target, best.owed)).wait();
      const debtBefore = (await debt.token.balanceOf(who, { blockTag: await headOf(this.provider) })) as bigint;
      const collBefore = (await collateral.token.balanceOf(who, { blockTag: await headOf(this.provider) })) as bigint;
      try {
        // MaxUint256: as much as the close factor allows; receive the underlying, not aTokens, to sell it.
        await (await (this.pool.connect(liquidator) as Contract).liquidationCall(collateral.asset, debt.asset, account, MaxUint256, false)).wait();
      } catch {
        continue; // e.g. the account was already made healthy by an earlier liquidation's price move
      }
      const at = { blockTag: await headOf(this.provider) };
      const repaid = debtBefore - ((await debt.token.balanceOf(who, at)) as bigint);
      const seized = ((await collateral.token.balanceOf(who, at)) as bigint) - collBefore;
      done.push({
        account,
        debtAsset: debt.asset,
        collateralAsset: collateral.asset,
        collateralSymbol: collateral.symbol,
        repaidUsd: usd(best.d, repaid),
        seizedUsd: usd(best.c, seized),
        seized,
        collateralDecimals: collateral.decimals,
      });
    }
    return done;
  }
}
