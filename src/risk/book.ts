import { compileAccounts, type CompiledAccounts } from "./accounts/compile";
import { compilePrefix, type PrefixIndex } from "./prefix-cascade";
import type { LiquidityModel, Snapshot } from "./snapshot";
import { validateSnapshot } from "./validate";

/**
 * A snapshot (or several protocols' snapshots) compiled once into columns, so that a grid of
 * scenarios reuses the same arrays and the same sort. Positions of each market and side are
 * ordered by liquidation price, the order in which a falling (longs) or rising (shorts) price
 * reaches them, so a cascade walks a pointer instead of re-scanning the book.
 */
export interface CompiledBook {
  protocols: { id: string; insuranceFund: number; block: number }[];
  assets: CompiledAsset[];
  markets: CompiledMarket[];
  /** Number of positions. */
  n: number;
  market: Int32Array;
  side: Int8Array;
  size: Float64Array;
  entry: Float64Array;
  collateral: Float64Array;
  /** Mark below which a long (above which a short) is under maintenance margin. */
  liqPrice: Float64Array;
  /**
   * Set when any snapshot has accounts: then every position and account runs through the account
   * cascade (isolated positions as one-exposure accounts); null keeps the isolated fast path.
   */
  accounts: CompiledAccounts | null;
  /** Prefix sums over the liquidation-price order, for the O(rounds · log N) cascade (or why the book does not allow it). */
  prefix: PrefixIndex;
}

export interface CompiledAsset {
  id: string;
  price: number;
  /** Units locked as collateral, per protocol index. */
  amountByProtocol: Float64Array;
  haircut: number;
  liquidity: LiquidityModel;
  /** Co-movement with a protocol-wide move, when the snapshot gives one. */
  beta?: number;
}

export interface CompiledMarket {
  id: string;
  protocol: number;
  asset: number;
  mark: number;
  /** mark ÷ asset price: a shock to the asset moves the mark by the same ratio. */
  basis: number;
  imr: number;
  mmr: number;
  liquidationFee: number;
  oiCapLong: number;
  oiCapShort: number;
  /** Longs by liquidation price, highest first (a falling price reaches them in this order). */
  longs: Int32Array;
  /** Shorts by liquidation price, lowest first. */
  shorts: Int32Array;
  longSize: number;
  shortSize: number;
}

export interface CompileOptions {
  /** Replaces a market's maintenance margin (fraction): what a higher MMR would do to the book. */
  mmrOverride?: Record<string, number>;
}

/**
 * Liquidation price of one position under maintenance ratio `mmr`.
 * Long:  c + q(P − e) < mmr·q·P  ⇔  P < (q·e − c) / (q(1 − mmr)).
 * Short: c + q(e − P) < mmr·q·P  ⇔  P > (c + q·e) / (q(1 + mmr)).
 */
export function liquidationPrice(side: 1 | -1, size: number, entry: number, collateral: number, mmr: number): number {
  return side === 1 ? (size * entry - collateral) / (size * (1 - mmr)) : (collateral + size * entry) / (size * (1 + mmr));
}

/** Compiles one snapshot; see compileBooks for several protocols sharing assets. */
export function compileBook(snapshot: Snapshot, opts: CompileOptions = {}): CompiledBook {
  return compileBooks([snapshot], opts);
}

/**
 * Compiles several protocols into one book. Assets with the same id are the same asset with one
 * pool: the first snapshot that lists it provides its price and liquidity (contagion runs them together).
 * Market ids must be unique across protocols; prefix them with the protocol id if they collide.
 */
export function compileBooks(snapshots: Snapshot[], opts: CompileOptions = {}): CompiledBook {
  snapshots.forEach(validateSnapshot);
  const protocols = snapshots.map((s) => ({ id: s.protocol, insuranceFund: s.insuranceFund, block: s.block }));
  const assetIndex = new Map<string, number>();
  const assets: CompiledAsset[] = [];
  snapshots.forEach((s, p) => {
    for (const a of s.assets) {
      let i = assetIndex.get(a.id);
      if (i === undefined) {
        i = assets.length;
        assetIndex.set(a.id, i);
        assets.push({ id: a.id, price: a.price, amountByProtocol: new Float64Array(snapshots.length), haircut: a.haircut, liquidity: a.liquidity, beta: a.beta });
      }
      assets[i].amountByProtocol[p] += a.amount;
    }
  });

  const marketIndex = new Map<string, number>();
  const markets: CompiledMarket[] = [];
  snapshots.forEach((s, p) => {
    for (const m of s.markets) {
      if (marketIndex.has(m.id)) throw new Error(`market id "${m.id}" appears in two protocols; prefix it with the protocol id`);
      marketIndex.set(m.id, markets.length);
      const asset = assetIndex.get(m.asset) as number;
      const mmr = opts.mmrOverride?.[m.id] ?? m.mmr;
      markets.push({
        id: m.id,
        protocol: p,
        asset,
        mark: m.mark,
        basis: m.mark / assets[asset].price,
        imr: m.imr,
        mmr,
        liquidationFee: m.liquidationFee,
        oiCapLong: m.oiCapLong,
        oiCapShort: m.oiCapShort,
        longs: new Int32Array(0),
        shorts: new Int32Array(0),
        longSize: 0,
        shortSize: 0,
      });
    }
  });

  const n = snapshots.reduce((acc, s) => acc + s.positions.length, 0);
  const book: CompiledBook = {
    protocols,
    assets,
    markets,
    n,
    market: new Int32Array(n),
    side: new Int8Array(n),
    size: new Float64Array(n),
    entry: new Float64Array(n),
    collateral: new Float64Array(n),
    liqPrice: new Float64Array(n),
    accounts: null,
    prefix: { kind: "unavailable", reason: "not compiled yet" },
  };
  const longCount = new Int32Array(markets.length);
  const shortCount = new Int32Array(markets.length);
  let k = 0;
  for (const s of snapshots) {
    for (const pos of s.positions) {
      const m = marketIndex.get(pos.market) as number;
      book.market[k] = m;
      book.side[k] = pos.side;
      book.size[k] = pos.size;
      book.entry[k] = pos.entryPrice;
      book.collateral[k] = pos.collateral;
      book.liqPrice[k] = liquidationPrice(pos.side, pos.size, pos.entryPrice, pos.collateral, markets[m].mmr);
      if (pos.side === 1) {
        longCount[m]++;
        markets[m].longSize += pos.size;
      } else {
        shortCount[m]++;
        markets[m].shortSize += pos.size;
      }
      k++;
    }
  }
  markets.forEach((m, i) => {
    m.longs = new Int32Array(longCount[i]);
    m.shorts = new Int32Array(shortCount[i]);
  });
  const fillL = new Int32Array(markets.length);
  const fillS = new Int32Array(markets.length);
  for (let i = 0; i < n; i++) {
    const m = book.market[i];
    if (book.side[i] === 1) markets[m].longs[fillL[m]++] = i;
    else markets[m].shorts[fillS[m]++] = i;
  }
  const lp = book.liqPrice;
  for (const m of markets) {
    m.longs.sort((a, b) => lp[b] - lp[a] || a - b);
    m.shorts.sort((a, b) => lp[a] - lp[b] || a - b);
  }
  if (snapshots.some((s) => (s.accounts?.length ?? 0) > 0)) book.accounts = compileAccounts(snapshots, assets, markets, assetIndex, marketIndex);
  book.prefix = book.accounts ? { kind: "unavailable", reason: "an account book (cross-margin or lending) runs the account cascade" } : compilePrefix(book);
  return book;
}
