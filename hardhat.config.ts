import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { subtask, task } from "hardhat/config";
import { TASK_COMPILE, TASK_COMPILE_SOLIDITY_GET_SOLC_BUILD } from "hardhat/builtin-tasks/task-names";
import type { HardhatUserConfig } from "hardhat/types";
import "@nomicfoundation/hardhat-toolbox";

// The machines that build this project have no internet: compile with the solc-js that
// ships in the `solc` npm package instead of letting Hardhat download a native compiler.
const SOLC_VERSION: string = require("solc/package.json").version;

subtask(TASK_COMPILE_SOLIDITY_GET_SOLC_BUILD, async (args: { solcVersion: string }, _hre, runSuper) => {
  if (args.solcVersion !== SOLC_VERSION) return runSuper();
  return {
    compilerPath: require.resolve("solc/soljson.js"),
    isSolcJs: true,
    version: SOLC_VERSION,
    longVersion: SOLC_VERSION,
  };
});

const TYPECHAIN_DIR = join(__dirname, "src", "abi", "typechain");
const AAVE_TYPECHAIN_DIR = join(__dirname, "src", "abi", "aave-typechain");
// The Aave V3 contracts the adapter reads and the embedded market deploys, from @aave/core-v3.
const AAVE_ARTIFACTS = [
  "node_modules/@aave/core-v3/artifacts/contracts/protocol/{pool,configuration,tokenization}/*.sol/!(*.dbg).json",
  "node_modules/@aave/core-v3/artifacts/contracts/protocol/libraries/logic/*.sol/!(*.dbg).json",
  "node_modules/@aave/core-v3/artifacts/contracts/misc/*.sol/!(*.dbg).json",
  "node_modules/@aave/core-v3/artifacts/contracts/mocks/tokens/*.sol/!(*.dbg).json",
];

// Typed ABI modules (src/abi imports them statically: the keeper reads no artifacts folder and no
// dev dependency at run time). Typechain writes the modules of what a compile emits: with a warm
// cache and no modules (a fresh checkout of a tree compiled before), nothing would be emitted, so
// compile everything once. Aave's come from its published artifacts, generated once per install.
task(TASK_COMPILE, async (args: { force?: boolean }, _hre, runSuper) => {
  const index = join(TYPECHAIN_DIR, "index.ts");
  const complete = existsSync(index) && readFileSync(index, "utf8").includes("RiskSteward__factory");
  const result = await runSuper({ ...args, force: args.force || !complete });
  if (!existsSync(join(AAVE_TYPECHAIN_DIR, "index.ts"))) {
    const { glob, runTypeChain } = await import("typechain");
    const files = glob(__dirname, AAVE_ARTIFACTS, false);
    await runTypeChain({ cwd: __dirname, filesToProcess: files, allFiles: files, outDir: AAVE_TYPECHAIN_DIR, target: "ethers-v6" });
  }
  return result;
});

const config: HardhatUserConfig = {
  solidity: {
    version: SOLC_VERSION,
    settings: { optimizer: { enabled: true, runs: 500 }, evmVersion: "cancun", viaIR: false },
  },
  networks: {
    hardhat: {
      // Aave V3's Pool exceeds the 24 KiB limit when deployed unoptimised from its artifacts' link step.
      allowUnlimitedContractSize: false,
      mining: { auto: true },
    },
  },
  // `hardhat test` runs every file under test/: unit, contracts, integration (and fork) tiers.
  mocha: { timeout: 120_000 },
  gasReporter: { enabled: process.env.REPORT_GAS === "1" },
  // Typed ABI modules of our contracts, generated at compile time and imported statically by src/abi.
  typechain: { outDir: "src/abi/typechain", target: "ethers-v6" },
};

export default config;
