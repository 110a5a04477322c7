import { compileBook } from "../book";
import { checkShocks, type ShockVector } from "../cascade";
import { RiskInputError } from "../errors";
import type { Snapshot } from "../snapshot";
import { aaveLiquidation } from "./aave";
import { FAMILY_AAVE } from "./compile";
import { COLLATERAL_LEG, DEBT_LEG, HEALTH, JUDGE_SLOTS, judgeAccount } from "./judge";

export interface AccountHealth {
  id: string;
  /** Aave: the health factor; margin accounts: equity ÷ maintenance (Infinity with nothing owed). */
  health: number;
  liquidatable: boolean;
}

/** Every account judged by its family's rule at the snapshot's prices moved by `shocks`, before any cascade. */
export function accountHealth(s: Snapshot, shocks: ShockVector = {}): AccountHealth[] {
  const book = compileBook({ ...s, positions: [], accounts: s.accounts ?? [] });
  const acc = book.accounts;
  if (!acc) return [];
  const prices = checkShocks(book, shocks);
  const slot = new Float64Array(JUDGE_SLOTS);
  const noneMoving = new Uint8Array(book.assets.length); // health only: the sensitivities are not read
  return acc.ids.map((id, i) => {
    const liquidatable = judgeAccount(acc, acc.amount, prices, i, slot, noneMoving);
    return { id, health: slot[HEALTH], liquidatable };
  });
}

export interface PlannedAaveLiquidation {
  account: string;
  collateralAsset: string;
  debtAsset: string;
  /** Debt units the liquidator repays. */
  debtCovered: number;
  /** Collateral units taken from the borrower (to the liquidator plus the protocol fee). */
  collateralTaken: number;
  collateralToLiquidator: number;
  protocolFeeAmount: number;
}

/** The first liquidation of Aave account `id` at the moved prices, as the cascade would make it; null when it is healthy. */
export function firstAaveLiquidation(s: Snapshot, id: string, shocks: ShockVector = {}): PlannedAaveLiquidation | null {
  const book = compileBook({ ...s, positions: [], accounts: s.accounts ?? [] });
  const acc = book.accounts;
  const i = acc ? acc.ids.indexOf(id) : -1;
  if (!acc || i < 0 || acc.family[i] !== FAMILY_AAVE) throw new RiskInputError("account", `no Aave account ${id}`);
  const prices = checkShocks(book, shocks);
  const slot = new Float64Array(JUDGE_SLOTS);
  if (!judgeAccount(acc, acc.amount, prices, i, slot, new Uint8Array(book.assets.length))) return null;
  const coll = slot[COLLATERAL_LEG];
  const debt = slot[DEBT_LEG];
  if (coll < 0 || debt < 0) return null;
  const liq = aaveLiquidation({
    healthFactor: slot[HEALTH],
    debtAmount: acc.amount[debt],
    debtPrice: prices[acc.asset[debt]],
    collateralAmount: acc.amount[coll],
    collateralPrice: prices[acc.asset[coll]],
    bonus: acc.bonus[coll],
    protocolFee: acc.protocolFee[coll],
  });
  return { account: id, collateralAsset: book.assets[acc.asset[coll]].id, debtAsset: book.assets[acc.asset[debt]].id, ...liq };
}
