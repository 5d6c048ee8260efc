import { JsonRpcProvider, Network, Wallet, isAddress, type Provider, type Signer } from "ethers";
import {
  InferenceHub__factory,
  ModelRegistry__factory,
  WorkerRegistry__factory,
  describeHubSource,
  type HubSource,
  type InferenceHub,
  type ModelRegistry,
  type WorkerRegistry,
} from "@verity/contracts";
// Node: the environment, devnet records and Ignition files; a browser bundle: none of them.
import { findHubAddress } from "#deployment-files";
import {
  BaseError,
  ChainMismatchError,
  ContractNotDeployedError,
  DeploymentNotFoundError,
  InvalidInputError,
  RpcUnreachableError,
  SignerRequiredError,
  toVerityError,
} from "./errors.js";

/** The RPC URL used when none is given: a local node, as `verity devnet` starts one. */
export const DEFAULT_RPC_URL = "http://127.0.0.1:8545";

export interface CreateVerityClientParameters {
  /** JSON-RPC endpoint; default `http://127.0.0.1:8545`. Ignored when `provider` is given. */
  rpcUrl?: string;
  /** An ethers provider to use instead of `rpcUrl` (Hardhat's `ethers.provider`, say). */
  provider?: Provider;
  /** The account that sends transactions, as a 0x-prefixed private key. */
  privateKey?: string;
  /** ...or as an ethers signer. Without either, the client only reads. */
  signer?: Signer;
  /**
   * The `InferenceHub`. Default, in this order: `VERITY_HUB_ADDRESS`; the running `verity devnet`
   * recorded for `rpcUrl`; the Hardhat Ignition deployment recorded for the chain. The client's
   * `hubSource` says which was used.
   */
  hubAddress?: string;
  /** Refuse to work with any other chain (a guard against the wrong network). */
  chainId?: bigint | number;
  /** First block searched for events (the hub's deployment block on a long chain); default 0. */
  fromBlock?: number;
  /** How often waits poll the chain, in ms; default 250. */
  pollingIntervalMs?: number;
}

/** A connection to one Verity deployment: what every SDK function takes first. */
export interface VerityClient {
  provider: Provider;
  /** The sending account, when the client has one. */
  signer?: Signer;
  account?: string;
  /** The endpoint, when the client made its own provider. */
  rpcUrl?: string;
  chainId: bigint;
  /** Typed contracts (typechain), connected to the signer when there is one. */
  hub: InferenceHub;
  modelRegistry: ModelRegistry;
  workerRegistry: WorkerRegistry;
  addresses: { inferenceHub: string; modelRegistry: string; workerRegistry: string };
  /** Where the hub's address came from (`describeHubSource` says it in words). */
  hubSource: HubSource;
  fromBlock: number;
  pollingIntervalMs: number;
  /** Closes the provider the client made (not one it was given). */
  destroy(): void;
}

/**
 * Connects to a Verity deployment: checks that a node answers, that it is the expected chain,
 * that the hub has code there, and reads the two registries from the hub.
 *
 * @throws RpcUnreachableError when no node answers; ChainMismatchError on the wrong chain;
 * DeploymentNotFoundError without a hub address for an unknown chain; ContractNotDeployedError
 * when the hub address has no code (the wrong network, usually).
 * @example
 * const client = await createVerityClient({
 *   rpcUrl: "http://127.0.0.1:8545",
 *   privateKey: process.env.VERITY_PRIVATE_KEY,
 * });
 * console.log(client.chainId, client.addresses.inferenceHub);
 */
export async function createVerityClient(
  parameters: CreateVerityClientParameters = {},
): Promise<VerityClient> {
  const pollingIntervalMs = parameters.pollingIntervalMs ?? 250;
  const rpcUrl = parameters.provider ? undefined : (parameters.rpcUrl ?? DEFAULT_RPC_URL);
  let provider: Provider;
  let chainId: bigint;
  let owned: JsonRpcProvider | undefined;
  if (parameters.provider) {
    provider = parameters.provider;
    try {
      chainId = (await provider.getNetwork()).chainId;
    } catch (error) {
      throw toVerityError(error, { action: "reading the chain id" });
    }
  } else {
    chainId = await fetchChainId(rpcUrl!);
    owned = new JsonRpcProvider(rpcUrl, Network.from(chainId), {
      staticNetwork: true,
      // A request sent right after a transaction must see its effects: no cached answers.
      cacheTimeout: -1,
      batchMaxCount: 1,
      pollingInterval: pollingIntervalMs,
    });
    provider = owned;
  }
  try {
    if (parameters.chainId !== undefined && BigInt(parameters.chainId) !== chainId) {
      throw new ChainMismatchError(rpcUrl ?? "the provider", BigInt(parameters.chainId), chainId);
    }
    let hubAddress = parameters.hubAddress;
    let hubSource: HubSource = "given";
    if (hubAddress === undefined) {
      try {
        ({ address: hubAddress, source: hubSource } = findHubAddress(chainId, rpcUrl));
      } catch (error) {
        throw new DeploymentNotFoundError(chainId, error);
      }
    }
    if (!isAddress(hubAddress)) {
      throw new InvalidInputError(
        `hub address ${hubAddress} (from ${describeHubSource(hubSource)}) is not an address`,
        {
          fix: "pass the InferenceHub's 0x-prefixed 20-byte address.",
        },
      );
    }
    await requireCode(provider, hubAddress, "InferenceHub", chainId, rpcUrl, hubSource);

    let signer = parameters.signer;
    if (signer === undefined && parameters.privateKey !== undefined) {
      signer = privateKeySigner(parameters.privateKey, provider);
    }
    const runner = signer ?? provider;
    const hub = InferenceHub__factory.connect(hubAddress, runner);
    const [modelRegistryAddress, workerRegistryAddress] = await Promise.all([
      hub.MODEL_REGISTRY(),
      hub.WORKER_REGISTRY(),
    ]).catch((error: unknown) => {
      throw new ContractNotDeployedError(
        `InferenceHub (the contract there does not answer MODEL_REGISTRY: ${String(error)})`,
        hubAddress!,
        chainId,
      );
    });
    return {
      provider,
      signer,
      account: signer ? await signer.getAddress() : undefined,
      rpcUrl,
      chainId,
      hub,
      modelRegistry: ModelRegistry__factory.connect(modelRegistryAddress, runner),
      workerRegistry: WorkerRegistry__factory.connect(workerRegistryAddress, runner),
      addresses: {
        inferenceHub: hubAddress,
        modelRegistry: modelRegistryAddress,
        workerRegistry: workerRegistryAddress,
      },
      hubSource,
      fromBlock: parameters.fromBlock ?? 0,
      pollingIntervalMs,
      destroy: () => owned?.destroy(),
    };
  } catch (error) {
    owned?.destroy();
    throw toVerityError(error, { action: "connecting to Verity", rpcUrl });
  }
}

/** The client's signer, or a `SignerRequiredError` naming what needed it. */
export function requireSigner(client: VerityClient, action: string): Signer {
  if (client.signer === undefined) throw new SignerRequiredError(action);
  return client.signer;
}

function privateKeySigner(privateKey: string, provider: Provider): Signer {
  try {
    return new Wallet(privateKey, provider);
  } catch (error) {
    throw new InvalidInputError("the private key is not a 32-byte hex string", {
      cause: error,
      fix: "set VERITY_PRIVATE_KEY to a 0x-prefixed 64-hex-digit key.",
      details: "(the key itself is not shown)",
    });
  }
}

async function fetchChainId(rpcUrl: string): Promise<bigint> {
  let response: Response;
  try {
    response = await fetch(rpcUrl, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ jsonrpc: "2.0", id: 1, method: "eth_chainId", params: [] }),
      signal: AbortSignal.timeout(10_000),
    });
  } catch (error) {
    throw new RpcUnreachableError(rpcUrl, error);
  }
  let body: { result?: string; error?: { message?: string } };
  try {
    body = (await response.json()) as typeof body;
  } catch (error) {
    throw new BaseError(
      `${rpcUrl} answered, but not as a JSON-RPC node (HTTP ${response.status}).`,
      {
        cause: error,
        fix: "point --rpc-url at an Ethereum JSON-RPC endpoint.",
      },
    );
  }
  if (typeof body.result !== "string") {
    throw new BaseError(`${rpcUrl} refused eth_chainId: ${body.error?.message ?? "no result"}.`, {
      fix: "point --rpc-url at an Ethereum JSON-RPC endpoint.",
    });
  }
  return BigInt(body.result);
}

async function requireCode(
  provider: Provider,
  address: string,
  what: string,
  chainId: bigint,
  rpcUrl: string | undefined,
  source: HubSource,
): Promise<void> {
  let code: string;
  try {
    code = await provider.getCode(address);
  } catch (error) {
    throw toVerityError(error, { action: `reading ${what}'s code`, rpcUrl });
  }
  if (code === "0x") {
    throw new ContractNotDeployedError(what, address, chainId, describeHubSource(source));
  }
}
