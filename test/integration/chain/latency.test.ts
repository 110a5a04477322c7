import { expect } from "chai";
import { accountNonce } from "../../../src/rpc/reads";
import { ethers } from "hardhat";
import { Wallet } from "ethers";
import { FlashbotsTransport } from "../../../src/chain/flashbots-transport";
import { NonceManager } from "../../../src/chain/nonce";
import { PublicTransport } from "../../../src/chain/public-transport";
import { openBook, syntheticIntents } from "../../../src/embedded/book";
import { keeperRevertDecoder } from "../../../src/protocols/revert-decoder";
import { executeAction } from "../../../src/keeper/execute";
import { DEFAULT_POLICY, planActions, type PolicyConfig } from "../../../src/policy";
import { ReferencePerpsAdapter } from "../../../src/protocols/reference/adapter";
import { referenceFixture } from "../../contracts/fixtures";
import { fundedWallet, manualChain, testRedis, until } from "../../helpers/chain";
import { LocalRelay } from "../../helpers/relay";

const GWEI = 10n ** 9n;

/** Policy on svr alone, acting on the first observation (the figure measures transport latency). */
const POLICY: PolicyConfig = {
  ...DEFAULT_POLICY,
  defaults: {
    ...DEFAULT_POLICY.defaults,
    confirmations: 1,
    svr: { target: 0.3, warn: 0.25, act: 0.2, critical: 0.05 },
    breakingShock: { target: 0.004, warn: 0.003, act: 0.002, critical: 0.001 },
  },
};

describe("blocks from the first breaching block to the corrective transaction (one block mined per step)", function () {
  this.timeout(120_000);

  it("is one block, through the public mempool and through a Flashbots bundle", async () => {
    const f = await referenceFixture();
    await openBook(f, f.traders, syntheticIntents(f, 60, 7));
    const chain = await manualChain();
    const r = testRedis();
    const relay = new LocalRelay(chain.provider, chain.mine);
    const relayUrl = await relay.start();
    try {
      const keeper = await fundedWallet(chain.provider);
      await f.steward.setKeeper(keeper.address, true); // mined by the next block
      await chain.mine();
      const pools: Record<string, string> = {};
      for (const m of f.markets) pools[m.name] = await m.pool.getAddress();
      const adapter = new ReferencePerpsAdapter(chain.provider, {
        protocolId: "ref",
        chainId: 31337n,
        perps: await f.perps.getAddress(),
        steward: await f.steward.getAddress(),
        multicall: await f.multicall.getAddress(),
        pools,
      });
      const nonces = new NonceManager(r.redis, 31337n, keeper.address, () => accountNonce(chain.provider, keeper.address), { prefix: r.prefix });
      const publicTransport = new PublicTransport(chain.provider, keeper, nonces, { maxFeePerGas: 500n * GWEI, stuckAfterBlocks: 3, deadlineBlocks: 10, pollMs: 20 });
      const privateTransport = new FlashbotsTransport(chain.provider, keeper, new Wallet(Wallet.createRandom().privateKey), nonces, {
        relayUrl,
        maxFeePerGas: 500n * GWEI,
        deadlineBlocks: 3,
        pollMs: 20,
      });
      const decoder = keeperRevertDecoder();

      const figures: Record<string, number> = {};
      for (const [market, route, mineNext] of [
        ["ETH-USD", "public", () => chain.mine()],
        ["BTC-USD", "private", () => relay.mineBlock()],
      ] as const) {
        const m = f.markets.find((x) => x.name === market)!;
        const head = Number(await chain.provider.send("eth_blockNumber", []));
        const before = planActions({ snapshot: await adapter.readSnapshot(head), history: {}, state: { markets: {} }, config: POLICY });
        expect(before.markets.find((x) => x.market === market)!.level, `${market} healthy before`).to.not.equal("act");
        // The breach: the market's price jumps 60 %; its open interest grows, its svr falls below act.
        await m.feed.connect(f.governance).updateAnswer(ethers.parseUnits(String(m.price * 1.6), 8));
        await chain.mine();
        const breachBlock = Number(await chain.provider.send("eth_blockNumber", []));
        // The keeper observes the head, plans and acts.
        const plan = planActions({ snapshot: await adapter.readSnapshot(breachBlock), history: {}, state: { markets: {} }, config: POLICY });
        expect(plan.markets.find((x) => x.market === market)!.level).to.equal("act");
        const action = plan.actions.find((a) => a.action.market === market)!;
        const executing = executeAction(
          { provider: chain.provider, adapter, decoder, from: keeper.address, publicTransport, privateTransport: route === "private" ? privateTransport : undefined, confirmations: 1 },
          { ...action, urgency: route === "private" ? "critical" : "act" },
        );
        if (route === "private") await until(async () => relay.bundles.length > 0 && relay.bundles[relay.bundles.length - 1].blockNumber === breachBlock + 1);
        else
          await until(
            async () =>
              Number(await chain.provider.send("eth_getTransactionCount", [keeper.address, "pending"])) > Number(await chain.provider.send("eth_getTransactionCount", [keeper.address, "latest"])),
          );
        await mineNext();
        const result = await executing;
        expect(result.status).to.equal("sent");
        if (result.status !== "sent" || result.outcome.status !== "included") throw new Error(JSON.stringify(result));
        expect(result.route).to.equal(route);
        expect(result.outcome.success).to.equal(true);
        expect(result.verified).to.equal(true);
        figures[route] = result.outcome.blockNumber - breachBlock;
      }
      console.log(`      blocks from breach to inclusion: public ${figures.public}, private ${figures.private}`);
      expect(figures).to.deep.equal({ public: 1, private: 1 });
    } finally {
      await relay.stop();
      await chain.close();
      await r.cleanup();
    }
  });
});
