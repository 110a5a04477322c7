import { expect } from "chai";
import type { ProtocolSnapshot } from "../../../src/domain/protocol-state";
import { verifyEffect } from "../../../src/keeper/execute";
import type { PlannedAction } from "../../../src/policy";
import type { ProtocolAdapter } from "../../../src/protocols/adapter";

const WAD = 10n ** 18n;

/** An adapter whose only reads are the exact position sizes at each block. */
function sizesAt(byBlock: Record<number, Record<string, bigint>>): ProtocolAdapter {
  return {
    protocolId: "ref",
    chainId: 31337n,
    readSnapshot: async (block: number) => ({ positionSizes: byBlock[block] }) as unknown as ProtocolSnapshot,
    buildAction: () => {
      throw new Error("not used");
    },
    readParams: async () => ({}),
  };
}

const deleverage = {
  action: {
    kind: "deleverage",
    market: "ETH-USD",
    reductions: [
      { positionId: 7n, sizeDelta: 2n * WAD },
      { positionId: 9n, sizeDelta: 1n * WAD },
    ],
  },
} as unknown as PlannedAction;

describe("verifying a deleverage reads the positions back", () => {
  it("is verified when every position shrank by at least what the action took (a closed one is gone)", async () => {
    const adapter = sizesAt({ 99: { "7": 5n * WAD, "9": 1n * WAD }, 100: { "7": 3n * WAD } });
    expect(await verifyEffect(adapter, deleverage, 100)).to.equal(true);
  });

  it("is not verified when a position did not shrink, or was not there", async () => {
    expect(await verifyEffect(sizesAt({ 99: { "7": 5n * WAD, "9": 1n * WAD }, 100: { "7": 5n * WAD } }), deleverage, 100)).to.equal(false);
    expect(await verifyEffect(sizesAt({ 99: { "7": 5n * WAD }, 100: { "7": 3n * WAD } }), deleverage, 100)).to.equal(false);
  });
});
