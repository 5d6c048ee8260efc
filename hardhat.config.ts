import { readdirSync } from "node:fs";
import { createRequire } from "node:module";
import hardhatToolboxMochaEthers from "@nomicfoundation/hardhat-toolbox-mocha-ethers";
import hardhatTypechain from "@nomicfoundation/hardhat-typechain";
import { configVariable, defineConfig } from "hardhat/config";

const require = createRequire(import.meta.url);

/** The compiler comes from the npm `solc` package (pinned exactly), so a build downloads nothing. */
const solcjs = (pkg: string, runs = 10_000) => ({
  version: require(`${pkg}/package.json`).version as string,
  path: require.resolve(`${pkg}/soljson.js`),
  settings: { optimizer: { enabled: true, runs }, evmVersion: "cancun" },
});

/**
 * Every Solidity file of `@verity/solidity` (packages/solidity), the user-facing interfaces, types,
 * libraries, consumer base and mock hub that the root contracts import by package path. Hardhat
 * writes artifacts only for the project's own files unless told otherwise; listing these keeps
 * their artifacts and typechain bindings (`IInferenceHub__factory`, `TensorCodec__factory`, ...)
 * in @verity/contracts, under the same names as when the files lived in contracts/.
 */
const VERITY_SOLIDITY_DIR = new URL("./packages/solidity/", import.meta.url);
const VERITY_SOLIDITY_FILES = readdirSync(VERITY_SOLIDITY_DIR, {
  recursive: true,
  encoding: "utf8",
})
  .filter((file) => file.endsWith(".sol") && !file.startsWith("node_modules"))
  .sort()
  .map((file) => `@verity/solidity/${file}`);

/**
 * The hub is the one contract near the 24,576-byte code limit (EIP-170): at 10,000 runs the
 * optimizer's inlining takes it to 24,720 bytes, at 4,000 it is 23,962. Measured with
 * `npm run gas` (reports/gas.json), requesting, submitting, batching and finalizing cost within
 * 150 gas of what the previous hub cost at 10,000 runs.
 */
const HUB_OVERRIDE = { "contracts/InferenceHub.sol": solcjs("solc", 4_000) };

export default defineConfig({
  plugins: [hardhatToolboxMochaEthers, hardhatTypechain],
  solidity: {
    npmFilesToBuild: VERITY_SOLIDITY_FILES,
    profiles: {
      default: { compilers: [solcjs("solc")], overrides: HUB_OVERRIDE },
      // Not isolated: Ignition builds with this profile, and a types-only file compiled alone has
      // no `contracts` output, which `hardhat node` then fails to parse.
      production: { compilers: [solcjs("solc")], overrides: HUB_OVERRIDE, isolated: false },
    },
  },
  paths: {
    sources: "contracts",
    tests: { solidity: "test/solidity", mocha: "test" },
    ignition: "deploy",
  },
  typechain: { outDir: "packages/contracts/typechain" },
  test: {
    solidity: {
      fuzz: { runs: 256 },
      invariant: { runs: 64, depth: 40, failOnRevert: false },
    },
  },
  networks: {
    localhost: { type: "http", chainType: "l1", url: "http://127.0.0.1:8545" },
    // A public testnet, configured from the environment: `VERITY_TESTNET_RPC_URL` and
    // `VERITY_DEPLOYER_KEY` (or `npx hardhat keystore set VERITY_DEPLOYER_KEY`).
    testnet: {
      type: "http",
      chainType: "l1",
      url: configVariable("VERITY_TESTNET_RPC_URL"),
      accounts: [configVariable("VERITY_DEPLOYER_KEY")],
    },
  },
});
