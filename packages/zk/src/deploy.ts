import { readFile, writeFile } from "node:fs/promises";
import { createRequire } from "node:module";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { ContractFactory } from "ethers";
import type { ContractRunner, InterfaceAbi, Signer } from "ethers";
import {
  IZkModelVerifier__factory,
  ModelRegistry__factory,
  ZkProofVerifier__factory,
} from "@verity/contracts";
import type { ModelRegistry } from "@verity/contracts";
import type { ZkModelArtifacts } from "./setup.js";

const require = createRequire(import.meta.url);

/** contracts/zk in this repository: the shared verifier base the generated source imports. */
const CONTRACTS_ZK = fileURLToPath(new URL("../../../contracts/zk/", import.meta.url));

export interface CompiledVerifier {
  contractName: string;
  abi: InterfaceAbi;
  bytecode: string;
  solcVersion: string;
}

interface SolcOutput {
  errors?: { severity: string; formattedMessage: string }[];
  contracts: Record<
    string,
    Record<string, { abi: InterfaceAbi; evm: { bytecode: { object: string } } }>
  >;
}

/**
 * Compiles a model's generated verifier with the npm `solc` (the repository's pinned compiler,
 * same settings as hardhat.config.ts: optimizer 10,000 runs, cancun). Cached next to the artifacts.
 */
export async function compileVerifier(artifacts: ZkModelArtifacts): Promise<CompiledVerifier> {
  const solc = require("solc") as { version(): string; compile(input: string): string };
  const solcVersion = solc.version();
  const cache = join(artifacts.paths.dir, `${artifacts.contractName}.compiled.json`);
  try {
    const cached = JSON.parse(await readFile(cache, "utf8")) as CompiledVerifier;
    if (cached.solcVersion === solcVersion) return cached;
  } catch {
    // Not compiled yet.
  }
  const sources: Record<string, { content: string }> = {
    [artifacts.verifierSourceName]: { content: artifacts.verifierSource },
  };
  for (const name of ["ZkModelVerifier.sol", "IZkModelVerifier.sol"]) {
    sources[`contracts/zk/${name}`] = { content: await readFile(join(CONTRACTS_ZK, name), "utf8") };
  }
  const output = JSON.parse(
    solc.compile(
      JSON.stringify({
        language: "Solidity",
        sources,
        settings: {
          optimizer: { enabled: true, runs: 10_000 },
          evmVersion: "cancun",
          outputSelection: {
            [artifacts.verifierSourceName]: {
              [artifacts.contractName]: ["abi", "evm.bytecode.object"],
            },
          },
        },
      }),
    ),
  ) as SolcOutput;
  const errors = (output.errors ?? []).filter((error) => error.severity === "error");
  if (errors.length > 0) {
    throw new Error(
      `compiling ${artifacts.contractName} failed:\n${errors.map((e) => e.formattedMessage).join("\n")}`,
    );
  }
  const contract = output.contracts[artifacts.verifierSourceName][artifacts.contractName];
  const compiled: CompiledVerifier = {
    contractName: artifacts.contractName,
    abi: contract.abi,
    bytecode: `0x${contract.evm.bytecode.object}`,
    solcVersion,
  };
  await writeFile(cache, JSON.stringify(compiled));
  return compiled;
}

/** Deploys a model's verifier and returns its address. */
export async function deployModelVerifier(
  signer: Signer,
  artifacts: ZkModelArtifacts,
): Promise<string> {
  const { abi, bytecode } = await compileVerifier(artifacts);
  const contract = await new ContractFactory(abi, bytecode, signer).deploy();
  await contract.waitForDeployment();
  return contract.getAddress();
}

/**
 * Deploys a model's verifier and binds it in the registry as the model's ZK commitment (which
 * enables ZK requests for it). `owner` must own the model; the commitment is set once.
 *
 * @example
 * const { verifier } = await deployZkModel(owner, registryAddress, artifacts);
 */
export async function deployZkModel(
  owner: Signer,
  registry: string | ModelRegistry,
  artifacts: ZkModelArtifacts,
): Promise<{ verifier: string }> {
  const verifier = await deployModelVerifier(owner, artifacts);
  const models = connectRegistry(registry, owner);
  const tx = await models.setZkCommitment(artifacts.modelId, {
    circuitHash: artifacts.circuitHash,
    verifyingKeyHash: artifacts.verifyingKeyHash,
    verifier,
  });
  await tx.wait();
  return { verifier };
}

/** Deploys the hub's `ZkProofVerifier` (register it with `hub.setProofVerifier(ProofMode.ZK, …)`). */
export async function deployZkProofVerifier(signer: Signer, registry: string): Promise<string> {
  const contract = await new ZkProofVerifier__factory(signer).deploy(registry);
  await contract.waitForDeployment();
  return contract.getAddress();
}

/**
 * Checks that the registry binds `artifacts` for their model: the committed circuit and key hashes
 * are these artifacts', and the verifier contract reports the same. A worker should refuse to
 * prove otherwise (its proofs would fail).
 */
export async function checkZkCommitment(
  registry: string | ModelRegistry,
  runner: ContractRunner,
  artifacts: ZkModelArtifacts,
): Promise<void> {
  const models = connectRegistry(registry, runner);
  const { zk } = await models.getModel(artifacts.modelId);
  const problems: string[] = [];
  if (zk.verifier === "0x0000000000000000000000000000000000000000")
    problems.push("no ZK commitment");
  if (zk.circuitHash !== artifacts.circuitHash) problems.push(`circuit hash ${zk.circuitHash}`);
  if (zk.verifyingKeyHash !== artifacts.verifyingKeyHash) {
    problems.push(`verifying-key hash ${zk.verifyingKeyHash}`);
  }
  if (problems.length === 0) {
    const reported = await IZkModelVerifier__factory.connect(
      zk.verifier,
      runner,
    ).verifyingKeyHash();
    if (reported !== artifacts.verifyingKeyHash)
      problems.push(`verifier ${zk.verifier} reports key ${reported}`);
  }
  if (problems.length > 0) {
    throw new Error(
      `model ${artifacts.modelId}: the registry's ZK commitment does not match these artifacts ` +
        `(${problems.join(", ")}; expected circuit ${artifacts.circuitHash}, key ${artifacts.verifyingKeyHash})`,
    );
  }
}

function connectRegistry(registry: string | ModelRegistry, runner: ContractRunner): ModelRegistry {
  return typeof registry === "string"
    ? ModelRegistry__factory.connect(registry, runner)
    : (registry.connect(runner) as ModelRegistry);
}
