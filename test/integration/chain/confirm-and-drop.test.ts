import { expect } from "chai";
import { accountNonce } from "../../../src/rpc/reads";
import { ethers } from "hardhat";
import { waitForConfirmations } from "../../../src/chain/confirm";
import { NonceManager } from "../../../src/chain/nonce";
import { PublicTransport } from "../../../src/chain/public-transport";
import { keeperRevertDecoder } from "../../../src/protocols/revert-decoder";
import { executeAction } from "../../../src/keeper/execute";
import { ReferencePerpsAdapter } from "../../../src/protocols/reference/adapter";
import { referenceFixture } from "../../contracts/fixtures";
import { fundedWallet, manualChain, testRedis } from "../../helpers/chain";

const GWEI = 10n ** 9n;

describe("confirmation, reorgs and simulated reverts", function () {
  this.timeout(60_000);

  it("reports a transaction whose block was reorganised away", async () => {
    const chain = await manualChain();
    try {
      const wallet = await fundedWallet(chain.provider);
      const snapshot = await ethers.provider.send("evm_snapshot", []);
      const tx = await wallet.sendTransaction({ to: wallet.address, value: 1n, gasLimit: 21_000n, maxFeePerGas: 100n * GWEI, maxPriorityFeePerGas: GWEI });
      await chain.mine();
      const receipt = await chain.provider.getTransactionReceipt(tx.hash);
      const confirming = waitForConfirmations(chain.provider, tx.hash, receipt!.blockHash, 3, 20);
      // The chain goes back before the block and grows another branch without the transaction.
      await ethers.provider.send("evm_revert", [snapshot]);
      await ethers.provider.send("hardhat_dropTransaction", [tx.hash]);
      await chain.mine();
      await chain.mine();
      await chain.mine();
      expect(await confirming).to.deep.equal({ status: "reorged", txHash: tx.hash, wasIn: receipt!.blockHash });
    } finally {
      await chain.close();
    }
  });

  it("drops an action whose simulation reverts, naming the custom error, and sends nothing", async () => {
    const f = await referenceFixture();
    const chain = await manualChain();
    const r = testRedis();
    try {
      const stranger = await fundedWallet(chain.provider); // not on the steward's allowlist
      const adapter = new ReferencePerpsAdapter(chain.provider, {
        protocolId: "ref",
        chainId: 31337n,
        perps: await f.perps.getAddress(),
        steward: await f.steward.getAddress(),
        multicall: await f.multicall.getAddress(),
      });
      const nonces = new NonceManager(r.redis, 31337n, stranger.address, () => accountNonce(chain.provider, stranger.address), { prefix: r.prefix });
      const result = await executeAction(
        {
          provider: chain.provider,
          adapter,
          decoder: keeperRevertDecoder(),
          from: stranger.address,
          publicTransport: new PublicTransport(chain.provider, stranger, nonces, { maxFeePerGas: 500n * GWEI, stuckAfterBlocks: 3, deadlineBlocks: 5, pollMs: 20 }),
          confirmations: 1,
        },
        {
          action: { kind: "setMarginRatios", market: "ETH-USD", imrBps: 1100n, mmrBps: 550n, expected: { imrBps: 1000n, mmrBps: 500n } },
          urgency: "act",
          reason: { metric: "svr", level: "act", observed: 0.1, threshold: 0.2 },
          expected: { metric: "svr", before: 0.1, after: 0.1 },
          note: "",
          provenance: { idempotencyKey: ethers.id("drop"), evidenceHash: ethers.ZeroHash, validUntil: 4_000_000_000n },
        },
      );
      expect(result).to.deep.equal({ status: "dropped", reason: `simulation reverts: NotKeeper(caller=${stranger.address})` });
      expect(await nonces.pending()).to.have.length(0);
      expect(Number(await chain.provider.send("eth_getTransactionCount", [stranger.address, "pending"]))).to.equal(0);
    } finally {
      await chain.close();
      await r.cleanup();
    }
  });
});
