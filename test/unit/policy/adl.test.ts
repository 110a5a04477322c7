import { expect } from "chai";
import { chunkByNotional, planAdl } from "../../../src/policy/adl";
import type { Position } from "../../../src/risk";
import { perpsBook } from "./fixtures";

const long = (id: string | undefined, size: number, entry: number, collateral: number): Position => ({
  account: `0x${(id ?? "x").padStart(40, "0")}`,
  market: "ETH-USD",
  side: 1,
  size,
  entryPrice: entry,
  collateral,
  ...(id === undefined ? {} : { id }),
});

describe("ADL names positions by their on-chain id", () => {
  it("never picks a position the protocol gave no id", () => {
    const positions = [long(undefined, 1000, 500, 20_000), long("4", 10, 500, 2_000)];
    const book = perpsBook(positions);
    const d = planAdl(book.markets[0], positions, 0.3, 0.5);
    expect(d.status).to.equal("change");
    if (d.status === "change") expect(d.picks.map((p) => p.position.id)).to.deep.equal(["4"]);
  });

  it("refuses to send a pick without an id as position 0", () => {
    const pick = { position: long(undefined, 1, 500, 100), sizeDelta: 10n ** 18n, notional: 1000, score: 1 };
    expect(() => chunkByNotional([pick], 10n ** 30n, 1000, undefined)).to.throw(/no numeric id/);
  });
});
