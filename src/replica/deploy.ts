import { Contract, parseUnits, ZeroAddress, type Signer } from "ethers";
import { deployAaveMarket, type AaveDeployOptions, type AaveMarket } from "../protocols/aave/deploy";
import { loadReplicaFile, replicaPlan, REPLICA_BLOCK, type ReplicaPlan } from "./aave-v3-ethereum";
import { describeBook, syntheticBook, type SyntheticLoan } from "./book";

export interface ReplicaOptions {
  borrowers: number;
  seed: number;
  /** An already deployed Multicall3. */
  multicall?: AaveDeployOptions["multicall"];
  /** The configuration file (default: the one shipped in data/). */
  file?: string;
  onProgress?: (done: number, total: number) => void;
}

export interface DeployedReplica {
  market: AaveMarket;
  plan: ReplicaPlan;
  /** Borrowers' addresses, in the order of `loans`. */
  borrowers: string[];
  loans: SyntheticLoan[];
  /** What is real and what is synthetic, for every place the replica is shown. */
  provenance: { source: string; block: number; reserves: number; book: string };
}

/**
 * Aave V3 Ethereum Core as at block 23,975,177, on a local chain: the real protocol bytecode
 * (@aave/core-v3), each of the twelve reserves configured as the file says (LTV, threshold, bonus,
 * protocol fee, reserve factor, caps, debt ceiling, flags, interest-rate parameters, the oracle's
 * answer), the eModes mapped onto 3.0 (differences listed in `plan.differences`), then a lender and
 * a synthetic borrower book opened through the real Pool. `signerFor(i)` gives user i (0 is the lender).
 */
export async function deployReplica(governance: Signer, signerFor: (i: number) => Promise<Signer>, opts: ReplicaOptions): Promise<DeployedReplica> {
  const plan = replicaPlan(loadReplicaFile(opts.file));
  const market = await deployAaveMarket(governance, { reserves: plan.reserves.map((r) => r.spec), multicall: opts.multicall });
  const configurator = market.configurator.connect(governance) as Contract;
  const send = async (p: Promise<{ wait(): Promise<unknown> }>) => (await p).wait();
  for (const e of plan.eModes) await send(configurator.setEModeCategory(e.id, e.ltv, e.liquidationThreshold, e.liquidationBonus, ZeroAddress, e.label));
  for (const [i, r] of plan.reserves.entries()) {
    const asset = await market.reserves[i].token.getAddress();
    const f = r.file;
    await send(configurator.setReserveFactor(asset, f.reserveFactor));
    await send(configurator.setLiquidationProtocolFee(asset, f.liquidationProtocolFee));
    if (f.debtCeiling > 0) await send(configurator.setDebtCeiling(asset, f.debtCeiling));
    if (f.isSiloed) await send(configurator.setSiloedBorrowing(asset, true));
    if (f.isBorrowableInIsolation) await send(configurator.setBorrowableInIsolation(asset, true));
    await send(configurator.setReserveFlashLoaning(asset, f.isFlashloanable)); // 3.0 lists a reserve with flash loans off
    if (!f.borrowingEnabled) await send(configurator.setReserveBorrowing(asset, false));
    if (r.eModeCategory !== 0) await send(configurator.setAssetEModeCategory(asset, r.eModeCategory));
  }

  const index = new Map(plan.reserves.map((r, i) => [r.spec.symbol, i]));
  const terms = (symbol: string, eMode: number) => {
    const r = plan.reserves[index.get(symbol)!];
    const e = plan.eModes.find((x) => x.id === eMode && x.symbols.includes(symbol));
    return e ? { lt: e.liquidationThreshold / 10_000, ltv: e.ltv / 10_000 } : { lt: r.file.liquidationThreshold / 10_000, ltv: r.file.ltv / 10_000 };
  };
  const loans = syntheticBook(opts.borrowers, opts.seed, terms);
  const pool = await market.pool.getAddress();
  const units = (symbol: string, usd: number) => {
    const r = plan.reserves[index.get(symbol)!];
    const tokens = usd / r.spec.price;
    return parseUnits(tokens.toFixed(Math.min(r.spec.decimals, 6)), r.spec.decimals);
  };
  const token = (symbol: string) => market.reserves[index.get(symbol)!].token;
  const supply = async (user: Signer, symbol: string, amount: bigint) => {
    const who = await user.getAddress();
    const t = token(symbol).connect(user) as Contract;
    await send(t["mint(address,uint256)"](who, amount));
    await send(t.approve(pool, amount));
    await send((market.pool.connect(user) as Contract).supply(await t.getAddress(), amount, who, 0));
  };

  // The lender: half again what the book borrows of each asset, so utilisation stays under the kink.
  const lender = await signerFor(0);
  const borrowed = new Map<string, number>();
  for (const l of loans) borrowed.set(l.debt, (borrowed.get(l.debt) ?? 0) + l.debtUsd);
  for (const [symbol, usd] of borrowed) await supply(lender, symbol, units(symbol, usd * 1.5));

  const borrowers: string[] = [];
  for (const [i, l] of loans.entries()) {
    const user = await signerFor(i + 1);
    const who = await user.getAddress();
    borrowers.push(who);
    await supply(user, l.collateral, units(l.collateral, l.collateralUsd));
    const p = market.pool.connect(user) as Contract;
    if (l.eMode !== 0) await send(p.setUserEMode(l.eMode));
    await send(p.borrow(await token(l.debt).getAddress(), units(l.debt, l.debtUsd), 2, 0, who));
    opts.onProgress?.(i + 1, loans.length);
  }
  // Frozen or paused reserves take no new positions: set last, after the book is opened.
  for (const [i, r] of plan.reserves.entries()) {
    const asset = await market.reserves[i].token.getAddress();
    if (r.file.isFrozen) await send(configurator.setReserveFreeze(asset, true));
    if (r.file.isPaused) await send(configurator.setReservePause(asset, true));
  }
  return {
    market,
    plan,
    borrowers,
    loans,
    provenance: {
      source: `Aave V3 Ethereum Core configuration at block ${REPLICA_BLOCK.toLocaleString("en-US")} (data/aave-v3-ethereum-23975177.json; provenance in its .SOURCE.md), real protocol bytecode from @aave/core-v3`,
      block: REPLICA_BLOCK,
      reserves: plan.reserves.length,
      book: describeBook(loans.length, opts.seed),
    },
  };
}
