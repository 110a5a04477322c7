import { expect } from "chai";
import { join } from "node:path";
import { loadConfigFile } from "../../../src/config/load";

describe("the example config in the repository", () => {
  it("is valid", () => {
    const cfg = loadConfigFile(join(__dirname, "../../../config/keeper.example.yaml"));
    expect(cfg.protocols.map((p) => p.id)).to.deep.equal(["reference-perps", "aave-v3"]);
    expect(cfg.chain.rpcUrlEnv).to.equal("MAINNET_RPC_URL");
  });
});
