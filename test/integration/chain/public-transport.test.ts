import { expect } from "chai";
import { ethers } from "hardhat";
import { NonceManager } from "../../../src/chain/nonce";
import { PublicTransport } from "../../../src/chain/public-transport";
import { fundedWallet, manualChain, pendingOf, testRedis, until } from "../../helpers/chain";

const GWEI = 10n ** 9n;

describe("public transport and the shared nonce manager (real Hardhat node, real Redis)", function () {
  this.timeout(60_000);
  let chain: Awaited<ReturnType<typeof manualChain>>;
  let r: ReturnType<typeof testRedis>;

  beforeEach(async () => {
    chain = await manualChain();
    r = testRedis();
  });
  afterEach(async () => {
    await chain.close();
    await r.cleanup();
  });

  const managerFor = (address: string, redis = r.redis) =>
    new NonceManager(redis, 31337n, address, () => chain.provider.getTransactionCount(address, "latest"), { prefix: r.prefix });
  const transport = (wallet: Awaited<ReturnType<typeof fundedWallet>>, nonces: NonceManager, stuckAfterBlocks = 2) =>
    new PublicTransport(chain.provider, wallet, nonces, { maxFeePerGas: 500n * GWEI, stuckAfterBlocks, deadlineBlocks: 20, pollMs: 20 });

  it("never hands the same nonce to two processes sharing one key", async () => {
    const wallet = await fundedWallet(chain.provider);
    const second = testRedis();
    const a = managerFor(wallet.address);
    const b = new NonceManager(second.redis, 31337n, wallet.address, () => chain.provider.getTransactionCount(wallet.address, "latest"), { prefix: r.prefix });
    const reserve = (m: NonceManager, i: number) => m.withLock(async () => (await m.reserve(`action-${i}`, "public")).nonce);
    const got = await Promise.all(Array.from({ length: 40 }, (_, i) => reserve(i % 2 ? a : b, i)));
    second.redis.disconnect();
    expect(new Set(got).size).to.equal(40);
    expect([...got].sort((x, y) => x - y)).to.deep.equal(Array.from({ length: 40 }, (_, i) => i));
  });

  it("replaces a stuck transaction with bumped fees, tracks both hashes, and counts the one mined", async () => {
    const wallet = await fundedWallet(chain.provider);
    const t = transport(wallet, managerFor(wallet.address));
    const sending = t.send({ to: wallet.address, data: "0x", value: 1n, gasLimit: 21_000n, actionKey: "stuck" });
    await until(async () => (await pendingOf(wallet.address)) === 1);
    const first = (await managerFor(wallet.address).pending())[0];
    const tx1 = await chain.provider.getTransaction(first.hashes[0]);
    // Keep the base fee just above the first transaction's max fee: it cannot be mined.
    const stuckBase = tx1!.maxFeePerGas! + 1n;
    for (let i = 0; i < 2; i++) {
      await ethers.provider.send("hardhat_setNextBlockBaseFeePerGas", [`0x${stuckBase.toString(16)}`]);
      await chain.mine();
    }
    await until(async () => (await managerFor(wallet.address).pending())[0]?.hashes.length === 2);
    const replacement = (await managerFor(wallet.address).pending())[0].hashes[1];
    await until(async () => (await chain.provider.send("eth_getTransactionByHash", [replacement])) !== null); // in the pool
    await ethers.provider.send("hardhat_setNextBlockBaseFeePerGas", [`0x${stuckBase.toString(16)}`]);
    await chain.mine();
    const outcome = await sending;
    expect(outcome.status).to.equal("included");
    if (outcome.status !== "included") return;
    expect(outcome.hashes).to.have.length(2);
    expect(outcome.txHash).to.equal(outcome.hashes[1]);
    const tx2 = await chain.provider.getTransaction(outcome.txHash);
    expect(tx2!.maxFeePerGas! * 100n).to.be.at.least(tx1!.maxFeePerGas! * 110n);
    expect(tx2!.nonce).to.equal(tx1!.nonce);
    expect(await managerFor(wallet.address).pending()).to.have.length(0);
  });

  it("resumes a transaction a crashed process had already broadcast, instead of sending a second one", async () => {
    const wallet = await fundedWallet(chain.provider);
    // "Process A": reserves, signs, records and broadcasts, then dies before seeing it mined.
    const managerA = managerFor(wallet.address);
    const a = transport(wallet, managerA);
    await managerA.withLock(async () => {
      const { nonce } = await managerA.reserve("crash", "public");
      const raw = await a.sign({ to: wallet.address, data: "0x", value: 1n, gasLimit: 21_000n, actionKey: "crash" }, nonce, { maxFeePerGas: 100n * GWEI, maxPriorityFeePerGas: GWEI });
      await managerA.recordHash(nonce, ethers.Transaction.from(raw).hash!);
      await a.broadcast(raw);
    });
    // "Process B", a fresh connection, is handed the same action.
    const other = testRedis();
    const managerB = new NonceManager(other.redis, 31337n, wallet.address, () => chain.provider.getTransactionCount(wallet.address, "latest"), { prefix: r.prefix });
    const sending = transport(wallet, managerB).send({ to: wallet.address, data: "0x", value: 1n, gasLimit: 21_000n, actionKey: "crash" });
    await new Promise((res) => setTimeout(res, 200));
    expect(await pendingOf(wallet.address)).to.equal(1); // still only the original in the pool
    await chain.mine();
    const outcome = await sending;
    other.redis.disconnect();
    expect(outcome.status).to.equal("included");
    expect(await chain.provider.getTransactionCount(wallet.address, "latest")).to.equal(1);
  });

  it("reports a nonce consumed by a transaction it did not send", async () => {
    const wallet = await fundedWallet(chain.provider);
    const nonces = managerFor(wallet.address);
    const sending = transport(wallet, nonces, 100).send({ to: wallet.address, data: "0x", value: 1n, gasLimit: 21_000n, actionKey: "other" });
    await until(async () => (await pendingOf(wallet.address)) === 1);
    // Someone with the same key replaces it with a higher-paying transaction of their own.
    const mine = (await nonces.pending())[0];
    const theirs = await wallet.signTransaction({ type: 2, chainId: 31337n, nonce: mine.nonce, to: ethers.ZeroAddress, value: 2n, gasLimit: 21_000n, maxFeePerGas: 400n * GWEI, maxPriorityFeePerGas: 100n * GWEI });
    await chain.provider.send("eth_sendRawTransaction", [theirs]);
    await chain.mine();
    const outcome = await sending;
    expect(outcome.status).to.equal("replacedByOther");
  });
});
