import { expect } from "chai";
import { createHash } from "node:crypto";
import { canonicalJson, positionsDigest } from "../../../src/policy";
import { syntheticSnapshot } from "../risk/synthetic";

/** The digest as first defined: canonicalJson of the sorted rows, hashed whole. The fast encoder must give the same bytes. */
function referenceDigest(s: ReturnType<typeof syntheticSnapshot>): string {
  const rows = s.positions
    .map((p) => [p.id ?? `${p.account}:${p.market}`, p.account.toLowerCase(), p.market, p.side, p.size, p.entryPrice, p.collateral] as const)
    .sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0));
  return `sha256:0x${createHash("sha256").update(canonicalJson(rows), "utf8").digest("hex")}`;
}

describe("positionsDigest", () => {
  it("hashes the same bytes as canonicalJson of the sorted rows, over chunk boundaries and for ids that need escaping", () => {
    const book = syntheticSnapshot(3_000, 7);
    // Ids JSON must escape, positions without an id, a mixed-case account, tiny and huge numbers.
    book.positions[0] = { ...book.positions[0], id: 'q"uote\\back\u0001' };
    book.positions[1] = { ...book.positions[1], id: undefined, account: "0xAbCdEf0000000000000000000000000000000001" };
    book.positions[2] = { ...book.positions[2], size: 1e-300, collateral: 1.7976931348623157e308, entryPrice: 0.1 + 0.2 };
    expect(positionsDigest(book)).to.equal(referenceDigest(book));
    expect(positionsDigest({ ...book, positions: [] })).to.equal(referenceDigest({ ...book, positions: [] }));
  });

  it("does not depend on the order positions were read in", () => {
    const book = syntheticSnapshot(500, 11);
    expect(positionsDigest({ ...book, positions: [...book.positions].reverse() })).to.equal(positionsDigest(book));
  });

  it("refuses a number canonical JSON cannot write, naming it", () => {
    const book = syntheticSnapshot(10, 3);
    book.positions[4] = { ...book.positions[4], collateral: Number.NaN };
    expect(() => positionsDigest(book)).to.throw(TypeError, /NaN/);
  });
});
