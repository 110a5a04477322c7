import { readFileSync, readdirSync, statSync } from "node:fs";
import { join } from "node:path";
import { ContractFactory, Interface, type InterfaceAbi, type Signer } from "ethers";

/** The compiled output of one contract, as Hardhat writes it under artifacts/. */
export interface Artifact {
  contractName: string;
  abi: InterfaceAbi;
  bytecode: string;
}

export class ArtifactNotFoundError extends Error {
  override readonly name = "ArtifactNotFoundError";
  constructor(readonly contractName: string, readonly root: string) {
    super(`no compiled artifact for ${contractName} under ${root}: run \`npx hardhat compile\` first`);
  }
}

/** Finds compiled contracts of this project by name (artifacts/contracts/**\/Name.sol/Name.json). */
export class ArtifactStore {
  private index: Map<string, string> | undefined;

  constructor(readonly root: string = join(__dirname, "..", "..", "artifacts", "contracts")) {}

  get(contractName: string): Artifact {
    const path = this.paths().get(contractName);
    if (!path) throw new ArtifactNotFoundError(contractName, this.root);
    return JSON.parse(readFileSync(path, "utf8")) as Artifact;
  }

  iface(contractName: string): Interface {
    return new Interface(this.get(contractName).abi);
  }

  factory(contractName: string, signer: Signer): ContractFactory {
    const a = this.get(contractName);
    return new ContractFactory(a.abi, a.bytecode, signer);
  }

  /** Every interface of this project's contracts: what the revert decoder needs to name custom errors. */
  allInterfaces(): Interface[] {
    return [...this.paths().keys()].map((name) => this.iface(name));
  }

  private paths(): Map<string, string> {
    if (!this.index) {
      this.index = new Map();
      const walk = (dir: string) => {
        let entries: string[];
        try {
          entries = readdirSync(dir);
        } catch {
          return;
        }
        for (const e of entries) {
          const p = join(dir, e);
          if (statSync(p).isDirectory()) walk(p);
          else if (e.endsWith(".json") && !e.endsWith(".dbg.json")) this.index?.set(e.slice(0, -5), p);
        }
      };
      walk(this.root);
    }
    return this.index;
  }
}
