import { ContractFactory, Interface, keccak256, toUtf8Bytes, type InterfaceAbi, type Signer } from "ethers";
import {
  AaveOracle__factory,
  AaveProtocolDataProvider__factory,
  ACLManager__factory,
  AToken__factory,
  BorrowLogic__factory,
  BridgeLogic__factory,
  ConfiguratorLogic__factory,
  DefaultReserveInterestRateStrategy__factory,
  EModeLogic__factory,
  FlashLoanLogic__factory,
  LiquidationLogic__factory,
  MintableERC20__factory as AaveMintableERC20__factory,
  Pool__factory,
  PoolAddressesProvider__factory,
  PoolConfigurator__factory,
  PoolLogic__factory,
  StableDebtToken__factory,
  SupplyLogic__factory,
  VariableDebtToken__factory,
} from "./aave-typechain";
import {
  AaveRiskSteward__factory,
  ConstantProductPool__factory,
  MintableERC20__factory,
  MockV3Aggregator__factory,
  Multicall3__factory,
  ReentrantRiskTarget__factory,
  ReferencePerps__factory,
  RiskSteward__factory,
} from "./typechain";

/**
 * The one ABI loader. Every ABI and bytecode the keeper uses comes from typed modules that
 * typechain generates at compile time (src/abi/typechain from this project's contracts,
 * src/abi/aave-typechain from @aave/core-v3's published artifacts) and that are imported here statically: nothing reads Hardhat's
 * artifacts folder or a dev dependency at run time.
 */

interface CompiledContract {
  readonly abi: InterfaceAbi;
  readonly bytecode: string;
}

/** This project's contracts (contracts/). */
const OURS = {
  AaveRiskSteward: AaveRiskSteward__factory,
  ConstantProductPool: ConstantProductPool__factory,
  MintableERC20: MintableERC20__factory,
  MockV3Aggregator: MockV3Aggregator__factory,
  Multicall3: Multicall3__factory,
  ReentrantRiskTarget: ReentrantRiskTarget__factory,
  ReferencePerps: ReferencePerps__factory,
  RiskSteward: RiskSteward__factory,
} satisfies Record<string, CompiledContract>;

/** Aave V3's own contracts, as published in @aave/core-v3. */
const AAVE = {
  ACLManager: ACLManager__factory,
  AToken: AToken__factory,
  AaveOracle: AaveOracle__factory,
  AaveProtocolDataProvider: AaveProtocolDataProvider__factory,
  DefaultReserveInterestRateStrategy: DefaultReserveInterestRateStrategy__factory,
  MintableERC20: AaveMintableERC20__factory,
  Pool: Pool__factory,
  PoolAddressesProvider: PoolAddressesProvider__factory,
  PoolConfigurator: PoolConfigurator__factory,
  StableDebtToken: StableDebtToken__factory,
  VariableDebtToken: VariableDebtToken__factory,
  BorrowLogic: BorrowLogic__factory,
  BridgeLogic: BridgeLogic__factory,
  ConfiguratorLogic: ConfiguratorLogic__factory,
  EModeLogic: EModeLogic__factory,
  FlashLoanLogic: FlashLoanLogic__factory,
  LiquidationLogic: LiquidationLogic__factory,
  PoolLogic: PoolLogic__factory,
  SupplyLogic: SupplyLogic__factory,
} satisfies Record<string, CompiledContract>;

export type OurContract = keyof typeof OURS;

/** Typed factories and contracts of ours, for code that deploys or calls them with their types (the embedded system, tests). */
export { ConstantProductPool__factory, MintableERC20__factory, MockV3Aggregator__factory, Multicall3__factory, ReferencePerps__factory, RiskSteward__factory };
export type { ConstantProductPool, MintableERC20, MockV3Aggregator, Multicall3, ReferencePerps, RiskSteward } from "./typechain";
export type AaveContract = keyof typeof AAVE;

/** Aave's logic libraries live at one path each; linked bytecode names them by it. */
const AAVE_LIBRARY_PATH = "contracts/protocol/libraries/logic";

export function ourAbi(name: OurContract): InterfaceAbi {
  return OURS[name].abi;
}

export function ourInterface(name: OurContract): Interface {
  return new Interface(OURS[name].abi);
}

export function ourFactory(name: OurContract, signer: Signer): ContractFactory {
  return new ContractFactory(OURS[name].abi, OURS[name].bytecode, signer);
}

/** Every interface of this project's contracts: what the revert decoder needs to name custom errors. */
export function ourInterfaces(): Interface[] {
  return (Object.keys(OURS) as OurContract[]).map(ourInterface);
}

export function aaveAbi(name: AaveContract): InterfaceAbi {
  return AAVE[name].abi;
}

export function aaveInterface(name: AaveContract): Interface {
  return new Interface(AAVE[name].abi);
}

/** A factory whose bytecode has every library placeholder replaced by the address given for that library (by name: "BorrowLogic"). */
export function aaveFactory(name: AaveContract, signer: Signer, libraries: Record<string, string> = {}): ContractFactory {
  let code = AAVE[name].bytecode;
  for (const [lib, address] of Object.entries(libraries)) {
    const placeholder = `__$${keccak256(toUtf8Bytes(`${AAVE_LIBRARY_PATH}/${lib}.sol:${lib}`)).slice(2, 36)}$__`;
    code = code.split(placeholder).join(address.slice(2).toLowerCase());
  }
  const unlinked = /__\$[0-9a-f]{34}\$__/.exec(code);
  if (unlinked) throw new Error(`${name} needs a library linked (placeholder ${unlinked[0]}): pass its address`);
  return new ContractFactory(AAVE[name].abi, code, signer);
}
