import { expect } from "chai";
import { JsonRpcProvider } from "ethers";
import { followHeads } from "../../../src/service/heads";

/** A node whose head is whatever the test says, answered to eth_blockNumber. */
class ScriptedNode extends JsonRpcProvider {
  head = 10;
  override async send(method: string): Promise<unknown> {
    if (method !== "eth_blockNumber") throw new Error(`unexpected ${method}`);
    return `0x${this.head.toString(16)}`;
  }
}

describe("following heads (observe.everyBlock)", () => {
  it("reports each new head once, however often it is polled", async () => {
    const node = new ScriptedNode(undefined, 31337, { staticNetwork: true });
    const seen: number[] = [];
    const stop = followHeads(
      node,
      5,
      async (b) => void seen.push(b),
      (e) => {
        throw e;
      },
    );
    const wait = (ms: number) => new Promise((r) => setTimeout(r, ms));
    await wait(30);
    node.head = 11;
    await wait(30);
    node.head = 13;
    await wait(30);
    await stop();
    node.destroy();
    expect(seen).to.deep.equal([10, 11, 13]);
  });
});
