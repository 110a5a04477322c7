import { Interface, JsonRpcProvider, parseUnits, type Signer } from "ethers";
import { startEmbeddedNode } from "../../src/embedded/hardhat-node";
import { DEFAULT_MARKETS, deployReferenceSystem, USDC_DECIMALS } from "../../src/embedded/reference-system";
import { ReferencePerpsAdapter } from "../../src/protocols/reference/adapter";
import { CountingJsonRpcProvider } from "../../src/rpc/connect";
import { mulberry32 } from "../../src/util/prng";

const POSITIONS = 10_000;

/**
 * One full snapshot of a 10,000-position reference protocol on a local node, counting the
 * JSON-RPC requests at the transport (HTTP requests; ethers folds concurrent calls into batches).
 */
export async function benchSnapshot(): Promise<Record<string, number>> {
  const node = await startEmbeddedNode();
  const http = new JsonRpcProvider(node.url, undefined, { staticNetwork: true });
  try {
    const [governance] = await Promise.all([http.getSigner(0)]);
    const { system, pools } = await deploySeededBook(node.provider, governance);
    const count = Number((await system.perps.getProtocolState()).positionCount);
    if (count !== POSITIONS) throw new Error(`seeding opened ${count} positions, expected ${POSITIONS}`);

    const counting = new CountingJsonRpcProvider(node.url, 31337, { staticNetwork: true });
    const adapter = new ReferencePerpsAdapter(counting, {
      protocolId: "bench",
      chainId: 31337n,
      perps: await system.perps.getAddress(),
      steward: await system.steward.getAddress(),
      multicall: await system.multicall.getAddress(),
      pools,
    });
    const block = await http.getBlockNumber();
    const times: number[] = [];
    let requests = 0;
    let calls = 0;
    for (let i = 0; i < 5; i++) {
      const r0 = counting.requests;
      const c0 = counting.calls;
      const t = performance.now();
      const snap = await adapter.readSnapshot(block);
      times.push(performance.now() - t);
      requests = counting.requests - r0;
      calls = counting.calls - c0;
      if (snap.risk.positions.length !== POSITIONS) throw new Error(`snapshot has ${snap.risk.positions.length} positions`);
    }
    counting.destroy();
    return {
      snapshot_positions: POSITIONS,
      snapshot_rpc_requests: requests,
      snapshot_rpc_calls: calls,
      snapshot_ms: Math.round([...times].sort((a, b) => a - b)[2]),
    };
  } finally {
    http.destroy();
    await node.close();
  }
}

type Eip1193 = { request(args: { method: string; params?: unknown[] }): Promise<unknown> };

/** The reference protocol deployed by `governance` with the benchmark book seeded in it, and its pools by market name. */
export async function deploySeededBook(provider: Eip1193, governance: Signer): Promise<{ system: Awaited<ReturnType<typeof deployReferenceSystem>>; pools: Record<string, string> }> {
  const markets = DEFAULT_MARKETS.map((m) => ({ ...m, capUsd: 1e10 }));
  const system = await deployReferenceSystem(governance, { markets });
  await seedPositions(
    provider,
    system.perps.interface,
    await system.perps.getAddress(),
    system.usdc.interface,
    await system.usdc.getAddress(),
    markets.map((m, i) => ({ id: system.markets[i].id, price: m.price })),
  );
  const pools: Record<string, string> = {};
  for (const m of system.markets) pools[m.name] = await m.pool.getAddress();
  return { system, pools };
}

/** Opens the book through the in-process provider with automine off: thousands of txs mined in a few dozen blocks. */
async function seedPositions(provider: Eip1193, perps: Interface, perpsAddress: string, usdc: Interface, usdcAddress: string, markets: { id: string; price: number }[]): Promise<void> {
  const accounts = (await provider.request({ method: "eth_accounts" })) as string[];
  const traders = accounts.slice(2, 20);
  const rand = mulberry32(99);
  const send = (from: string, to: string, data: string) => provider.request({ method: "eth_sendTransaction", params: [{ from, to, data, gas: "0x61a80" }] });
  const perTrader = parseUnits("10000000", USDC_DECIMALS);
  await provider.request({ method: "evm_setAutomine", params: [false] });
  try {
    for (const t of traders) {
      await send(t, usdcAddress, usdc.encodeFunctionData("mint", [t, perTrader]));
      await send(t, usdcAddress, usdc.encodeFunctionData("approve", [perpsAddress, perTrader]));
      await send(t, perpsAddress, perps.encodeFunctionData("deposit", [perTrader]));
    }
    await mineAll(provider);
    for (let i = 0; i < POSITIONS; i++) {
      const m = markets[i % markets.length];
      const notional = 2_000 + rand() * 18_000;
      const leverage = 1.5 + rand() * 3; // within every market's IMR (SOL: 5x)
      const size = parseUnits((notional / m.price).toFixed(12), 18);
      const collateral = parseUnits((notional / leverage).toFixed(2), USDC_DECIMALS);
      await send(traders[i % traders.length], perpsAddress, perps.encodeFunctionData("openPosition", [m.id, rand() < 0.6, size, collateral]));
    }
    await mineAll(provider);
  } finally {
    await provider.request({ method: "evm_setAutomine", params: [true] });
  }
}

async function mineAll(provider: Eip1193): Promise<void> {
  for (;;) {
    const pending = (await provider.request({ method: "eth_getBlockTransactionCountByNumber", params: ["pending"] })) as string;
    if (BigInt(pending) === 0n) return;
    await provider.request({ method: "evm_mine" });
  }
}
