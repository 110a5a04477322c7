import { compileBook } from "../book";
import { checkShocks, type ShockVector } from "../cascade";
import type { Snapshot } from "../snapshot";
import { liquidateInto } from "./aave";
import { FAMILY_AAVE, LEG_DEBT } from "./compile";
import { CLOSE_FACTOR, COLLATERAL_LEG, DEBT_LEG, JUDGE_SLOTS, judgeAccount } from "./judge";
import type { Account } from "./model";

/** The book once liquidators have taken every Aave account under health factor 1, and what that took. */
export interface SettledAccounts {
  /** The snapshot with each account's balances as the liquidations left them (accounts with nothing left are dropped). */
  snapshot: Snapshot;
  /** Debt repaid by liquidators, USD at the settling prices. */
  liquidatedUsd: number;
  /** Accounts liquidated at least once. */
  liquidated: string[];
  /** Debt left on accounts whose collateral is gone, USD. */
  badDebtUsd: number;
}

/**
 * Liquidates, at fixed prices (today's, moved by `shocks`), every Aave account under health factor 1
 * with one `liquidationCall` a round, exactly as the account cascade does (./cascade.ts: largest
 * collateral, largest debt, Aave's close factor and bonus), until none is left under 1. No price
 * impact: the settled book is the one a later move starts from, which the cascade cannot return.
 * Margin accounts and isolated positions are kept as they are.
 */
export function settleAaveAccounts(s: Snapshot, shocks: ShockVector = {}): SettledAccounts {
  const aave = (s.accounts ?? []).filter((a) => a.family === "aaveV3");
  if (!aave.length) return { snapshot: s, liquidatedUsd: 0, liquidated: [], badDebtUsd: 0 };
  const book = compileBook({ ...s, positions: [], accounts: aave });
  const acc = book.accounts!;
  const prices = checkShocks(book, shocks);
  const amt = acc.amount.slice();
  const slot = new Float64Array(JUDGE_SLOTS);
  const noneMoving = new Uint8Array(book.assets.length); // health and the legs only: the sensitivities are not read
  const liq = new Float64Array(4);
  const open = new Uint8Array(acc.n).fill(1);
  const liquidated = new Set<string>();
  let liquidatedUsd = 0;
  let badDebtUsd = 0;
  // Each call repays at most half the debt above 0.95 and the whole of it below: a bounded number of rounds.
  for (let round = 0; round < 16 * acc.legs + acc.n + 1; round++) {
    let hits = 0;
    for (let i = 0; i < acc.n; i++) {
      if (!open[i] || acc.family[i] !== FAMILY_AAVE || !judgeAccount(acc, amt, prices, i, slot, noneMoving)) continue;
      hits++;
      const coll = slot[COLLATERAL_LEG];
      const debt = slot[DEBT_LEG];
      if (coll >= 0 && debt >= 0) {
        liquidateInto(liq, slot[CLOSE_FACTOR], amt[debt], prices[acc.asset[debt]], amt[coll], prices[acc.asset[coll]], acc.bonus[coll], acc.protocolFee[coll]);
        amt[coll] = liq[1] >= amt[coll] ? 0 : amt[coll] - liq[1];
        amt[debt] = liq[0] >= amt[debt] ? 0 : amt[debt] - liq[0];
        liquidatedUsd += liq[0] * prices[acc.asset[debt]];
        liquidated.add(acc.ids[i]);
      }
      let collateralLeft = false;
      let debtLeft = false;
      for (let k = acc.legStart[i]; k < acc.legStart[i + 1]; k++) {
        if (acc.kind[k] === LEG_DEBT) debtLeft ||= amt[k] > 0;
        else if (acc.weightBps[k] > 0) collateralLeft ||= amt[k] > 0;
      }
      if (debtLeft && !collateralLeft) {
        for (let k = acc.legStart[i]; k < acc.legStart[i + 1]; k++) {
          if (acc.kind[k] !== LEG_DEBT) continue;
          badDebtUsd += amt[k] * prices[acc.asset[k]];
          amt[k] = 0;
        }
        debtLeft = false;
      }
      if (!debtLeft) open[i] = 0;
    }
    if (!hits) break;
  }
  // Compiled legs keep each account's order: its collateral legs, then its debts.
  const after = new Map<string, Account>();
  const byId = new Map(aave.map((a) => [a.id, a]));
  for (let i = 0; i < acc.n; i++) {
    const a = byId.get(acc.ids[i])!;
    let k = acc.legStart[i];
    const collateral = a.collateral.map((c) => ({ ...c, amount: amt[k++] })).filter((c) => c.amount > 0);
    const debts = (a.debts ?? []).map((d) => ({ ...d, amount: amt[k++] })).filter((d) => d.amount > 0);
    after.set(a.id, { ...a, collateral, debts });
  }
  const accounts = (s.accounts ?? []).flatMap((a) => {
    const x = a.family === "aaveV3" ? after.get(a.id)! : a;
    return x.collateral.length || (x.debts?.length ?? 0) || (x.positions?.length ?? 0) ? [x] : [];
  });
  return { snapshot: { ...s, accounts }, liquidatedUsd, liquidated: [...liquidated], badDebtUsd };
}
