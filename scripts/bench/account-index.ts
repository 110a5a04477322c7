import { JsonRpcProvider } from "ethers";
import Redis from "ioredis";
import { startEmbeddedNode } from "../../src/embedded/hardhat-node";
import { deployAaveMarket } from "../../src/protocols/aave/deploy";
import { AaveAccountIndexer, RedisAccountIndexStore } from "../../src/protocols/aave/account-index";
import { BulkSupplier__factory } from "../../src/abi/typechain";

const ACCOUNTS = 10_000;
/** Supplies per transaction (each a real Pool.supply on behalf of a fresh account). */
const PER_TX = 50;
/** Empty blocks mined after each block of supplies: the accounts spread over ~10,000 blocks, as on a live chain. */
const GAP_BLOCKS = 49;
/** The config's default `discovery.pageSize`. */
const PAGE_SIZE = 2_000;

type Eip1193 = { request(args: { method: string; params?: unknown[] }): Promise<unknown> };

/**
 * Account discovery on the embedded chain: 10,000 accounts, each with real Pool events (Supply and
 * ReserveUsedAsCollateralEnabled from a real `Pool.supply` on its behalf, 50 to a transaction through
 * a helper contract), spread over ~10,000 blocks; a cold sync of the Redis index over HTTP with the
 * default page size, then an incremental one. Requests are the indexer's own JSON-RPC requests.
 */
export async function benchAccountIndex(): Promise<Record<string, number>> {
  const node = await startEmbeddedNode();
  const http = new JsonRpcProvider(node.url, undefined, { staticNetwork: true });
  const redis = new Redis("redis://127.0.0.1:6379", { lazyConnect: true });
  const key = `svr-bench:aave-index:${process.pid}:${Date.now()}`;
  try {
    await redis.connect();
    const governance = await http.getSigner(0);
    const market = await deployAaveMarket(governance);
    const pool = await market.pool.getAddress();
    const usdc = market.reserves.find((r) => r.symbol === "USDC")!.token;
    const supplier = await new BulkSupplier__factory(governance).deploy();
    await supplier.waitForDeployment();
    const supplierAddress = await supplier.getAddress();
    await (await usdc.getFunction("mint(address,uint256)")(supplierAddress, BigInt(ACCOUNTS) * 10n ** 6n)).wait();
    const startBlock = await http.getBlockNumber();

    const seed = `0x${"5e".repeat(32)}`;
    const from = await governance.getAddress();
    const t0 = performance.now();
    const usdcAddress = await usdc.getAddress();
    await populate(node.provider, from, supplierAddress, (first) => supplier.interface.encodeFunctionData("supplyOnBehalf", [pool, usdcAddress, 10n ** 6n, seed, BigInt(first), BigInt(PER_TX)]));
    const populateMs = performance.now() - t0;
    const head = await http.getBlockNumber();

    const indexer = new AaveAccountIndexer(http, new RedisAccountIndexStore(redis, key), { pool, startBlock, pageSize: PAGE_SIZE, reorgDepth: 64 });
    const t1 = performance.now();
    const cold = await indexer.sync(head);
    const coldMs = performance.now() - t1;
    const accounts = await new RedisAccountIndexStore(redis, key).accounts();
    const known = new Set(accounts);
    for (const i of [0, ACCOUNTS / 2, ACCOUNTS - 1]) {
      const a = (await supplier.accountOf(seed, i)).toLowerCase();
      if (!known.has(a)) throw new Error(`account ${i} (${a}) not indexed`);
    }
    if (accounts.length !== ACCOUNTS) throw new Error(`indexed ${accounts.length} accounts, expected ${ACCOUNTS}`);
    const t2 = performance.now();
    const warm = await indexer.sync(head);
    const warmMs = performance.now() - t2;
    return {
      account_index_accounts: accounts.length,
      account_index_events: cold.events,
      account_index_blocks: head - startBlock + 1,
      account_index_page_size: PAGE_SIZE,
      account_index_requests: cold.requests,
      account_index_ms: Math.round(coldMs),
      account_index_incremental_requests: warm.requests,
      account_index_incremental_ms: Math.round(warmMs),
      account_index_populate_ms: Math.round(populateMs),
    };
  } finally {
    await redis.del(`${key}:accounts`, `${key}:cursor`).catch(() => undefined);
    redis.disconnect();
    http.destroy();
    await node.close();
  }
}

/** One transaction of PER_TX supplies a block, with automine off, then GAP_BLOCKS empty blocks (hardhat_mine). */
async function populate(provider: Eip1193, from: string, to: string, call: (first: number) => string): Promise<void> {
  await provider.request({ method: "evm_setAutomine", params: [false] });
  try {
    for (let first = 0; first < ACCOUNTS; first += PER_TX) {
      await provider.request({ method: "eth_sendTransaction", params: [{ from, to, data: call(first), gas: "0xf42400" }] }); // 16M: the node's per-transaction gas cap is 2^24
      await provider.request({ method: "evm_mine" });
      const receipt = (await provider.request({ method: "eth_getTransactionReceipt", params: [await lastTxHash(provider)] })) as { status: string } | null;
      if (receipt?.status !== "0x1") throw new Error(`supplies ${first}..${first + PER_TX - 1} reverted`);
      await provider.request({ method: "hardhat_mine", params: [`0x${GAP_BLOCKS.toString(16)}`] });
    }
  } finally {
    await provider.request({ method: "evm_setAutomine", params: [true] });
  }
}

async function lastTxHash(provider: Eip1193): Promise<string> {
  const block = (await provider.request({ method: "eth_getBlockByNumber", params: ["latest", false] })) as { transactions: string[] };
  if (block.transactions.length !== 1) throw new Error(`expected one transaction in the block, found ${block.transactions.length}`);
  return block.transactions[0];
}
