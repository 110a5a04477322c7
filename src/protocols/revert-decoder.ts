import { RevertDecoder } from "../chain/revert";
import { aaveInterface, ourInterfaces } from "../abi";

/** The decoder for every contract the keeper calls: our steward and protocol, and Aave's PoolConfigurator behind its steward. */
export function keeperRevertDecoder(): RevertDecoder {
  return new RevertDecoder([...ourInterfaces(), aaveInterface("PoolConfigurator")]);
}
