import { ContractFactory, Interface, keccak256, toUtf8Bytes, type InterfaceAbi, type Signer } from "ethers";
/**
 * The one ABI loader. Every ABI and bytecode the keeper uses comes from typed modules that
 * typechain generates at compile time (src/abi/typechain from this project's contracts,
 * src/abi/aave-typechain from @aave/core-v3's published artifacts) and that are imported here
 * statically: nothing reads Hardhat's
 * artifacts folder or a dev dependency at run time.
 */

interface CompiledContract {
  readonly abi: InterfaceAbi;
  readonly bytecode: string;
}

/**
 * Each module is required when first asked for: the service reads a handful of ABIs, and loading
 * every factory's bytecode (Aave's are large) would cost its start-up for nothing. The paths are
 * literal, so the modules are compiled with the rest and nothing is looked up at run time.
 */
/** This project's contracts (contracts/). */
const OURS = {
  AaveRiskSteward: () =>
    (require("./typechain/factories/contracts/aave/AaveRiskSteward__factory") as typeof import("./typechain/factories/contracts/aave/AaveRiskSteward__factory")).AaveRiskSteward__factory,
  ConstantProductPool: () =>
    (require("./typechain/factories/contracts/amm/ConstantProductPool__factory") as typeof import("./typechain/factories/contracts/amm/ConstantProductPool__factory")).ConstantProductPool__factory,
  MintableERC20: () => (require("./typechain/factories/contracts/test/MintableERC20__factory") as typeof import("./typechain/factories/contracts/test/MintableERC20__factory")).MintableERC20__factory,
  MockV3Aggregator: () =>
    (require("./typechain/factories/contracts/test/MockV3Aggregator__factory") as typeof import("./typechain/factories/contracts/test/MockV3Aggregator__factory")).MockV3Aggregator__factory,
  Multicall3: () => (require("./typechain/factories/contracts/Multicall3__factory") as typeof import("./typechain/factories/contracts/Multicall3__factory")).Multicall3__factory,
  ReentrantRiskTarget: () =>
    (require("./typechain/factories/contracts/test/ReentrantRiskTarget__factory") as typeof import("./typechain/factories/contracts/test/ReentrantRiskTarget__factory")).ReentrantRiskTarget__factory,
  ReferencePerps: () =>
    (require("./typechain/factories/contracts/perps/ReferencePerps__factory") as typeof import("./typechain/factories/contracts/perps/ReferencePerps__factory")).ReferencePerps__factory,
  RiskSteward: () =>
    (require("./typechain/factories/contracts/steward/RiskSteward.sol/RiskSteward__factory") as typeof import("./typechain/factories/contracts/steward/RiskSteward.sol/RiskSteward__factory"))
      .RiskSteward__factory,
} satisfies Record<string, () => CompiledContract>;

/** Aave V3's own contracts, as published in @aave/core-v3. */
const AAVE = {
  ACLManager: () =>
    (require("./aave-typechain/factories/protocol/configuration/ACLManager__factory") as typeof import("./aave-typechain/factories/protocol/configuration/ACLManager__factory")).ACLManager__factory,
  AToken: () => (require("./aave-typechain/factories/protocol/tokenization/AToken__factory") as typeof import("./aave-typechain/factories/protocol/tokenization/AToken__factory")).AToken__factory,
  AaveOracle: () => (require("./aave-typechain/factories/misc/AaveOracle__factory") as typeof import("./aave-typechain/factories/misc/AaveOracle__factory")).AaveOracle__factory,
  AaveProtocolDataProvider: () =>
    (require("./aave-typechain/factories/misc/AaveProtocolDataProvider__factory") as typeof import("./aave-typechain/factories/misc/AaveProtocolDataProvider__factory"))
      .AaveProtocolDataProvider__factory,
  DefaultReserveInterestRateStrategy: () =>
    (
      require("./aave-typechain/factories/protocol/pool/DefaultReserveInterestRateStrategy__factory") as typeof import("./aave-typechain/factories/protocol/pool/DefaultReserveInterestRateStrategy__factory")
    ).DefaultReserveInterestRateStrategy__factory,
  MintableERC20: () =>
    (require("./aave-typechain/factories/mocks/tokens/MintableERC20__factory") as typeof import("./aave-typechain/factories/mocks/tokens/MintableERC20__factory")).MintableERC20__factory,
  Pool: () => (require("./aave-typechain/factories/protocol/pool/Pool__factory") as typeof import("./aave-typechain/factories/protocol/pool/Pool__factory")).Pool__factory,
  PoolAddressesProvider: () =>
    (require("./aave-typechain/factories/protocol/configuration/PoolAddressesProvider__factory") as typeof import("./aave-typechain/factories/protocol/configuration/PoolAddressesProvider__factory"))
      .PoolAddressesProvider__factory,
  PoolConfigurator: () =>
    (require("./aave-typechain/factories/protocol/pool/PoolConfigurator__factory") as typeof import("./aave-typechain/factories/protocol/pool/PoolConfigurator__factory")).PoolConfigurator__factory,
  StableDebtToken: () =>
    (require("./aave-typechain/factories/protocol/tokenization/StableDebtToken__factory") as typeof import("./aave-typechain/factories/protocol/tokenization/StableDebtToken__factory"))
      .StableDebtToken__factory,
  VariableDebtToken: () =>
    (require("./aave-typechain/factories/protocol/tokenization/VariableDebtToken__factory") as typeof import("./aave-typechain/factories/protocol/tokenization/VariableDebtToken__factory"))
      .VariableDebtToken__factory,
  BorrowLogic: () =>
    (require("./aave-typechain/factories/protocol/libraries/logic/BorrowLogic__factory") as typeof import("./aave-typechain/factories/protocol/libraries/logic/BorrowLogic__factory"))
      .BorrowLogic__factory,
  BridgeLogic: () =>
    (require("./aave-typechain/factories/protocol/libraries/logic/BridgeLogic__factory") as typeof import("./aave-typechain/factories/protocol/libraries/logic/BridgeLogic__factory"))
      .BridgeLogic__factory,
  ConfiguratorLogic: () =>
    (require("./aave-typechain/factories/protocol/libraries/logic/ConfiguratorLogic__factory") as typeof import("./aave-typechain/factories/protocol/libraries/logic/ConfiguratorLogic__factory"))
      .ConfiguratorLogic__factory,
  EModeLogic: () =>
    (require("./aave-typechain/factories/protocol/libraries/logic/EModeLogic__factory") as typeof import("./aave-typechain/factories/protocol/libraries/logic/EModeLogic__factory"))
      .EModeLogic__factory,
  FlashLoanLogic: () =>
    (require("./aave-typechain/factories/protocol/libraries/logic/FlashLoanLogic__factory") as typeof import("./aave-typechain/factories/protocol/libraries/logic/FlashLoanLogic__factory"))
      .FlashLoanLogic__factory,
  LiquidationLogic: () =>
    (require("./aave-typechain/factories/protocol/libraries/logic/LiquidationLogic__factory") as typeof import("./aave-typechain/factories/protocol/libraries/logic/LiquidationLogic__factory"))
      .LiquidationLogic__factory,
  PoolLogic: () =>
    (require("./aave-typechain/factories/protocol/libraries/logic/PoolLogic__factory") as typeof import("./aave-typechain/factories/protocol/libraries/logic/PoolLogic__factory")).PoolLogic__factory,
  SupplyLogic: () =>
    (require("./aave-typechain/factories/protocol/libraries/logic/SupplyLogic__factory") as typeof import("./aave-typechain/factories/protocol/libraries/logic/SupplyLogic__factory"))
      .SupplyLogic__factory,
} satisfies Record<string, () => CompiledContract>;

export type OurContract = keyof typeof OURS;
export type AaveContract = keyof typeof AAVE;

/** Typed factories and contracts of ours, for code that deploys or calls them with their types (the embedded system, tests). */
export { ConstantProductPool__factory } from "./typechain/factories/contracts/amm/ConstantProductPool__factory";
export { MintableERC20__factory } from "./typechain/factories/contracts/test/MintableERC20__factory";
export { MockV3Aggregator__factory } from "./typechain/factories/contracts/test/MockV3Aggregator__factory";
export { Multicall3__factory } from "./typechain/factories/contracts/Multicall3__factory";
export { ReferencePerps__factory } from "./typechain/factories/contracts/perps/ReferencePerps__factory";
export { RiskSteward__factory } from "./typechain/factories/contracts/steward/RiskSteward.sol/RiskSteward__factory";
export type { ConstantProductPool, MintableERC20, MockV3Aggregator, Multicall3, ReferencePerps, RiskSteward } from "./typechain";

/** Aave's logic libraries live at one path each; linked bytecode names them by it. */
const AAVE_LIBRARY_PATH = "contracts/protocol/libraries/logic";

export function ourAbi(name: OurContract): InterfaceAbi {
  return OURS[name]().abi;
}

export function ourInterface(name: OurContract): Interface {
  return new Interface(OURS[name]().abi);
}

export function ourFactory(name: OurContract, signer: Signer): ContractFactory {
  const c = OURS[name]();
  return new ContractFactory(c.abi, c.bytecode, signer);
}

/** Every interface of this project's contracts: what the revert decoder needs to name custom errors. */
export function ourInterfaces(): Interface[] {
  return (Object.keys(OURS) as OurContract[]).map(ourInterface);
}

export function aaveAbi(name: AaveContract): InterfaceAbi {
  return AAVE[name]().abi;
}

export function aaveInterface(name: AaveContract): Interface {
  return new Interface(AAVE[name]().abi);
}

/** A factory whose bytecode has every library placeholder replaced by the address given for that library (by name: "BorrowLogic"). */
export function aaveFactory(name: AaveContract, signer: Signer, libraries: Record<string, string> = {}): ContractFactory {
  let code = AAVE[name]().bytecode;
  for (const [lib, address] of Object.entries(libraries)) {
    const placeholder = `__$${keccak256(toUtf8Bytes(`${AAVE_LIBRARY_PATH}/${lib}.sol:${lib}`)).slice(2, 36)}$__`;
    code = code.split(placeholder).join(address.slice(2).toLowerCase());
  }
  const unlinked = /__\$[0-9a-f]{34}\$__/.exec(code);
  if (unlinked) throw new Error(`${name} needs a library linked (placeholder ${unlinked[0]}): pass its address`);
  return new ContractFactory(AAVE[name]().abi, code, signer);
}
