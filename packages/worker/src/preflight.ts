import { findHubAddress } from "@verity/contracts/deployments";
import { formatEther, parseEther } from "ethers";
import type { Logger } from "pino";
import { ChainReader, decodeRevert, hubInterface, workerRegistryInterface } from "./chain.js";
import type { WorkerConfig } from "./config.js";
import type { Environment } from "@verity/runtime";
import { RpcUnavailableError, type RpcClient } from "./rpc.js";
import type { TxSender } from "./transactions.js";

/** The worker cannot run against this chain as configured; the message says what to change. */
export class PreflightError extends Error {
  override name = "PreflightError";
}

export interface ChainContext {
  chainId: bigint;
  reader: ChainReader;
}

/** Checks the chain and finds the contracts: right chain id, code at every address. */
export async function connect(config: WorkerConfig, rpc: RpcClient): Promise<ChainContext> {
  let chainId: bigint;
  try {
    chainId = BigInt(await rpc.request<string>("eth_chainId"));
  } catch (error) {
    if (!(error instanceof RpcUnavailableError)) throw error;
    throw new PreflightError(error.message);
  }
  if (config.chainId !== undefined && BigInt(config.chainId) !== chainId) {
    throw new PreflightError(
      `${config.rpcUrl} is chain ${chainId}, but chainId is set to ${config.chainId}: ` +
        `point rpcUrl at the right network or correct chainId`,
    );
  }
  let hub = config.hubAddress;
  if (hub === undefined) {
    try {
      hub = findHubAddress(chainId, config.rpcUrl).address;
    } catch (error) {
      throw new PreflightError(`no hubAddress set and ${(error as Error).message}`);
    }
  }
  await requireCode(rpc, hub, "InferenceHub (hubAddress)");
  const bootstrap = new ChainReader(rpc, hub, hub, hub);
  const workerRegistry = await bootstrap.view<string>(hub, hubInterface, "WORKER_REGISTRY");
  const modelRegistry = await bootstrap.view<string>(hub, hubInterface, "MODEL_REGISTRY");
  await requireCode(rpc, workerRegistry, "WorkerRegistry (the hub's WORKER_REGISTRY)");
  await requireCode(rpc, modelRegistry, "ModelRegistry (the hub's MODEL_REGISTRY)");
  return { chainId, reader: new ChainReader(rpc, hub, workerRegistry, modelRegistry) };
}

async function requireCode(rpc: RpcClient, address: string, what: string): Promise<void> {
  const code = await rpc.request<string>("eth_getCode", [address, "latest"]);
  if (code === "0x") {
    throw new PreflightError(
      `${what} ${address} has no code on this chain: deploy Verity there or fix the address`,
    );
  }
}

/**
 * Makes sure the worker may answer: registered, staked at least the minimum, on its own
 * environment, which governance has approved. With `registerStakeEth` set it registers (or moves to
 * the running environment) itself; otherwise it stops with the exact call that would fix it.
 */
export async function ensureEligible(
  config: WorkerConfig,
  { reader }: ChainContext,
  tx: TxSender,
  environment: Environment,
  logger: Logger,
): Promise<void> {
  const registry = reader.workerRegistry;
  const approved = await reader.view<boolean>(
    registry,
    workerRegistryInterface,
    "isEnvironmentApproved",
    [environment.id],
  );
  if (!approved) {
    throw new PreflightError(
      `this worker's environment ${environment.id} (${environment.description}) is not approved ` +
        `in WorkerRegistry ${registry}: an environment admin must call ` +
        `approveEnvironment("${environment.id}", "${environment.description}")`,
    );
  }
  for (let attempt = 0; attempt < 2; attempt++) {
    try {
      await reader.call(
        registry,
        workerRegistryInterface.encodeFunctionData("checkEligible", [tx.address, environment.id]),
      );
      return;
    } catch (error) {
      const revert = decodeRevert(error);
      if (!revert) throw error;
      const fix = fixFor(revert.name, config, reader, tx, environment, logger);
      if (fix === undefined) {
        throw new PreflightError(
          `worker ${tx.address} is not eligible: ${revert.name}. ${explain(revert.name)}`,
        );
      }
      await fix;
    }
  }
  throw new PreflightError(`worker ${tx.address} is still not eligible after registering`);
}

function fixFor(
  reason: string,
  config: WorkerConfig,
  reader: ChainReader,
  tx: TxSender,
  environment: Environment,
  logger: Logger,
): Promise<void> | undefined {
  if (config.registerStakeEth === undefined) return undefined;
  const registry = reader.workerRegistry;
  const stake = parseEther(String(config.registerStakeEth));
  let data: string;
  let value = 0n;
  if (reason === "NotRegistered") {
    data = workerRegistryInterface.encodeFunctionData("register", [environment.id]);
    value = stake;
  } else if (reason === "EnvironmentMismatch") {
    data = workerRegistryInterface.encodeFunctionData("changeEnvironment", [environment.id]);
  } else if (reason === "StakeBelowMinimum") {
    data = workerRegistryInterface.encodeFunctionData("addStake");
    value = stake;
  } else {
    return undefined;
  }
  logger.info(
    { reason, stakeEth: formatEther(value), environment: environment.id },
    "registering the worker",
  );
  return tx.sendAndWait("register", registry, data, value);
}

function explain(reason: string): string {
  switch (reason) {
    case "NotRegistered":
      return "Register it: set registerStakeEth (at least the registry's MIN_STAKE_WEI) or call WorkerRegistry.register(environmentId) with the stake.";
    case "StakeBelowMinimum":
      return "Add stake with WorkerRegistry.addStake(), or set registerStakeEth to top it up.";
    case "EnvironmentMismatch":
      return "It is registered with another environment than the one running: set registerStakeEth to switch (changeEnvironment), or run the registered build.";
    default:
      return "";
  }
}
