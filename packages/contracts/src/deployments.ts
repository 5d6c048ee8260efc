import {
  existsSync,
  mkdirSync,
  readFileSync,
  readdirSync,
  renameSync,
  writeFileSync,
} from "node:fs";
import { homedir } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { isAddress } from "ethers";
import type { HubSource } from "./hubSource.js";

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

/** Where Ignition records the addresses of `chainId`'s deployment. */
export function deploymentFile(chainId: number | bigint, options: DeploymentsOptions = {}): string {
  const dir = options.deploymentsDir ?? DEFAULT_DEPLOYMENTS_DIR;
  return join(dir, options.deploymentId ?? `chain-${chainId}`, "deployed_addresses.json");
}

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
  const file = deploymentFile(chainId, options);
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

/**
 * What a running `verity devnet` records so that the SDK, the CLI and the explorer find its
 * contracts from any directory: the addresses, the node's URL, and the process that owns them.
 */
export interface DevnetRecord {
  rpcUrl: string;
  chainId: string;
  inferenceHub: string;
  modelRegistry: string;
  workerRegistry: string;
  /** The `verity devnet` process; a record whose process is gone is ignored. */
  pid: number;
  startedAt: string;
}

/** Where devnets record themselves: `$VERITY_HOME/devnets`, by default `~/.verity/devnets`. */
export function devnetRecordsDir(): string {
  return join(process.env.VERITY_HOME || join(homedir(), ".verity"), "devnets");
}

/** The record file of the devnet whose node answers at `rpcUrl` (localhost and 127.0.0.1 alike). */
export function devnetRecordPath(rpcUrl: string): string {
  const url = new URL(rpcUrl);
  const host = url.hostname === "localhost" ? "127.0.0.1" : url.hostname;
  const port = url.port || (url.protocol === "https:" ? "443" : "80");
  return join(devnetRecordsDir(), `${host.replace(/[^0-9A-Za-z.-]/g, "_")}_${port}.json`);
}

/** Records a devnet (atomically); returns the file, which the devnet removes when it stops. */
export function writeDevnetRecord(record: DevnetRecord): string {
  const file = devnetRecordPath(record.rpcUrl);
  mkdirSync(dirname(file), { recursive: true });
  const temporary = `${file}.${process.pid}.tmp`;
  writeFileSync(temporary, `${JSON.stringify(record, null, 2)}\n`);
  renameSync(temporary, file);
  return file;
}

/**
 * The devnet recorded for `rpcUrl` on `chainId`, when its process still runs (a devnet killed
 * without cleaning up leaves a record that must not be trusted), else `undefined`. Without an
 * `rpcUrl` (a client given a provider), the one running devnet of that chain, if there is exactly
 * one.
 */
export function findDevnetRecord(
  rpcUrl: string | undefined,
  chainId: bigint,
): (DevnetRecord & { file: string }) | undefined {
  if (rpcUrl !== undefined) return readDevnetRecord(devnetRecordPath(rpcUrl), chainId);
  let names: string[];
  try {
    names = readdirSync(devnetRecordsDir()).filter((name) => name.endsWith(".json"));
  } catch {
    return undefined;
  }
  const running = names.flatMap((name) => {
    const record = readDevnetRecord(join(devnetRecordsDir(), name), chainId);
    return record === undefined ? [] : [record];
  });
  return running.length === 1 ? running[0] : undefined;
}

function readDevnetRecord(
  file: string,
  chainId: bigint,
): (DevnetRecord & { file: string }) | undefined {
  let record: DevnetRecord;
  try {
    record = JSON.parse(readFileSync(file, "utf8")) as DevnetRecord;
  } catch {
    return undefined;
  }
  if (record.chainId !== String(chainId) || !isAddress(record.inferenceHub)) return undefined;
  try {
    process.kill(record.pid, 0);
  } catch (error) {
    // EPERM: it runs, as another user.
    if ((error as NodeJS.ErrnoException).code !== "EPERM") return undefined;
  }
  return { ...record, file };
}

/**
 * The InferenceHub to use on `chainId`, found in this order: the `VERITY_HUB_ADDRESS`
 * environment variable; the record of a running `verity devnet` at `rpcUrl`; the Hardhat
 * Ignition deployment recorded for the chain. Returns which one it used. Without `rpcUrl` (a
 * provider given instead), the one running devnet of the chain.
 *
 * @throws Error listing the three places, when none has one.
 */
export function findHubAddress(
  chainId: bigint,
  rpcUrl: string | undefined,
  options: DeploymentsOptions = {},
): { address: string; source: HubSource } {
  // A page has no process: it passes the hub itself.
  const fromEnvironment =
    typeof process === "undefined" ? undefined : process.env.VERITY_HUB_ADDRESS;
  if (fromEnvironment) return { address: fromEnvironment, source: "VERITY_HUB_ADDRESS" };
  const devnet = findDevnetRecord(rpcUrl, chainId);
  if (devnet !== undefined)
    return { address: devnet.inferenceHub, source: { devnet: devnet.file } };
  try {
    return {
      address: deployments(chainId, options).inferenceHub,
      source: { ignition: deploymentFile(chainId, options) },
    };
  } catch (error) {
    throw new Error(
      `no InferenceHub is known for chain ${chainId}: VERITY_HUB_ADDRESS is not set, ` +
        `no running devnet is recorded for ${rpcUrl ?? "this provider"} (in ${devnetRecordsDir()}), ` +
        `and ${(error as Error).message}`,
      { cause: error },
    );
  }
}
