import { expect } from "chai";
import { AbiCoder, formatUnits, getAddress, hexlify, Interface, randomBytes } from "ethers";
import { decodeAggregate3, encodeAggregate3 } from "../../../src/protocols/multicall";
import { toFloat } from "../../../src/protocols/units";
import { mulberry32 } from "../../../src/util/prng";

describe("adapter-boundary decoding (the fast paths agree with ethers)", () => {
  it("toFloat gives exactly Number(formatUnits(v, d)) for small, huge, negative and zero values", () => {
    const rand = mulberry32(17);
    const values = [0n, 1n, -1n, 10n ** 18n, 123456789n, -(10n ** 30n) - 7n, (1n << 255n) - 1n];
    for (let i = 0; i < 500; i++) {
      const digits = 1 + Math.floor(rand() * 40);
      let v = 0n;
      for (let k = 0; k < digits; k++) v = v * 10n + BigInt(Math.floor(rand() * 10));
      values.push(rand() < 0.2 ? -v : v);
    }
    for (const d of [0, 6, 8, 18, 27]) for (const v of values) expect(toFloat(v, d), `${v} / 10^${d}`).to.equal(Number(formatUnits(v, d)));
  });

  it("decodeAggregate3 reads what ethers' ABI coder encodes, and refuses a truncated answer", () => {
    const rows = [
      { success: true, returnData: hexlify(randomBytes(0)) },
      { success: false, returnData: hexlify(randomBytes(37)) },
      { success: true, returnData: hexlify(randomBytes(32 * 3 * 50)) },
    ];
    const encoded = AbiCoder.defaultAbiCoder().encode(["(bool success, bytes returnData)[]"], [rows.map((r) => [r.success, r.returnData])]);
    expect(decodeAggregate3(encoded)).to.deep.equal(rows);
    expect(() => decodeAggregate3(encoded.slice(0, encoded.length - 64))).to.throw(/runs past the answer|truncated/);
  });

  it("encodeAggregate3 writes the bytes ethers' ABI coder writes (empty, odd-length and long calldata; checksummed or not), and refuses what is not an address or bytes", () => {
    const iface = new Interface(["function aggregate3((address target, bool allowFailure, bytes callData)[] calls) payable returns ((bool success, bytes returnData)[] returnData)"]);
    const rand = mulberry32(5);
    const pages = [[], [{ target: getAddress(hexlify(randomBytes(20))), callData: "0x" }]];
    for (let n = 0; n < 5; n++)
      pages.push(
        Array.from({ length: 1 + Math.floor(rand() * 40) }, (_, i) => ({
          target: i % 2 ? getAddress(hexlify(randomBytes(20))) : hexlify(randomBytes(20)),
          callData: hexlify(randomBytes(Math.floor(rand() * 200))),
          allowFailure: rand() < 0.3,
        })),
      );
    for (const page of pages) {
      const ethers = iface.encodeFunctionData("aggregate3", [page.map((c) => ({ target: c.target, allowFailure: (c as { allowFailure?: boolean }).allowFailure ?? false, callData: c.callData }))]);
      expect(encodeAggregate3(page)).to.equal(ethers);
    }
    expect(() => encodeAggregate3([{ target: "0x1234", callData: "0x" }])).to.throw(/not an address/);
    expect(() => encodeAggregate3([{ target: getAddress(hexlify(randomBytes(20))), callData: "0xabc" }])).to.throw(/not hex bytes/);
  });
});
