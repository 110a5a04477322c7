import { expect } from "chai";
import { accountNonce } from "../../../src/rpc/reads";
import { ethers } from "hardhat";
import { Wallet } from "ethers";
import { FlashbotsTransport } from "../../../src/chain/flashbots-transport";
import { NonceManager } from "../../../src/chain/nonce";
import { PublicTransport } from "../../../src/chain/public-transport";
import { fundedWallet, manualChain, testRedis, until } from "../../helpers/chain";
import { LocalRelay } from "../../helpers/relay";

const GWEI = 10n ** 9n;

describe("Flashbots transport against a local relay (real Hardhat node, real Redis)", function () {
  this.timeout(60_000);
  let chain: Awaited<ReturnType<typeof manualChain>>;
  let r: ReturnType<typeof testRedis>;
  let relay: LocalRelay;
  let relayUrl: string;

  beforeEach(async () => {
    chain = await manualChain();
    r = testRedis();
    relay = new LocalRelay(chain.provider, chain.mine);
    relayUrl = await relay.start();
  });
  afterEach(async () => {
    await relay.stop();
    await chain.close();
    await r.cleanup();
  });

  async function setup(opts: { deadlineBlocks?: number; fallback?: boolean } = {}) {
    const wallet = await fundedWallet(chain.provider);
    const auth = new Wallet(Wallet.createRandom().privateKey);
    const nonces = new NonceManager(r.redis, 31337n, wallet.address, () => accountNonce(chain.provider, wallet.address), { prefix: r.prefix });
    const fallback = opts.fallback ? new PublicTransport(chain.provider, wallet, nonces, { maxFeePerGas: 500n * GWEI, stuckAfterBlocks: 3, deadlineBlocks: 10, pollMs: 20 }) : undefined;
    const transport = new FlashbotsTransport(chain.provider, wallet, auth, nonces, { relayUrl, maxFeePerGas: 500n * GWEI, deadlineBlocks: opts.deadlineBlocks ?? 3, fallback, pollMs: 20 });
    const request = { to: wallet.address, data: "0x", value: 1n, gasLimit: 21_000n, actionKey: `k-${Math.random()}` };
    return { wallet, auth, nonces, transport, request };
  }

  it("refuses a request whose signature header does not verify", async () => {
    const body = JSON.stringify({ jsonrpc: "2.0", id: 1, method: "eth_sendBundle", params: [{ txs: [], blockNumber: "0x1" }] });
    const impostor = Wallet.createRandom();
    const claimed = Wallet.createRandom().address;
    const res = await fetch(relayUrl, { method: "POST", body, headers: { "content-type": "application/json", "X-Flashbots-Signature": `${claimed}:${await impostor.signMessage(ethers.id(body))}` } });
    expect(res.status).to.equal(403);
    expect(relay.rejected).to.have.length(1);
  });

  it("lands the bundle in its target block, signed by the relay key and not the signing key", async () => {
    const { transport, request, auth, wallet } = await setup();
    const head = await chain.provider.getBlockNumber();
    const sending = transport.send(request);
    await until(async () => relay.bundles.length === 1);
    expect(relay.bundles[0].blockNumber).to.equal(head + 1);
    await relay.mineBlock();
    const outcome = await sending;
    expect(outcome.status).to.equal("included");
    if (outcome.status !== "included") return;
    expect(outcome.via).to.equal("private");
    expect(outcome.blockNumber).to.equal(head + 1);
    expect([...relay.signers]).to.deep.equal([auth.address.toLowerCase()]);
    expect(relay.signers.has(wallet.address.toLowerCase())).to.equal(false);
  });

  it("re-targets the next block when a block passes without it", async () => {
    const { transport, request } = await setup({ deadlineBlocks: 5 });
    relay.withholdTargets = 1;
    const sending = transport.send(request);
    await until(async () => relay.bundles.length === 1);
    await relay.mineBlock(); // withheld
    await until(async () => relay.bundles.length === 2);
    expect(relay.bundles[1].blockNumber).to.equal(relay.bundles[0].blockNumber + 1);
    await relay.mineBlock();
    const outcome = await sending;
    expect(outcome.status).to.equal("included");
  });

  it("gives up at the deadline without broadcasting, freeing the nonce", async () => {
    const { transport, request, nonces, wallet } = await setup({ deadlineBlocks: 2 });
    relay.mode = "withhold";
    const sending = transport.send(request);
    await until(async () => relay.bundles.length === 1);
    await relay.mineBlock();
    await until(async () => relay.bundles.length === 2);
    await relay.mineBlock();
    const outcome = await sending;
    expect(outcome.status).to.equal("notIncluded");
    expect(await nonces.pending()).to.have.length(0);
    expect(await accountNonce(chain.provider, wallet.address)).to.equal(0);
  });

  it("falls back to the public mempool with the same nonce, so exactly one transaction lands", async () => {
    const { transport, request, wallet } = await setup({ deadlineBlocks: 2, fallback: true });
    relay.mode = "error";
    const sending = transport.send(request);
    // The relay answers errors: its simulation fails…
    const outcome0 = await sending;
    expect(outcome0.status).to.equal("rejected");
    // …so with a relay that accepts but never includes, the fallback takes over after the deadline.
    relay.mode = "withhold";
    const again = transport.send({ ...request, actionKey: `${request.actionKey}-2` });
    for (let i = 0; i < 2; i++) {
      await until(async () => relay.bundles.length === i + 1);
      await relay.mineBlock();
    }
    await until(async () => Number(await chain.provider.send("eth_getTransactionCount", [wallet.address, "pending"])) === 1);
    await chain.mine();
    const outcome = await again;
    expect(outcome.status).to.equal("included");
    if (outcome.status !== "included") return;
    expect(outcome.via).to.equal("public");
    expect(outcome.txHash).to.equal(ethers.keccak256(relay.bundles[0].txs[0])); // the very transaction the relay held
    expect(await accountNonce(chain.provider, wallet.address)).to.equal(1);
  });
});
