import { expect } from "chai";
import { accountHealth, runScenario, settleAaveAccounts, type ShockVector, type Snapshot } from "../../../src/risk";
import { syntheticAccountSnapshot } from "./synthetic-accounts";

/** The synthetic book's Aave borrowers alone, with no pools: the cascade then liquidates at fixed prices, as settling does. */
function aaveOnly(seed: number): Snapshot {
  const s = syntheticAccountSnapshot(400, seed);
  return { ...s, accounts: s.accounts!.filter((a) => a.family === "aaveV3"), assets: s.assets.map((a) => ({ ...a, liquidity: { kind: "none" as const } })) };
}

describe("settling Aave accounts at fixed prices (the book a later move starts from)", () => {
  for (const shocks of [{} as ShockVector, { WETH: -0.12, wstETH: -0.12, WBTC: -0.1, SOL: -0.2 }, { WETH: -0.3, wstETH: -0.35, WBTC: -0.3, SOL: -0.4 }]) {
    it(`liquidates exactly what the account cascade does at ${JSON.stringify(shocks)}, and leaves no account under health factor 1`, () => {
      const s = aaveOnly(11);
      const settled = settleAaveAccounts(s, shocks);
      const cascade = runScenario(s, shocks);
      expect(settled.liquidatedUsd).to.be.closeTo(cascade.liquidatedNotional, 1e-6 * Math.max(1, cascade.liquidatedNotional));
      expect(settled.badDebtUsd).to.be.closeTo(cascade.deficit, 1e-6 * Math.max(1, cascade.deficit));
      if (Object.keys(shocks).length) expect(settled.liquidated.length).to.be.greaterThan(0);
      expect(accountHealth(settled.snapshot, shocks).filter((h) => h.liquidatable)).to.deep.equal([]);
      // Debt only ever goes down, account by account.
      const owed = (x: Snapshot) => new Map(x.accounts!.map((a) => [a.id, (a.debts ?? []).reduce((t, d) => t + d.amount, 0)]));
      const was = owed(s);
      for (const [id, debt] of owed(settled.snapshot)) expect(debt).to.be.at.most(was.get(id)! + 1e-9);
    });
  }

  it("keeps the book as it is when no account is under 1, and margin accounts untouched", () => {
    const s = syntheticAccountSnapshot(200, 5);
    const healthy = { ...s, accounts: s.accounts!.filter((a) => a.family !== "aaveV3" || !accountHealth({ ...s, accounts: [a] })[0].liquidatable) };
    const settled = settleAaveAccounts(healthy);
    expect(settled.liquidatedUsd).to.equal(0);
    expect(settled.snapshot.accounts).to.deep.equal(healthy.accounts);
  });
});
