import Redis from "ioredis";
import { JsonRpcProvider, Wallet } from "ethers";
import { ethers } from "hardhat";
import { startEmbeddedNode, type EmbeddedNode } from "../../src/embedded/hardhat-node";

/** A funded random wallet on the test chain, connected through the served JSON-RPC endpoint. */
export async function fundedWallet(provider: JsonRpcProvider): Promise<Wallet> {
  const w = Wallet.createRandom().connect(provider) as unknown as Wallet;
  await ethers.provider.send("hardhat_setBalance", [w.address, "0x3635C9ADC5DEA00000"]); // 1,000 ETH
  return w;
}

/** The in-process chain served over HTTP, with automine switched off: the test mines each block. */
export async function manualChain(): Promise<{ node: EmbeddedNode; provider: JsonRpcProvider; mine: () => Promise<void>; close: () => Promise<void> }> {
  const node = await startEmbeddedNode();
  const provider = new JsonRpcProvider(node.url, 31337, { staticNetwork: true, pollingInterval: 50 });
  await ethers.provider.send("evm_setAutomine", [false]);
  return {
    node,
    provider,
    mine: async () => {
      await ethers.provider.send("evm_mine", []);
    },
    close: async () => {
      // Leave nothing behind for the next test: mine what is pending at a base fee anything pays.
      await ethers.provider.send("hardhat_setNextBlockBaseFeePerGas", ["0x1"]);
      await ethers.provider.send("evm_setAutomine", [true]);
      await ethers.provider.send("evm_mine", []);
      provider.destroy();
      await node.close();
    },
  };
}

/** A Redis connection with a key prefix unique to this test, and a cleanup that deletes its keys. */
export function testRedis(): { redis: Redis; prefix: string; cleanup: () => Promise<void> } {
  const redis = new Redis({ host: "127.0.0.1", port: 6379, lazyConnect: false, maxRetriesPerRequest: 2 });
  const prefix = `svrtest-${process.pid}-${Date.now()}-${Math.floor(Math.random() * 1e9)}`;
  return {
    redis,
    prefix,
    cleanup: async () => {
      const keys = await redis.keys(`${prefix}:*`);
      if (keys.length) await redis.del(...keys);
      redis.disconnect();
    },
  };
}

/** Polls until `cond` holds (a transaction reached the pool, a bundle reached the relay…). */
export async function until(cond: () => Promise<boolean>, timeoutMs = 10_000): Promise<void> {
  const start = Date.now();
  while (!(await cond())) {
    if (Date.now() - start > timeoutMs) throw new Error("condition not met in time");
    await new Promise((r) => setTimeout(r, 20));
  }
}

/** Transactions of `address` waiting in the pool. */
export async function pendingOf(address: string): Promise<number> {
  const [pending, latest] = await Promise.all([ethers.provider.getTransactionCount(address, "pending"), ethers.provider.getTransactionCount(address, "latest")]);
  return pending - latest;
}
