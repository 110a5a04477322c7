import { subtask } from "hardhat/config";
import { TASK_COMPILE_SOLIDITY_GET_SOLC_BUILD } from "hardhat/builtin-tasks/task-names";
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
  typechain: { outDir: "typechain-types", target: "ethers-v6" },
};

export default config;
