import type { LiquidityModel } from "./snapshot";

/** The result of closing positions against an asset's liquidity in one cascade round. */
export interface Fill {
  /** Average execution price of the base traded (quote per base): includes slippage. */
  avgPrice: number;
  /** Price after the trade; the next round's mark. */
  newPrice: number;
  /** Base that found no liquidity (a depth table that ran out): recovers nothing. */
  unfilled: number;
}

/** An asset's market during one scenario: trades move its price. */
export interface Venue {
  readonly price: number;
  /** Positive: sell base (closing longs); negative: buy base (closing shorts). */
  trade(netBaseSold: number): Fill;
}

/**
 * A venue that many scenarios reuse (Value at Risk runs 10,000): `reopen` re-centres it at a new
 * price as openVenue would, and `tradeInto` writes the fill into out = [avgPrice, newPrice, unfilled],
 * so a cascade allocates nothing. `trade` and `tradeInto` are one computation.
 */
export interface ReusableVenue extends Venue {
  reopen(price: number): void;
  tradeInto(netBaseSold: number, out: Float64Array): void;
}

/**
 * A venue for `model` re-centred at `price`: a scenario's shock is assumed arbitraged into the pool
 * before liquidations start, so the pool keeps its depth (k, or its relative depth table) and
 * starts at the shocked oracle price. `referencePrice` is the price the depth table was read at.
 */
export function openVenue(model: LiquidityModel, price: number, referencePrice: number): ReusableVenue {
  switch (model.kind) {
    case "constantProduct":
      return new ConstantProductVenue(model.baseReserve * model.quoteReserve, price);
    case "depthTable":
      return new DepthTableVenue(model.levels, price, referencePrice);
    case "none":
      return new InfiniteVenue(price);
  }
}

const fillOf = (out: Float64Array): Fill => ({ avgPrice: out[0], newPrice: out[1], unfilled: out[2] });

class InfiniteVenue implements ReusableVenue {
  constructor(public price: number) {}
  reopen(price: number): void {
    this.price = price;
  }
  trade(): Fill {
    return { avgPrice: this.price, newPrice: this.price, unfilled: 0 };
  }
  tradeInto(_netBaseSold: number, out: Float64Array): void {
    out[0] = this.price;
    out[1] = this.price;
    out[2] = 0;
  }
}

/** Share of a constant-product pool's base reserve one round may buy. */
export const MAX_BUY_SHARE = 0.5;

/** x·y = k, centred at the current price: x = √(k/P), y = √(kP). */
class ConstantProductVenue implements ReusableVenue {
  private x = 0;
  private y = 0;
  private readonly out = new Float64Array(3);

  constructor(
    private readonly k: number,
    price: number,
  ) {
    this.reopen(price);
  }

  reopen(price: number): void {
    this.x = Math.sqrt(this.k / price);
    this.y = Math.sqrt(this.k * price);
  }

  get price(): number {
    return this.y / this.x;
  }

  trade(netBaseSold: number): Fill {
    this.tradeInto(netBaseSold, this.out);
    return fillOf(this.out);
  }

  tradeInto(netBaseSold: number, out: Float64Array): void {
    if (netBaseSold === 0) {
      out[0] = out[1] = this.price;
      out[2] = 0;
      return;
    }
    if (netBaseSold > 0) {
      const x1 = this.x + netBaseSold;
      const y1 = this.k / x1;
      out[0] = (this.y - y1) / netBaseSold;
      this.x = x1;
      this.y = y1;
      out[1] = y1 / x1;
      out[2] = 0;
      return;
    }
    // Buying base: the pool is not drained past half its base reserve (the price at most quadruples
    // in one round); what it cannot supply is unfilled and costed by the cascade's penalty rule.
    const want = -netBaseSold;
    const maxFill = this.x * MAX_BUY_SHARE;
    const filled = Math.min(want, maxFill);
    const x1 = this.x - filled;
    const y1 = this.k / x1;
    out[0] = (y1 - this.y) / filled;
    this.x = x1;
    this.y = y1;
    out[1] = y1 / x1;
    out[2] = want - filled;
  }
}

/**
 * A concentrated-liquidity depth table: `levels[i].baseLiquidity` base units are spread evenly over
 * prices [levels[i].price, levels[i+1].price) (the last level only closes the table). Selling walks
 * bands down, buying walks them up; past either end there is no liquidity: the rest is unfilled and
 * the price stops at the table's edge.
 */
class DepthTableVenue implements ReusableVenue {
  private readonly prices: Float64Array;
  private readonly density: Float64Array; // base per unit of price in band i
  private current = 0;
  private readonly out = new Float64Array(3);

  constructor(
    private readonly levels: { price: number; baseLiquidity: number }[],
    price: number,
    private readonly referencePrice: number,
  ) {
    this.prices = new Float64Array(levels.length);
    this.density = new Float64Array(levels.length);
    this.reopen(price);
  }

  reopen(price: number): void {
    const { levels, prices, density } = this;
    const n = levels.length;
    const scale = price / this.referencePrice;
    for (let i = 0; i < n; i++) prices[i] = levels[i].price * scale;
    for (let i = 0; i < n - 1; i++) density[i] = levels[i].baseLiquidity / (prices[i + 1] - prices[i]);
    this.current = price;
  }

  get price(): number {
    return this.current;
  }

  trade(netBaseSold: number): Fill {
    this.tradeInto(netBaseSold, this.out);
    return fillOf(this.out);
  }

  tradeInto(netBaseSold: number, out: Float64Array): void {
    if (netBaseSold === 0) {
      out[0] = out[1] = this.current;
      out[2] = 0;
    } else if (netBaseSold > 0) this.sell(netBaseSold, out);
    else this.buy(-netBaseSold, out);
  }

  private band(p: number): number {
    // Index i with prices[i] ≤ p < prices[i+1]; -1 below the table, n-1 at or above its top.
    let lo = -1;
    let hi = this.prices.length - 1;
    if (p < this.prices[0]) return -1;
    if (p >= this.prices[hi]) return hi;
    lo = 0;
    while (hi - lo > 1) {
      const mid = (lo + hi) >> 1;
      if (this.prices[mid] <= p) lo = mid;
      else hi = mid;
    }
    return lo;
  }

  private sell(amount: number, out: Float64Array): void {
    let left = amount;
    let proceeds = 0;
    let p = this.current;
    let i = this.band(p);
    if (i === this.prices.length - 1 && p > this.prices[i]) i = this.prices.length - 1; // above the table: no band until its top
    while (left > 0 && i >= 0) {
      const lower = this.prices[i];
      const d = i < this.prices.length - 1 ? this.density[i] : 0;
      const available = d * (p - lower);
      if (available >= left && d > 0) {
        const p1 = p - left / d;
        proceeds += left * (p + p1) * 0.5;
        p = p1;
        left = 0;
      } else {
        proceeds += available * (p + lower) * 0.5;
        left -= available;
        p = lower;
        i -= 1;
      }
    }
    this.current = p;
    const filled = amount - left;
    out[0] = filled > 0 ? proceeds / filled : p;
    out[1] = p;
    out[2] = left;
  }

  private buy(amount: number, out: Float64Array): void {
    let left = amount;
    let cost = 0;
    let p = this.current;
    let i = this.band(p);
    const top = this.prices.length - 1;
    if (i < 0) {
      p = this.prices[0];
      i = 0;
    }
    while (left > 0 && i < top) {
      const upper = this.prices[i + 1];
      const d = this.density[i];
      const available = d * (upper - p);
      if (available >= left && d > 0) {
        const p1 = p + left / d;
        cost += left * (p + p1) * 0.5;
        p = p1;
        left = 0;
      } else {
        cost += available * (p + upper) * 0.5;
        left -= available;
        p = upper;
        i += 1;
      }
    }
    this.current = p;
    const filled = amount - left;
    out[0] = filled > 0 ? cost / filled : p;
    out[1] = p;
    out[2] = left;
  }
}
