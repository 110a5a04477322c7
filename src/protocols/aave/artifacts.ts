import { readdirSync, readFileSync, statSync } from "node:fs";
import { dirname, join } from "node:path";
import { ContractFactory, Interface, type InterfaceAbi, type Signer } from "ethers";

interface LinkedArtifact {
  contractName: string;
  abi: InterfaceAbi;
  bytecode: string;
  linkReferences: Record<string, Record<string, { start: number; length: number }[]>>;
}

/**
 * Aave V3's own compiled contracts, as published in @aave/core-v3: found by name and linked to
 * already-deployed libraries by patching the placeholders their `linkReferences` point at.
 */
export class AaveArtifacts {
  private index: Map<string, string> | undefined;
  readonly root: string;

  constructor(root?: string) {
    this.root = root ?? join(dirname(require.resolve("@aave/core-v3/package.json")), "artifacts", "contracts");
  }

  get(name: string): LinkedArtifact {
    const path = this.paths().get(name);
    if (!path) throw new Error(`@aave/core-v3 ships no artifact named ${name}`);
    return JSON.parse(readFileSync(path, "utf8")) as LinkedArtifact;
  }

  iface(name: string): Interface {
    return new Interface(this.get(name).abi);
  }

  /** A factory whose bytecode has every library reference replaced by the given addresses. */
  factory(name: string, signer: Signer, libraries: Record<string, string> = {}): ContractFactory {
    const a = this.get(name);
    let code = a.bytecode.slice(2);
    for (const refs of Object.values(a.linkReferences)) {
      for (const [lib, spots] of Object.entries(refs)) {
        const address = libraries[lib];
        if (!address) throw new Error(`${name} needs library ${lib} linked`);
        for (const { start, length } of spots) {
          code = code.slice(0, start * 2) + address.slice(2).toLowerCase().padStart(length * 2, "0") + code.slice((start + length) * 2);
        }
      }
    }
    return new ContractFactory(a.abi, `0x${code}`, signer);
  }

  private paths(): Map<string, string> {
    if (!this.index) {
      const index = new Map<string, string>();
      const walk = (dir: string) => {
        for (const e of readdirSync(dir)) {
          const p = join(dir, e);
          if (statSync(p).isDirectory()) walk(p);
          else if (e.endsWith(".json") && !e.endsWith(".dbg.json") && !index.has(e.slice(0, -5))) index.set(e.slice(0, -5), p);
        }
      };
      walk(this.root);
      this.index = index;
    }
    return this.index;
  }
}
