import { expect } from "chai";
import { AbiCoder, id } from "ethers";
import { keeperRevertDecoder } from "../../../src/protocols/revert-decoder";

const panic = (code: number) => id("Panic(uint256)").slice(0, 10) + AbiCoder.defaultAbiCoder().encode(["uint256"], [code]).slice(2);

describe("the keeper's one revert decoder", () => {
  const decoder = keeperRevertDecoder();

  it("names a Panic code from the map, and says when a code is not in it", () => {
    expect(decoder.describe(decoder.decode(panic(0x11)))).to.equal("Panic(0x11: arithmetic underflow or overflow)");
    expect(decoder.describe(decoder.decode(panic(0x12)))).to.equal("Panic(0x12: division or modulo by zero)");
    expect(decoder.describe(decoder.decode(panic(0x99)))).to.equal("Panic(0x99: unknown panic code)");
  });

  it("decodes the steward's custom errors with their arguments, and Error(string)", () => {
    const key = "0x" + "ab".repeat(32);
    const expired = id("ActionExpired(bytes32,uint256,uint256)").slice(0, 10) + AbiCoder.defaultAbiCoder().encode(["bytes32", "uint256", "uint256"], [key, 100, 101]).slice(2);
    const decoded = decoder.decode(expired);
    expect(decoded).to.include({ kind: "custom", name: "ActionExpired" });
    expect(decoder.describe(decoded)).to.equal(`ActionExpired(key=${key}, validUntil=100, nowTimestamp=101)`);
    const message = id("Error(string)").slice(0, 10) + AbiCoder.defaultAbiCoder().encode(["string"], ["nope"]).slice(2);
    expect(decoder.describe(decoder.decode(message))).to.equal('Error("nope")');
    expect(decoder.describe(decoder.decode("0x"))).to.equal("reverted without data");
  });
});
