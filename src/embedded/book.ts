import { parseUnits, type Signer } from "ethers";
import { mulberry32 } from "../util/prng";
import { USDC_DECIMALS, type ReferenceSystem } from "./reference-system";

/** One position to open, in human units. */
export interface PositionIntent {
  market: string;
  isLong: boolean;
  /** USD notional at the current price. */
  notionalUsd: number;
  leverage: number;
}

/**
 * A realistic book: most traders run 2–5x, a tail runs close to the max leverage the IMR allows;
 * longs outnumber shorts (as in a bull market, which is what a crash punishes).
 */
export function syntheticIntents(system: Pick<ReferenceSystem, "markets">, count: number, seed = 7): PositionIntent[] {
  const rand = mulberry32(seed);
  const out: PositionIntent[] = [];
  for (let i = 0; i < count; i++) {
    const m = system.markets[Math.floor(rand() * system.markets.length)];
    const maxLev = 10_000 / m.imrBps;
    const risky = rand() < 0.25;
    const leverage = risky ? maxLev * (0.8 + 0.18 * rand()) : 1.5 + rand() * Math.min(3.5, maxLev - 1.5);
    const notionalUsd = Math.round(Math.exp(Math.log(5_000) + rand() * Math.log(400))); // $5k … $2M, log-uniform
    out.push({ market: m.name, isLong: rand() < 0.65, notionalUsd, leverage });
  }
  return out;
}

/**
 * Opens `intents` at the current oracle prices, spreading them over `traders` (trader by trader,
 * each one's positions in order). Returns the position ids in intent order. One trader at a time:
 * traders sent concurrently land in whatever order their requests reach the node, and the book's
 * order (position ids, who a liquidator reaches first) would differ from one run to the next.
 */
export async function openBook(system: ReferenceSystem, traders: Signer[], intents: PositionIntent[]): Promise<bigint[]> {
  const byTrader = new Map<number, number[]>();
  intents.forEach((_, i) => byTrader.set(i % traders.length, [...(byTrader.get(i % traders.length) ?? []), i]));
  const ids: bigint[] = new Array(intents.length);
  const perpsAddress = await system.perps.getAddress();
  for (const [t, indexes] of byTrader) {
    const trader = traders[t];
    const who = await trader.getAddress();
    const plan = indexes.map((i) => ({ i, ...sizeIntent(system, intents[i]) }));
    const total = plan.reduce((s, p) => s + p.collateral, 0n);
    await (await system.usdc.connect(trader).mint(who, total)).wait();
    await (await system.usdc.connect(trader).approve(perpsAddress, total)).wait();
    await (await system.perps.connect(trader).deposit(total)).wait();
    for (const p of plan) {
      const tx = await system.perps.connect(trader).openPosition(p.marketId, intents[p.i].isLong, p.size, p.collateral);
      const receipt = await tx.wait();
      const log = receipt?.logs.map((l) => system.perps.interface.parseLog(l)).find((l) => l?.name === "PositionOpened");
      if (!log) throw new Error(`openPosition ${tx.hash} emitted no PositionOpened`);
      ids[p.i] = log.args.id as bigint;
    }
  }
  return ids;
}

function sizeIntent(system: ReferenceSystem, intent: PositionIntent): { marketId: string; size: bigint; collateral: bigint } {
  const m = system.markets.find((x) => x.name === intent.market);
  if (!m) throw new Error(`unknown market ${intent.market}`);
  const size = parseUnits((intent.notionalUsd / m.price).toFixed(12), 18);
  // A hair above the IMR so rounding never makes an intended max-leverage position fail its initial margin.
  const collateralUsd = Math.max(intent.notionalUsd / intent.leverage, (intent.notionalUsd * m.imrBps) / 10_000) * 1.001;
  return { marketId: m.id, size, collateral: parseUnits(collateralUsd.toFixed(USDC_DECIMALS), USDC_DECIMALS) };
}
