import { RevertDecoder } from "../chain/revert";
import { ArtifactStore } from "../embedded/artifacts";
import { AaveArtifacts } from "./aave/artifacts";

/** The decoder for every contract the keeper calls: our steward and protocol, and Aave's PoolConfigurator behind its steward. */
export function keeperRevertDecoder(): RevertDecoder {
  return new RevertDecoder([...new ArtifactStore().allInterfaces(), new AaveArtifacts().iface("PoolConfigurator")]);
}
