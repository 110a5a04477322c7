import { expect } from "chai";
import { ethers } from "hardhat";
import { JsonRpcProvider, Transaction, Wallet } from "ethers";
import { FlashbotsTransport } from "../../../src/chain/flashbots-transport";
import { NonceLockLostError, NonceManager } from "../../../src/chain/nonce";
import { PublicTransport } from "../../../src/chain/public-transport";
import { keeperRevertDecoder } from "../../../src/protocols/revert-decoder";
import { accountNonce } from "../../../src/rpc/reads";
import { startEmbeddedNode, type EmbeddedNode } from "../../../src/embedded/hardhat-node";
import { executeAction } from "../../../src/keeper/execute";
import type { PlannedAction } from "../../../src/policy";
import { ReferencePerpsAdapter } from "../../../src/protocols/reference/adapter";
import { referenceFixture } from "../../contracts/fixtures";
import { fundedWallet, manualChain, pendingOf, testRedis, until } from "../../helpers/chain";
import { LocalRelay } from "../../helpers/relay";

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

  const managerFor = (address: string, redis = r.redis) => new NonceManager(redis, 31337n, address, () => accountNonce(chain.provider, address), { prefix: r.prefix });
  const transport = (wallet: Awaited<ReturnType<typeof fundedWallet>>, nonces: NonceManager, stuckAfterBlocks = 2) =>
    new PublicTransport(chain.provider, wallet, nonces, { maxFeePerGas: 500n * GWEI, stuckAfterBlocks, deadlineBlocks: 20, pollMs: 20 });

  it("never hands the same nonce to two processes sharing one key", async () => {
    const wallet = await fundedWallet(chain.provider);
    const second = testRedis();
    const a = managerFor(wallet.address);
    const b = new NonceManager(second.redis, 31337n, wallet.address, () => accountNonce(chain.provider, wallet.address), { prefix: r.prefix });
    // As a real holder does, each records a signed hash before letting go of the lock.
    const reserve = (m: NonceManager, i: number) =>
      m.withLock(async (lock) => {
        const { nonce } = await m.reserve(`action-${i}`, "public", lock);
        await m.recordHash(nonce, ethers.id(`tx-${i}`), undefined, lock);
        return nonce;
      });
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

  it("does not re-broadcast an expired action: the stuck transaction is replaced by a cancellation, and the outcome is expired", async () => {
    const wallet = await fundedWallet(chain.provider);
    const target = Wallet.createRandom().address;
    const now = Number((await chain.provider.getBlock("latest"))!.timestamp);
    const validUntil = BigInt(now + 30);
    const t = transport(wallet, managerFor(wallet.address));
    const sending = t.send({ to: target, data: "0x", value: 1n, gasLimit: 21_000n, actionKey: "expiring", validUntil });
    await until(async () => (await pendingOf(wallet.address)) === 1);
    const first = await chain.provider.getTransaction((await managerFor(wallet.address).pending())[0].hashes[0]);
    const stuckBase = first!.maxFeePerGas! + 1n;
    // Two stuck blocks, the second past validUntil: the replacement must be the cancellation.
    for (const ts of [now + 10, now + 60]) {
      await ethers.provider.send("hardhat_setNextBlockBaseFeePerGas", [`0x${stuckBase.toString(16)}`]);
      await ethers.provider.send("evm_setNextBlockTimestamp", [ts]);
      await chain.mine();
    }
    await until(async () => (await managerFor(wallet.address).pending())[0]?.hashes.length === 2);
    // The hash is recorded before it is broadcast (kill -9 safety): wait until the node has it.
    const cancelHash = (await managerFor(wallet.address).pending())[0].hashes[1];
    await until(async () => (await chain.provider.getTransaction(cancelHash)) !== null);
    const cancel = await chain.provider.getTransaction(cancelHash);
    expect([cancel!.to, cancel!.data, cancel!.value, cancel!.nonce]).to.deep.equal([wallet.address, "0x", 0n, first!.nonce]);
    await until(async () => (await chain.provider.send("eth_getTransactionByHash", [cancel!.hash])) !== null);
    await chain.mine();
    const outcome = await sending;
    expect(outcome.status).to.equal("expired");
    expect(await chain.provider.getBalance(target), "the expired action never landed").to.equal(0n);
    expect(await managerFor(wallet.address).pending()).to.have.length(0);
  });

  it("resumes a transaction a crashed process had already broadcast, instead of sending a second one", async () => {
    const wallet = await fundedWallet(chain.provider);
    // "Process A": reserves, signs, records and broadcasts, then dies before seeing it mined.
    const managerA = managerFor(wallet.address);
    const a = transport(wallet, managerA);
    const hashA = await managerA.withLock(async () => {
      const { nonce } = await managerA.reserve("crash", "public");
      const raw = await a.sign({ to: wallet.address, data: "0x", value: 1n, gasLimit: 21_000n, actionKey: "crash" }, nonce, { maxFeePerGas: 100n * GWEI, maxPriorityFeePerGas: GWEI });
      const hash = ethers.Transaction.from(raw).hash!;
      await managerA.recordHash(nonce, hash);
      await a.broadcast(raw);
      return hash;
    });
    // "Process B", a fresh connection, is handed the same action.
    const other = testRedis();
    const managerB = new NonceManager(other.redis, 31337n, wallet.address, () => accountNonce(chain.provider, wallet.address), { prefix: r.prefix });
    const sending = transport(wallet, managerB).send({ to: wallet.address, data: "0x", value: 1n, gasLimit: 21_000n, actionKey: "crash" });
    await new Promise((res) => setTimeout(res, 200));
    await chain.mine();
    const outcome = await sending;
    other.redis.disconnect();
    // B tracked A's transaction and signed none of its own: whether or not a block came in the
    // meantime, the one transaction of this key is A's, and it is B's outcome.
    expect(outcome.status).to.equal("included");
    if (outcome.status !== "included") return;
    expect(outcome.txHash).to.equal(hashA);
    expect(outcome.hashes).to.deep.equal([hashA]);
    // Asked of the node: ethers folds an identical getTransactionCount made within 250 ms into the
    // earlier one, and B's nonce manager asked just before the block was mined (it read 0).
    expect(await accountNonce(chain.provider, wallet.address)).to.equal(1);
  });

  it("delivers again, as the same bundle, a private transaction whose process died after signing it", async () => {
    const relay = new LocalRelay(chain.provider, chain.mine);
    const relayUrl = await relay.start();
    try {
      const wallet = await fundedWallet(chain.provider);
      const nonces = managerFor(wallet.address);
      const flashbots = new FlashbotsTransport(chain.provider, wallet, new Wallet(Wallet.createRandom().privateKey), nonces, { relayUrl, maxFeePerGas: 500n * GWEI, deadlineBlocks: 3, pollMs: 20 });
      const req = { to: wallet.address, data: "0x", value: 1n, gasLimit: 21_000n, actionKey: "private-killed-after-sign" };
      // The killed attempt: reserved, signed and recorded as private, never handed to the relay.
      const hash = await nonces.withLock(async (lock) => {
        const { nonce } = await nonces.reserve(req.actionKey, "private", lock);
        const raw = await wallet.signTransaction({
          type: 2,
          chainId: 31337n,
          nonce,
          to: req.to,
          data: req.data,
          value: req.value,
          gasLimit: req.gasLimit,
          maxFeePerGas: 100n * GWEI,
          maxPriorityFeePerGas: 2n * GWEI,
        });
        await nonces.recordHash(nonce, Transaction.from(raw).hash!, raw, lock);
        return Transaction.from(raw).hash!;
      });
      const record = await nonces.findByAction(req.actionKey);
      const resuming = flashbots.resume(record!, req);
      await until(async () => relay.bundles.length === 1);
      expect(relay.bundles[0].txs.map((t) => Transaction.from(t).hash)).to.deep.equal([hash]);
      await relay.mineBlock();
      const outcome = await resuming;
      expect(outcome.status).to.equal("included");
      if (outcome.status === "included") expect(outcome.txHash).to.equal(hash);
      expect(await nonces.pending()).to.have.length(0);
    } finally {
      await relay.stop();
    }
  });

  it("reports a nonce consumed by a transaction it did not send", async () => {
    const wallet = await fundedWallet(chain.provider);
    const nonces = managerFor(wallet.address);
    const sending = transport(wallet, nonces, 100).send({ to: wallet.address, data: "0x", value: 1n, gasLimit: 21_000n, actionKey: "other" });
    await until(async () => (await pendingOf(wallet.address)) === 1);
    // Someone with the same key replaces it with a higher-paying transaction of their own.
    const mine = (await nonces.pending())[0];
    const theirs = await wallet.signTransaction({
      type: 2,
      chainId: 31337n,
      nonce: mine.nonce,
      to: ethers.ZeroAddress,
      value: 2n,
      gasLimit: 21_000n,
      maxFeePerGas: 400n * GWEI,
      maxPriorityFeePerGas: 100n * GWEI,
    });
    await chain.provider.send("eth_sendRawTransaction", [theirs]);
    await chain.mine();
    const outcome = await sending;
    expect(outcome.status).to.equal("replacedByOther");
  });
});

/** Resolves with `p`, or rejects naming what did not happen: a stuck send would otherwise hang the test. */
async function within<T>(ms: number, p: Promise<T>, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => (timer = setTimeout(() => reject(new Error(`${what}: not done within ${ms} ms`)), ms)));
  try {
    return await Promise.race([p, timeout]);
  } finally {
    clearTimeout(timer);
  }
}

describe("a send cut short by a killed process, resumed by the next (a chain that mines only on transactions)", function () {
  this.timeout(60_000);
  let node: EmbeddedNode;
  let provider: JsonRpcProvider;
  let r: ReturnType<typeof testRedis>;

  before(async () => {
    node = await startEmbeddedNode();
    provider = new JsonRpcProvider(node.url, 31337, { staticNetwork: true, pollingInterval: 50 });
  });
  after(async () => {
    provider.destroy();
    await node.close();
  });
  beforeEach(() => void (r = testRedis()));
  afterEach(async () => r.cleanup());

  const managerFor = (address: string, opts: { lockTtlMs?: number; lockWaitMs?: number } = {}) =>
    new NonceManager(r.redis, 31337n, address, async () => Number(await provider.send("eth_getTransactionCount", [address, "latest"])), { prefix: r.prefix, ...opts });
  // stuckAfterBlocks and deadlineBlocks far away: on this chain no block comes without a transaction.
  const transport = (wallet: Wallet, nonces: NonceManager) => new PublicTransport(provider, wallet, nonces, { maxFeePerGas: 500n * GWEI, stuckAfterBlocks: 1000, deadlineBlocks: 1000, pollMs: 20 });
  const transfer = (wallet: Wallet, actionKey: string) => ({ to: wallet.address, data: "0x", value: 1n, gasLimit: 21_000n, actionKey });
  const txCount = async (address: string) => Number(await provider.send("eth_getTransactionCount", [address, "latest"]));
  const lockKeyOf = (address: string) => `${r.prefix}:nonce:31337:${address.toLowerCase()}:lock`;

  /** What a process leaves behind when killed after recording a signed transaction and before broadcasting it. */
  async function signedAndDied(wallet: Wallet, nonces: NonceManager, req: ReturnType<typeof transfer>): Promise<string> {
    return nonces.withLock(async (lock) => {
      const { nonce } = await nonces.reserve(req.actionKey, "public", lock);
      const raw = await transport(wallet, nonces).sign(req, nonce, { maxFeePerGas: 100n * GWEI, maxPriorityFeePerGas: GWEI });
      await nonces.recordHash(nonce, Transaction.from(raw).hash!, raw, lock);
      return Transaction.from(raw).hash!;
    });
  }

  it("hands out again the nonce of a holder killed before signing: no gap holds the next transaction back", async () => {
    const wallet = await fundedWallet(provider);
    const nonces = managerFor(wallet.address);
    await nonces.withLock(async (lock) => void (await nonces.reserve("killed-before-sign", "public", lock)));
    expect((await nonces.pending()).map((p) => p.hashes.length)).to.deep.equal([0]);
    const other = await within(5000, transport(wallet, nonces).send(transfer(wallet, "next-action")), "the next action");
    const retried = await within(5000, transport(wallet, nonces).send(transfer(wallet, "killed-before-sign")), "the retried action");
    if (other.status !== "included" || retried.status !== "included") throw new Error(`${other.status} / ${retried.status}`);
    expect((await provider.getTransaction(other.txHash))!.nonce).to.equal(0);
    expect((await provider.getTransaction(retried.txHash))!.nonce).to.equal(1);
    expect(await nonces.pending()).to.have.length(0);
  });

  it("broadcasts the recorded bytes of a transaction signed by a process killed before sending it: the same hash lands, no second signature", async () => {
    const wallet = await fundedWallet(provider);
    const nonces = managerFor(wallet.address);
    const hash = await signedAndDied(wallet, nonces, transfer(wallet, "killed-after-sign"));
    expect(await pendingOf(wallet.address)).to.equal(0); // it never left the dead process
    const outcome = await within(5000, transport(wallet, nonces).send(transfer(wallet, "killed-after-sign")), "the resumed send");
    expect(outcome.status).to.equal("included");
    if (outcome.status === "included") expect(outcome.txHash).to.equal(hash);
    expect(await txCount(wallet.address)).to.equal(1);
  });

  it("gets a signed-but-unsent transaction of another action out before its own, which would otherwise wait behind it forever", async () => {
    const wallet = await fundedWallet(provider);
    const nonces = managerFor(wallet.address);
    const orphan = await signedAndDied(wallet, nonces, transfer(wallet, "orphaned"));
    const outcome = await within(5000, transport(wallet, nonces).send(transfer(wallet, "after-the-orphan")), "the action above the orphan");
    expect(outcome.status).to.equal("included");
    expect((await provider.getTransactionReceipt(orphan))?.status).to.equal(1);
    expect(await txCount(wallet.address)).to.equal(2);
  });

  it("frees the lock of a killed holder after its lifetime, while a live holder keeps it past that by renewing it", async () => {
    const wallet = await fundedWallet(provider);
    await r.redis.set(lockKeyOf(wallet.address), "killed-holder", "PX", 300);
    const start = Date.now();
    await managerFor(wallet.address, { lockTtlMs: 300 }).withLock(async () => undefined);
    expect(Date.now() - start).to.be.within(200, 1500);

    const events: string[] = [];
    const holding = managerFor(wallet.address, { lockTtlMs: 300 }).withLock(async () => {
      events.push("holder in");
      await new Promise((res) => setTimeout(res, 1200)); // four lifetimes
      events.push("holder out");
    });
    await until(async () => events.length > 0);
    await managerFor(wallet.address, { lockTtlMs: 300, lockWaitMs: 5000 }).withLock(async () => void events.push("contender in"));
    await holding;
    expect(events).to.deep.equal(["holder in", "holder out", "contender in"]);
  });

  it("records nothing for a holder whose lock expired under it", async () => {
    const wallet = await fundedWallet(provider);
    const nonces = managerFor(wallet.address);
    let error: unknown;
    await nonces.withLock(async (lock) => {
      const { nonce } = await nonces.reserve("stalled-holder", "public", lock);
      await r.redis.set(lockKeyOf(wallet.address), "someone-else"); // it expired, another process took it
      await nonces.recordHash(nonce, ethers.id("late"), undefined, lock).catch((e) => (error = e));
    });
    expect(error).to.be.instanceOf(NonceLockLostError);
    expect((await nonces.pending())[0].hashes).to.deep.equal([]);
  });

  it("finishes the landed transaction of a killed attempt before simulating, and calls a later retry already executed: one transaction in all", async () => {
    const f = await referenceFixture();
    const keeper = await fundedWallet(provider);
    await (await f.steward.setKeeper(keeper.address, true)).wait();
    const adapter = new ReferencePerpsAdapter(provider, {
      protocolId: "ref",
      chainId: 31337n,
      perps: await f.perps.getAddress(),
      steward: await f.steward.getAddress(),
      multicall: await f.multicall.getAddress(),
    });
    const planned: PlannedAction = {
      action: { kind: "setMarginRatios", market: "ETH-USD", imrBps: 1100n, mmrBps: 550n, expected: { imrBps: 1000n, mmrBps: 500n } },
      urgency: "act",
      reason: { metric: "svr", level: "act", observed: 0.18, threshold: 0.2 },
      expected: { metric: "svr", before: 0.18, after: 0.21 },
      note: "",
      provenance: { idempotencyKey: ethers.id(`landed-${Date.now()}`), evidenceHash: ethers.ZeroHash, validUntil: 4_000_000_000n },
    };
    const nonces = managerFor(keeper.address);
    const publicTransport = transport(keeper, nonces);
    const deps = { provider, adapter, decoder: keeperRevertDecoder(), from: keeper.address, publicTransport, confirmations: 1 };

    // The killed attempt: signed, recorded, broadcast (mined at once), then SIGKILL before it saw the receipt.
    const tx = adapter.buildAction(planned.action, planned.provenance);
    const req = { ...tx, gasLimit: 300_000n, actionKey: planned.provenance.idempotencyKey };
    const landed = await nonces.withLock(async (lock) => {
      const { nonce } = await nonces.reserve(req.actionKey, "public", lock);
      const raw = await publicTransport.sign(req, nonce, { maxFeePerGas: 100n * GWEI, maxPriorityFeePerGas: GWEI });
      await nonces.recordHash(nonce, Transaction.from(raw).hash!, raw, lock);
      await publicTransport.broadcast(raw);
      return Transaction.from(raw).hash!;
    });
    expect((await provider.getTransactionReceipt(landed))?.status).to.equal(1);

    const resumed = await within(10_000, executeAction(deps, planned), "the resumed attempt");
    if (resumed.status !== "sent" || resumed.outcome.status !== "included") throw new Error(JSON.stringify(resumed, (_, v) => (typeof v === "bigint" ? String(v) : v)));
    expect(resumed.resumed).to.equal(true);
    expect(resumed.outcome.txHash).to.equal(landed);
    expect(resumed.verified).to.equal(true);

    // The record is gone once settled: a retry after that finds its own key in the steward's log.
    const retried = await within(10_000, executeAction(deps, planned), "the retry");
    expect(retried.status).to.equal("alreadyExecuted");
    if (retried.status === "alreadyExecuted") expect(retried.reason).to.include(landed);
    expect(await txCount(keeper.address)).to.equal(1);
  });

  it("tells its own landed action from someone else's change, and does not send an expired one", async () => {
    const f = await referenceFixture();
    const keeper = await fundedWallet(provider);
    const other = await fundedWallet(provider);
    for (const k of [keeper, other]) await (await f.steward.setKeeper(k.address, true)).wait();
    const adapter = new ReferencePerpsAdapter(provider, {
      protocolId: "ref",
      chainId: 31337n,
      perps: await f.perps.getAddress(),
      steward: await f.steward.getAddress(),
      multicall: await f.multicall.getAddress(),
    });
    const deps = { provider, adapter, decoder: keeperRevertDecoder(), from: keeper.address, publicTransport: transport(keeper, managerFor(keeper.address)), confirmations: 1 };
    const now = Number((await provider.getBlock("latest"))!.timestamp);
    const raise = (label: string, validUntil: bigint, from = { imrBps: 1000n, mmrBps: 500n }): PlannedAction => ({
      action: { kind: "setMarginRatios", market: "ETH-USD", imrBps: from.imrBps + 100n, mmrBps: from.mmrBps + 50n, expected: from },
      urgency: "act",
      reason: { metric: "svr", level: "act", observed: 0.18, threshold: 0.2 },
      expected: { metric: "svr", before: 0.18, after: 0.21 },
      note: "",
      provenance: { idempotencyKey: ethers.id(`${label}-${Date.now()}`), evidenceHash: ethers.ZeroHash, validUntil },
    });

    const late = raise("late", BigInt(now - 1));
    expect(await within(10_000, executeAction(deps, late), "the expired action")).to.deep.include({ status: "expired" });
    expect(await txCount(keeper.address), "an expired action is not sent").to.equal(0);

    const mine = raise("mine", BigInt(now + 3600));
    const first = await within(10_000, executeAction(deps, mine), "the first send");
    expect(
      first.status,
      JSON.stringify(first, (_, v) => (typeof v === "bigint" ? String(v) : v)),
    ).to.equal("sent");
    const again = await within(10_000, executeAction(deps, mine), "the replay");
    expect(again.status, "its own key is in the steward's log").to.equal("alreadyExecuted");

    // Another keeper moves the margins first: the same expectation is now stale, and not ours.
    await provider.send("evm_increaseTime", [120]);
    await provider.send("evm_mine", []);
    const theirs = raise("theirs", BigInt(now + 3600), { imrBps: 1100n, mmrBps: 550n });
    const otherDeps = { ...deps, from: other.address, publicTransport: transport(other, managerFor(other.address)) };
    const byOther = await within(10_000, executeAction(otherDeps, theirs), "the other keeper");
    expect(byOther.status, "reason" in byOther ? byOther.reason : "").to.equal("sent");
    const stale = await within(10_000, executeAction(deps, raise("stale", BigInt(now + 7200), { imrBps: 1100n, mmrBps: 550n })), "the stale action");
    expect(stale.status).to.equal("changedByOther");
    if (stale.status === "changedByOther") expect(stale.reason).to.include("StaleExpectation");
    expect(await txCount(keeper.address), "one transaction of ours in all").to.equal(1);
  });
});
