import { existsSync, readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { isAddress } from "ethers";

/** The protocol's contract addresses on one chain. */
export interface VerityDeployment {
  chainId: bigint;
  modelRegistry: string;
  workerRegistry: string;
  inferenceHub: string;
  /** The hub's ZK proof verifier, QUORUM coordinator and dispute resolver (absent from
   * deployments made before they joined the Verity module). */
  zkProofVerifier?: string;
  quorumCoordinator?: string;
  disputeResolver?: string;
  /** The VerityTimelock, which holds every admin role (absent from older deployments). */
  timelock?: string;
  /** The CreditLine example, when `deploy/modules/CreditLine.ts` was deployed too. */
  creditLine?: string;
}

export interface DeploymentsOptions {
  /** Where Ignition keeps deployments; defaults to the repository's `deploy/deployments`. */
  deploymentsDir?: string;
  /** The Ignition deployment id; defaults to Ignition's own default, `chain-<chainId>`. */
  deploymentId?: string;
}

/** The repository's `deploy/deployments`, found from this file so any working directory works. */
export const DEFAULT_DEPLOYMENTS_DIR = fileURLToPath(
  new URL("../../../deploy/deployments/", import.meta.url),
);

/** Ignition future ids (`<module>#<contract>`) of each address. */
const FUTURE_IDS = {
  modelRegistry: "Verity#ModelRegistry",
  workerRegistry: "Verity#WorkerRegistry",
  inferenceHub: "Verity#InferenceHub",
  zkProofVerifier: "Verity#ZkProofVerifier",
  quorumCoordinator: "Verity#QuorumCoordinator",
  disputeResolver: "Verity#DisputeResolver",
  timelock: "Verity#VerityTimelock",
  creditLine: "CreditLine#CreditLine",
  /** `CreditLineOnHubModule`, when CreditLine was deployed against a hub given by address. */
  creditLineOnHub: "CreditLineOnHub#CreditLine",
} as const;

/**
 * The addresses Hardhat Ignition recorded for `chainId`, from
 * `deploy/deployments/chain-<chainId>/deployed_addresses.json`.
 *
 * @throws Error naming the chain id and the command that deploys there, when nothing is deployed.
 * @example
 * const { inferenceHub } = deployments(31337);
 * const hub = InferenceHub__factory.connect(inferenceHub, signer);
 */
export function deployments(
  chainId: number | bigint,
  options: DeploymentsOptions = {},
): VerityDeployment {
  const deploymentId = options.deploymentId ?? `chain-${chainId}`;
  const dir = options.deploymentsDir ?? DEFAULT_DEPLOYMENTS_DIR;
  const file = `${dir.replace(/\/+$/, "")}/${deploymentId}/deployed_addresses.json`;
  if (!existsSync(file)) {
    throw new Error(
      `Verity is not deployed on chain ${chainId}: ${file} does not exist. Deploy with ` +
        "`hardhat ignition deploy deploy/modules/Verity.ts --network <network> " +
        "--parameters deploy/parameters/<network>.json` " +
        "(for a local node: `--network localhost --parameters deploy/parameters/localhost.json`).",
    );
  }
  const recorded = JSON.parse(readFileSync(file, "utf8")) as Record<string, unknown>;
  const address = (key: keyof typeof FUTURE_IDS): string | undefined => {
    const value = recorded[FUTURE_IDS[key]];
    if (value === undefined) return undefined;
    if (typeof value !== "string" || !isAddress(value)) {
      throw new Error(`${file}: ${FUTURE_IDS[key]} is not an address: ${String(value)}`);
    }
    return value;
  };
  const required = (key: "modelRegistry" | "workerRegistry" | "inferenceHub"): string => {
    const value = address(key);
    if (value === undefined) {
      throw new Error(
        `${file} has no ${FUTURE_IDS[key]}: the Verity module's deployment on chain ${chainId} ` +
          "is incomplete; run `hardhat ignition deploy deploy/modules/Verity.ts` for it again.",
      );
    }
    return value;
  };
  const creditLine = address("creditLine") ?? address("creditLineOnHub");
  const optional = Object.fromEntries(
    (["zkProofVerifier", "quorumCoordinator", "disputeResolver", "timelock"] as const).flatMap(
      (key) => {
        const value = address(key);
        return value === undefined ? [] : [[key, value]];
      },
    ),
  );
  return {
    chainId: BigInt(chainId),
    modelRegistry: required("modelRegistry"),
    workerRegistry: required("workerRegistry"),
    inferenceHub: required("inferenceHub"),
    ...optional,
    ...(creditLine === undefined ? {} : { creditLine }),
  };
}
