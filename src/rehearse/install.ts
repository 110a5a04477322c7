import { Contract, formatUnits, JsonRpcSigner, type JsonRpcProvider } from "ethers";
import { configureStewardBounds } from "../embedded/reference-system";
import { aaveAbi, ourAbi, ourFactory, RiskSteward__factory, type OurContract } from "../abi";
import { configureAaveStewardBounds } from "../protocols/aave/deploy";
import { DEFAULT_GOVERNANCE_PROFILE, type GovernanceProfileName } from "../steward/profiles";

/** A protocol to rehearse, by address: what a keeper config names, minus the steward (the rehearsal installs its own). */
export type RehearsalTarget =
  | { kind: "reference"; id: string; perps: string; multicall: string; pools: Record<string, string> }
  | { kind: "aaveV3"; id: string; addressesProvider: string; dataProvider: string; multicall: string; accounts: string[] };

export interface InstalledSteward {
  target: RehearsalTarget;
  steward: string;
  /** The governance profile its bounds were set from. */
  profile: GovernanceProfileName;
  /** Who governs the protocol on this chain (impersonated on a fork). */
  governance: string;
}

const ETH_1000 = "0x3635C9ADC5DEA00000";

/** A signer for any address on a Hardhat chain: impersonated and funded, as on a fork governance must be. */
export async function impersonate(provider: JsonRpcProvider, address: string): Promise<JsonRpcSigner> {
  await provider.send("hardhat_impersonateAccount", [address]);
  await provider.send("hardhat_setBalance", [address, ETH_1000]);
  // Not provider.getSigner(address): ethers refuses addresses the node does not list in eth_accounts.
  return new JsonRpcSigner(provider, address);
}

/**
 * Installs a fresh steward in front of the protocol, as its governance would: deploys it, sets
 * bounds from a governance profile around today's parameters, makes it the risk admin and
 * allowlists the keeper.
 */
export async function installSteward(provider: JsonRpcProvider, target: RehearsalTarget, keeper: string, profile: GovernanceProfileName = DEFAULT_GOVERNANCE_PROFILE): Promise<InstalledSteward> {
  await provider.send("hardhat_setBalance", [keeper, ETH_1000]);
  return target.kind === "reference" ? installRiskSteward(provider, target, keeper, profile) : installAaveSteward(provider, target, keeper, profile);
}

async function deploy(name: OurContract, signer: JsonRpcSigner, ...args: unknown[]): Promise<Contract> {
  const c = await ourFactory(name, signer).deploy(...args);
  await c.waitForDeployment();
  return c as unknown as Contract;
}

async function installRiskSteward(provider: JsonRpcProvider, target: Extract<RehearsalTarget, { kind: "reference" }>, keeper: string, profile: GovernanceProfileName): Promise<InstalledSteward> {
  const perpsRead = new Contract(target.perps, ourAbi("ReferencePerps"), provider);
  const governance = (await perpsRead.owner()) as string;
  const gov = await impersonate(provider, governance);
  const perps = perpsRead.connect(gov) as Contract;
  // The rehearsal's keeper is the steward's primary keeper (immutable, no allowlist read).
  const steward = await (await new RiskSteward__factory(gov).deploy(target.perps, governance, keeper)).waitForDeployment();
  for (const m of await perps.getMarkets()) {
    const cap = Number(formatUnits(m.longCap > m.shortCap ? m.longCap : m.shortCap, 18));
    await configureStewardBounds(steward, m.id, { imrBps: Number(m.imrBps), mmrBps: Number(m.mmrBps), capUsd: cap }, profile);
  }
  await (await perps.setRiskAdmin(await steward.getAddress())).wait();
  return { target, steward: await steward.getAddress(), governance, profile };
}

async function installAaveSteward(provider: JsonRpcProvider, target: Extract<RehearsalTarget, { kind: "aaveV3" }>, keeper: string, profile: GovernanceProfileName): Promise<InstalledSteward> {
  const addresses = new Contract(target.addressesProvider, aaveAbi("PoolAddressesProvider"), provider);
  const governance = (await addresses.getACLAdmin()) as string;
  const gov = await impersonate(provider, governance);
  const acl = new Contract(await addresses.getACLManager(), aaveAbi("ACLManager"), gov);
  const data = new Contract(target.dataProvider, aaveAbi("AaveProtocolDataProvider"), provider);
  const steward = await deploy("AaveRiskSteward", gov, await addresses.getPoolConfigurator(), target.dataProvider, governance, keeper);
  for (const { tokenAddress } of await data.getAllReservesTokens()) {
    const conf = await data.getReserveConfigurationData(tokenAddress);
    if (!conf.usageAsCollateralEnabled && !conf.borrowingEnabled) continue;
    const caps = await data.getReserveCaps(tokenAddress);
    await configureAaveStewardBounds(
      steward,
      tokenAddress,
      {
        ltvBps: Number(conf.ltv),
        liquidationThresholdBps: Number(conf.liquidationThreshold),
        liquidationBonusBps: Number(conf.liquidationBonus),
        supplyCap: Number(caps.supplyCap),
        borrowCap: Number(caps.borrowCap),
      },
      profile,
    );
  }
  await (await acl.addRiskAdmin(await steward.getAddress())).wait();
  return { target, steward: await steward.getAddress(), governance, profile };
}
