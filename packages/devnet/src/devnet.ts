import { rm } from "node:fs/promises";
import { fileURLToPath, pathToFileURL } from "node:url";
import {
  HDNodeWallet,
  JsonRpcProvider,
  Mnemonic,
  NonceManager,
  ZeroHash,
  parseEther,
  type BaseContract,
  type Signer,
} from "ethers";
import {
  InferenceHub__factory,
  ModelRegistry__factory,
  executeThroughTimelock,
  ProofMode,
  WorkerRegistry__factory,
  proofModesMask,
  type InferenceHub,
  type ModelRegistry,
  type WorkerRegistry,
} from "@verity/contracts";
import {
  SAMPLE_MODEL_NAMES,
  sampleModel,
  writeSampleModels,
  type SampleModelName,
} from "@verity/models";
import { checkModel, currentEnvironment, type Environment } from "@verity/runtime";
import VerityModule from "../../../deploy/modules/Verity.js";
import { startLocalNode, type LocalNode, type LocalNodeOptions } from "./node.js";

/** The mnemonic of Hardhat's default accounts (10,000 ETH each on a local node). */
export const HARDHAT_MNEMONIC = "test test test test test test test test test test test junk";

/** Hardhat's default account `index`, as a wallet with its private key. */
export function devAccount(index: number): HDNodeWallet {
  return HDNodeWallet.fromMnemonic(
    Mnemonic.fromPhrase(HARDHAT_MNEMONIC),
    `m/44'/60'/0'/0/${index}`,
  );
}

/** Which default account plays which part; workers take 10 and up. */
export const ACCOUNTS = {
  admin: 0,
  modelOwner: 1,
  requester: 2,
  outsider: 3,
  firstWorker: 10,
} as const;

export interface DevnetOptions extends LocalNodeOptions {
  /** Hub config overrides (the Ignition module's parameters); defaults suit local work. */
  challengeWindowSeconds?: number;
  assignmentGraceSeconds?: number;
  maxDeadlineSeconds?: number;
  /** Where the sample models are written; default `<repo>/models`. */
  modelsDir?: string;
  /** Sample models to register; default all. */
  models?: readonly SampleModelName[];
  /** Model fee in ETH; default 0.001. */
  modelFeeEth?: string;
  /**
   * Sample models to serve in ZK mode too: their circuits and keys are built (an INSECURE local
   * powers of tau, for development only; cached in `zkArtifactsDir`, about a minute the first
   * time) and their verifiers deployed and bound in the registry.
   */
  zkModels?: readonly SampleModelName[];
  /** Default `<repo>/.cache/zk`. */
  zkArtifactsDir?: string;
  /** Called with each long step (the ZK setup), for progress output. */
  onProgress?: (step: string) => void;
}

export interface RegisteredSample {
  name: SampleModelName;
  modelId: string;
  path: string;
  uri: string;
}

/** A local chain with Verity deployed, the worker environment approved and the samples registered. */
export interface Devnet {
  node: LocalNode;
  chainId: bigint;
  provider: JsonRpcProvider;
  hub: InferenceHub;
  modelRegistry: ModelRegistry;
  workerRegistry: WorkerRegistry;
  /** The VerityTimelock holding every admin role (zero delay on a devnet). */
  timelockAddress: string;
  /**
   * Makes an admin call (`setConfig`, `approveEnvironment`, ...) as governance does: through the
   * timelock, scheduled by the admin account and executed at once.
   */
  govern(target: BaseContract, functionName: string, args?: readonly unknown[]): Promise<void>;
  /** Signers for the parts in ACCOUNTS (nonce-managed, so calls may overlap). */
  signer(index: number): Signer;
  environment: Environment;
  models: Record<SampleModelName, RegisteredSample>;
  /** Set when `zkModels` were given: what a worker needs as `zkArtifactsDir`. */
  zkArtifactsDir?: string;
  stop(): Promise<void>;
}

const DEFAULT_MODELS_DIR = fileURLToPath(new URL("../../../models/", import.meta.url));
const DEFAULT_ZK_DIR = fileURLToPath(new URL("../../../.cache/zk/", import.meta.url));

/**
 * Registers `modelId` at `uri` with a sample model's shapes and decimals (ATTESTED requests unless
 * told otherwise; ZK needs the model's commitment as well).
 * The uri need not serve those bytes: tests use that to give a worker a model it cannot trust.
 */
export async function registerLikeSample(
  registry: ModelRegistry,
  name: SampleModelName,
  modelId: string,
  uri: string,
  feeWei = parseEther("0.001"),
  proofModes = proofModesMask(ProofMode.ATTESTED),
): Promise<void> {
  const sample = sampleModel(name);
  await (
    await registry.registerModel(modelId, {
      uri,
      inputShape: sample.inputShape,
      outputShape: sample.outputShape,
      decimals: sample.decimals,
      feeWei,
      proofModes,
      previousVersion: ZeroHash,
    })
  ).wait();
}

/**
 * Starts a `hardhat node` process and sets Verity up on it: the contracts through the Ignition
 * module (one way to deploy, here as on a testnet), this machine's worker environment approved,
 * the sample models written and registered. Must run inside Hardhat (a test, `hardhat run`).
 */
export async function startDevnet(options: DevnetOptions = {}): Promise<Devnet> {
  const node = await startLocalNode(options);
  try {
    return await setUp(node, options);
  } catch (error) {
    await node.stop();
    throw error;
  }
}

async function setUp(node: LocalNode, options: DevnetOptions): Promise<Devnet> {
  const { network } = await import("hardhat");
  const connection = await network.create({ network: "localhost", override: { url: node.url } });
  // Ignition keeps a journal for every http network; a devnet lives and dies with its node, so
  // its deployment gets a throwaway id and the journal is removed once the deployment is done.
  const deploymentId = `devnet-${node.port}-${Date.now()}`;
  const deployed = await connection.ignition.deploy(VerityModule, {
    deploymentId,
    parameters: {
      Verity: {
        // The same roles as on a public network, without the wait: admin calls go through the
        // timelock (`govern`), scheduled and executed in one go.
        timelockMinDelaySeconds: 0n,
        adminTransferDelaySeconds: 0n,
        challengeWindowSeconds: BigInt(options.challengeWindowSeconds ?? 0),
        assignmentGraceSeconds: BigInt(options.assignmentGraceSeconds ?? 30),
        maxDeadlineSeconds: BigInt(options.maxDeadlineSeconds ?? 24 * 3600),
      },
    },
  });
  await connection.close?.();
  await rm(fileURLToPath(new URL(`../../../deploy/deployments/${deploymentId}`, import.meta.url)), {
    recursive: true,
    force: true,
  });
  const provider = new JsonRpcProvider(node.url, undefined, {
    staticNetwork: true,
    cacheTimeout: -1,
    batchMaxCount: 1,
    pollingInterval: 50,
  });
  const chainId = (await provider.getNetwork()).chainId;
  const signers = new Map<number, Signer>();
  const signer = (index: number) => {
    let found = signers.get(index);
    if (!found) {
      found = new NonceManager(devAccount(index).connect(provider));
      signers.set(index, found);
    }
    return found;
  };
  const admin = signer(ACCOUNTS.admin);
  const hub = InferenceHub__factory.connect(await deployed.inferenceHub.getAddress(), admin);
  const modelRegistry = ModelRegistry__factory.connect(
    await deployed.modelRegistry.getAddress(),
    admin,
  );
  const workerRegistry = WorkerRegistry__factory.connect(
    await deployed.workerRegistry.getAddress(),
    admin,
  );

  const timelockAddress = await deployed.timelock.getAddress();
  const govern = (target: BaseContract, functionName: string, args: readonly unknown[] = []) =>
    executeThroughTimelock(timelockAddress, admin, target, functionName, args);

  const environment = currentEnvironment();
  await govern(workerRegistry, "approveEnvironment", [environment.id, environment.description]);

  const wanted = new Set(options.models ?? SAMPLE_MODEL_NAMES);
  const zkModels = new Set(options.zkModels ?? []);
  for (const name of zkModels) {
    if (!wanted.has(name)) throw new Error(`zkModels: ${name} is not among the models to register`);
  }
  const written = await writeSampleModels(options.modelsDir ?? DEFAULT_MODELS_DIR);
  const models = {} as Record<SampleModelName, RegisteredSample>;
  const owner = modelRegistry.connect(signer(ACCOUNTS.modelOwner));
  for (const { name, modelId, path } of written) {
    if (!wanted.has(name)) continue;
    const uri = pathToFileURL(path).href;
    const modes = zkModels.has(name)
      ? proofModesMask(ProofMode.ATTESTED, ProofMode.ZK)
      : proofModesMask(ProofMode.ATTESTED);
    // Registered as `verity model register` would: a sample the canonical executor cannot run
    // (a generator change) fails here, not on every request. Both samples take about 0.4 s
    // cold (most of it loading the wasm once), lost in the noise of a 4 s devnet start.
    const sample = sampleModel(name);
    await checkModel(sample.bytes, {
      inputShape: sample.inputShape,
      outputShape: sample.outputShape,
    });
    await registerLikeSample(
      owner,
      name,
      modelId,
      uri,
      parseEther(options.modelFeeEth ?? "0.001"),
      modes,
    );
    models[name] = { name, modelId, path, uri };
  }
  const zkArtifactsDir = zkModels.size > 0 ? (options.zkArtifactsDir ?? DEFAULT_ZK_DIR) : undefined;
  if (zkArtifactsDir !== undefined) {
    const { buildZkArtifacts, deployZkModel } = await import("@verity/zk");
    for (const name of zkModels) {
      const artifacts = await buildZkArtifacts(sampleModel(name).bytes, {
        cacheDir: zkArtifactsDir,
        insecureDevSetup: true,
        onProgress: options.onProgress,
      });
      await deployZkModel(signer(ACCOUNTS.modelOwner), modelRegistry, artifacts);
    }
  }

  return {
    node,
    chainId,
    provider,
    hub,
    modelRegistry,
    workerRegistry,
    timelockAddress,
    govern,
    signer,
    environment,
    models,
    zkArtifactsDir,
    stop: async () => {
      provider.destroy();
      await node.stop();
    },
  };
}
