import { expect } from "chai";
import { priceJumps } from "../../../src/keeper/price-jump";
import type { Snapshot } from "../../../src/risk";

/** One market on SOL whose oracle reads `mark`; a constant-product pool pricing SOL at `pool` (none when undefined). */
function book(mark: number, pool?: number): Pick<Snapshot, "markets" | "assets"> {
  return {
    markets: [{ id: "SOL-USD", asset: "SOL", mark, imr: 0.1, mmr: 0.05, liquidationFee: 0.01, oiCapLong: 1e9, oiCapShort: 1e9 }],
    assets: [
      {
        id: "SOL",
        price: mark,
        amount: 0,
        haircut: 0,
        liquidity: pool === undefined ? { kind: "none" } : { kind: "constantProduct", baseReserve: 10_000, quoteReserve: 10_000 * pool },
      },
    ],
  };
}

describe("price jumps: a bad oracle answer is not acted on, a real crash is once confirmed", () => {
  it("lets a move within the bound through", () => {
    expect(priceJumps(book(180, 180), { "SOL-USD": 200 }, 0.5)).to.deep.equal([]);
  });

  it("acts on a −55 % crash at once when the market's own spot pool has fallen with it", () => {
    // The crash-thin-liquidity cascade: SOL's oracle (following its drained pool) from $200 to $90, the pool at $85.
    expect(priceJumps(book(90, 85), { "SOL-USD": 200 }, 0.5)).to.deep.equal([{ market: "SOL-USD", from: 200, to: 90, confirmedByPool: true }]);
  });

  it("holds a one-observation spike the pool does not show: the oracle says $90, the pool still $198", () => {
    expect(priceJumps(book(90, 198), { "SOL-USD": 200 }, 0.5)).to.deep.equal([{ market: "SOL-USD", from: 200, to: 90, confirmedByPool: false }]);
  });

  it("holds a jump on a market with no pool: only the next observation can confirm it", () => {
    expect(priceJumps(book(90), { "SOL-USD": 200 }, 0.5)[0].confirmedByPool).to.equal(false);
    // The caller keeps $90 as the last price: if it holds, it is no longer a jump; if it reverts to $200, that is one again.
    expect(priceJumps(book(88), { "SOL-USD": 90 }, 0.5)).to.deep.equal([]);
    expect(priceJumps(book(200), { "SOL-USD": 90 }, 0.5)).to.have.length(1);
  });
});
