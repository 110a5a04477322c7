import { ethers } from "hardhat";
import { deployAaveMarket, DEMO_LOANS, openAaveBook, type AaveMarket } from "../../../src/protocols/aave/deploy";
import type { Signer } from "ethers";

export interface AaveFixture extends AaveMarket {
  governance: Signer;
  keeper: Signer;
  stranger: Signer;
  users: Signer[];
  borrowers: string[];
}

/** A real Aave V3 market from its published artifacts, with a lender and five borrowers. */
export async function aaveFixture(): Promise<AaveFixture> {
  const [governance, keeper, stranger, ...users] = await ethers.getSigners();
  const market = await deployAaveMarket(governance, { keepers: [await keeper.getAddress()] });
  await openAaveBook(market, users, DEMO_LOANS);
  const borrowers = await Promise.all(users.slice(0, 6).map((u) => u.getAddress()));
  return { ...market, governance, keeper, stranger, users, borrowers };
}
