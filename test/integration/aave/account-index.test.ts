import { expect } from "chai";
import { ethers } from "hardhat";
import Redis from "ioredis";
import { loadFixture } from "@nomicfoundation/hardhat-network-helpers";
import { keccak256, toUtf8Bytes, type Contract } from "ethers";
import { AaveV3Adapter } from "../../../src/protocols/aave/adapter";
import { AaveAccountIndexer, MemoryAccountIndexStore, RedisAccountIndexStore } from "../../../src/protocols/aave/account-index";
import { aaveFixture, type AaveFixture } from "./fixtures";

const addressOf = (tag: string, i: number) => `0x${keccak256(toUtf8Bytes(`${tag} ${i}`)).slice(-40)}`;

/** `count` supplies of 1 USDC on behalf of fresh accounts, `perBlock` to a block: 2 events each (Supply, collateral enabled). */
async function supplyOnBehalf(f: AaveFixture, tag: string, count: number, perBlock: number): Promise<string[]> {
  const [funder] = f.users;
  const usdc = f.reserves[2].token.connect(funder) as Contract;
  const asset = await usdc.getAddress();
  await (await usdc["mint(address,uint256)"](await funder.getAddress(), BigInt(count) * 10n ** 6n)).wait();
  await (await usdc.approve(await f.pool.getAddress(), BigInt(count) * 10n ** 6n)).wait();
  const pool = f.pool.connect(funder) as Contract;
  const accounts = Array.from({ length: count }, (_, i) => addressOf(tag, i));
  await ethers.provider.send("evm_setAutomine", [false]);
  let nonce = await ethers.provider.getTransactionCount(await funder.getAddress(), "pending");
  for (let i = 0; i < count; i++) {
    await pool.supply(asset, 10n ** 6n, accounts[i], 0, { nonce: nonce++, gasLimit: 400_000 });
    if ((i + 1) % perBlock === 0 || i === count - 1) await ethers.provider.send("evm_mine", []);
  }
  await ethers.provider.send("evm_setAutomine", [true]);
  return accounts;
}

async function indexedFixture() {
  const f = await aaveFixture();
  const accounts = await supplyOnBehalf(f, "index", 1500, 100);
  return { f, accounts };
}

describe("Aave account discovery from the Pool's events (paged eth_getLogs, incremental, reorg-safe)", function () {
  this.timeout(180_000);

  it("finds every account in thousands of events across page boundaries, with the requests the pages need", async () => {
    const { f, accounts } = await loadFixture(indexedFixture);
    const head = await ethers.provider.getBlockNumber();
    const store = new MemoryAccountIndexStore();
    // 3-block pages over the ~17 blocks since the fixture's first: events of one block never straddle a page, blocks do.
    const indexer = new AaveAccountIndexer(ethers.provider, store, { pool: await f.pool.getAddress(), startBlock: 0, pageSize: 3, reorgDepth: 6 });
    const stats = await indexer.sync(head);
    const found = new Set(await store.accounts());
    for (const a of accounts) expect(found.has(a.toLowerCase()), a).to.equal(true);
    for (const b of f.borrowers) expect(found.has(b.toLowerCase()), b).to.equal(true);
    expect(stats.events).to.be.at.least(3000);
    expect(stats.pages).to.equal(Math.ceil((head + 1) / 3));
    expect(stats.requests).to.equal(stats.pages + 1); // one eth_getLogs a page, one hash for the cursor
    // Incremental: nothing new → one request (the cursor's hash), nothing re-read.
    const again = await indexer.sync(head);
    expect(again).to.deep.include({ requests: 1, pages: 0, reorg: false });
  });

  it("drops the accounts of reorged blocks and indexes the chain that replaced them", async () => {
    const { f } = await loadFixture(indexedFixture);
    const store = new MemoryAccountIndexStore();
    const indexer = new AaveAccountIndexer(ethers.provider, store, { pool: await f.pool.getAddress(), startBlock: 0, pageSize: 50, reorgDepth: 8 });
    const fork = await ethers.provider.send("evm_snapshot", []);
    const doomed = await supplyOnBehalf(f, "doomed", 30, 10); // 3 blocks + mint/approve
    await indexer.sync(await ethers.provider.getBlockNumber());
    expect(await store.accounts()).to.include(doomed[0].toLowerCase());
    await ethers.provider.send("evm_revert", [fork]);
    const survivors = await supplyOnBehalf(f, "survivor", 40, 8); // 5 blocks + 2: the new chain is longer, same heights differ
    const stats = await indexer.sync(await ethers.provider.getBlockNumber());
    expect(stats.reorg).to.equal(true);
    const known = new Set(await store.accounts());
    for (const a of doomed) expect(known.has(a.toLowerCase()), `reorged-out ${a}`).to.equal(false);
    for (const a of survivors) expect(known.has(a.toLowerCase()), a).to.equal(true);
  });

  it("keeps the index in Redis across indexers (a restarted keeper catches up from its cursor)", async () => {
    const { f } = await loadFixture(indexedFixture);
    const redis = new Redis("redis://127.0.0.1:6379", { lazyConnect: true });
    await redis.connect();
    const key = `svr-test:aave-index:${Date.now()}:${process.pid}`;
    try {
      const opts = { pool: await f.pool.getAddress(), startBlock: 0, pageSize: 20, reorgDepth: 6 };
      const head = await ethers.provider.getBlockNumber();
      const first = new AaveAccountIndexer(ethers.provider, new RedisAccountIndexStore(redis, key), opts);
      const all = await first.accountsAt(head);
      const more = await supplyOnBehalf(f, "later", 5, 5);
      const restarted = new AaveAccountIndexer(ethers.provider, new RedisAccountIndexStore(redis, key), opts);
      const stats = await restarted.sync(await ethers.provider.getBlockNumber());
      expect(stats.pages).to.equal(1); // only the blocks after the cursor
      const now = await new RedisAccountIndexStore(redis, key).accounts();
      expect(now.length).to.equal(all.length + more.length);
    } finally {
      await redis.del(`${key}:accounts`, `${key}:cursor`);
      redis.disconnect();
    }
  });

  it("feeds the adapter: a snapshot reads the positions of the accounts the events name, none configured", async () => {
    const f = await loadFixture(aaveFixture);
    const discovery = new AaveAccountIndexer(ethers.provider, new MemoryAccountIndexStore(), { pool: await f.pool.getAddress(), startBlock: 0, pageSize: 500, reorgDepth: 6 });
    const adapter = new AaveV3Adapter(ethers.provider, {
      protocolId: "aave",
      chainId: 31337n,
      addressesProvider: await f.addressesProvider.getAddress(),
      dataProvider: await f.dataProvider.getAddress(),
      steward: await f.steward.getAddress(),
      multicall: await f.multicall.getAddress(),
      accounts: [],
      discovery,
    });
    const snap = await adapter.readSnapshot(await ethers.provider.getBlockNumber());
    const borrowers = new Set(snap.lendingBook!.accounts.filter((a) => a.debt.length > 0).map((a) => a.account.toLowerCase()));
    for (const b of f.borrowers.slice(1)) expect(borrowers.has(b.toLowerCase()), b).to.equal(true);
    expect(snap.lendingBook!.accounts.length).to.equal(6); // the lender and five borrowers
  });
});
