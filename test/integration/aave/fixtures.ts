import { ethers } from "hardhat";
import { deployAaveMarket, DEMO_LOANS, openAaveBook, type AaveMarket } from "../../../src/protocols/aave/deploy";
import type { Signer } from "ethers";
import { AaveV3Adapter, type AaveAdapterOptions } from "../../../src/protocols/aave/adapter";

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

/** The Aave adapter over a fixture's market, reading its borrowers. */
export async function adapterFor(f: AaveFixture, oracleHeartbeats?: AaveAdapterOptions["oracleHeartbeats"]): Promise<AaveV3Adapter> {
  return new AaveV3Adapter(ethers.provider, {
    protocolId: "aave",
    chainId: 31337n,
    addressesProvider: await f.addressesProvider.getAddress(),
    dataProvider: await f.dataProvider.getAddress(),
    steward: await f.steward.getAddress(),
    multicall: await f.multicall.getAddress(),
    accounts: f.borrowers,
    oracleHeartbeats,
  });
}
