import { ZeroHash, sha256 } from "ethers";
import {
  ModelStatus,
  ProofMode,
  encodedTensorLength,
  enumName,
  proofModesMask,
  type ProofMode as ProofModeValue,
} from "@verity/contracts";
import { requireSigner, type VerityClient } from "./client.js";
import { InvalidInputError, ModelNotFoundError, toVerityError } from "./errors.js";
import { checkInputLength } from "./tensor.js";

/** A proof mode by its number or its name. */
export type ProofModeLike = ProofModeValue | keyof typeof ProofMode;

/** A proof mode's number from its number or name (case-insensitive). */
export function toProofMode(mode: ProofModeLike | string): ProofModeValue {
  if (typeof mode === "number") return mode;
  const found = ProofMode[mode.toUpperCase() as keyof typeof ProofMode];
  if (found === undefined) {
    throw new InvalidInputError(`unknown proof mode "${mode}"`, {
      fix: `use one of ${Object.keys(ProofMode).join(", ")}.`,
    });
  }
  return found;
}

/** Names of the modes a `proofModes` bitmask allows. */
export function proofModeNames(mask: number): (keyof typeof ProofMode)[] {
  return (Object.keys(ProofMode) as (keyof typeof ProofMode)[]).filter(
    (name) => (mask & (1 << ProofMode[name])) !== 0,
  );
}

/** A model as the registry holds it. */
export interface ModelInfo {
  /** SHA-256 of the ONNX bytes, 0x-prefixed. */
  modelId: string;
  owner: string;
  uri: string;
  inputShape: number[];
  outputShape: number[];
  decimals: number;
  feeWei: bigint;
  status: keyof typeof ModelStatus;
  /** Modes requests may use now (ZK only once the model has a ZK commitment). */
  proofModes: (keyof typeof ProofMode)[];
  previousVersion: string;
  /** Exact length in bytes of an input tensor. */
  inputBytes: number;
  /** The ZK commitment, when the model has one. */
  zk?: { circuitHash: string; verifyingKeyHash: string; verifier: string };
}

/**
 * Loads and runs a model as the workers would, and throws when it would fail every request:
 * `checkModel` of @verity/runtime, or one of your own.
 */
export type ModelCheck = (
  bytes: Uint8Array,
  shapes: { inputShape: readonly number[]; outputShape: readonly number[] },
) => Promise<void>;

export interface RegisterModelParameters {
  /** The ONNX file's bytes: their SHA-256 is the model id. */
  bytes: Uint8Array;
  /** Where workers fetch the file (`https://`, `ipfs://`; `file://` for local development). */
  uri: string;
  /** The shapes of its one input and one output (`readModelFile` of @verity/models reads them). */
  inputShape: readonly number[];
  outputShape: readonly number[];
  /** Fixed-point decimals of inputs and outputs; default 6. */
  decimals?: number;
  /** Paid to the owner for each inference; default 0. */
  feeWei?: bigint;
  /** Modes requests may use; default `["ATTESTED"]`. */
  proofModes?: readonly ProofModeLike[];
  /** The model this one replaces (same owner), or none. */
  previousVersion?: string;
  /**
   * Run before anything is sent: `checkModel` of @verity/runtime loads the model in the
   * canonical executor and refuses one whose operators, shapes or output size would fail every
   * request. Required, so that skipping it is a decision: `false` registers unchecked (this
   * package runs no models, so it cannot check on its own).
   */
  check: ModelCheck | false;
}

export interface RegisterModelReturnType {
  model: ModelInfo;
  transactionHash: string;
  gasUsed: bigint;
}

/**
 * Registers an ONNX model: its id is the SHA-256 of its bytes; workers fetch it from `uri` and
 * refuse bytes with another hash. In Node, `readModelFile` of @verity/models reads a file's
 * bytes, `file://` url and shapes (this package reads no files: it runs in a page too).
 *
 * Before sending, it refuses an input shape whose tensor no request could carry and runs
 * `check`, so a model that would fail every request costs no gas and no one's fee.
 *
 * @throws InputTooLargeError when one input tensor would be longer than `MAX_INPUT_BYTES`; what
 * `check` throws (`ModelCheckError` of @verity/runtime, with its `fix`), unchanged;
 * ContractRevertError (e.g. `ModelAlreadyRegistered`, `InvalidShape`) when the registry refuses it.
 * @example
 * import { readModelFile } from "@verity/models";
 * import { checkModel } from "@verity/runtime";
 * const { model } = await registerModel(client, {
 *   // An export with an open batch dim needs its shapes given:
 *   // readModelFile(path, { inputShape: [1, 16], outputShape: [1, 1] }).
 *   ...(await readModelFile("models/credit-risk.onnx")),
 *   feeWei: parseEther("0.001"),
 *   check: checkModel,
 * });
 * console.log(model.modelId, model.inputShape); // 0x..., [1, 16]
 */
export async function registerModel(
  client: VerityClient,
  parameters: RegisterModelParameters,
): Promise<RegisterModelReturnType> {
  const signer = requireSigner(client, "registerModel");
  const { bytes, uri, check } = parameters;
  // The registry would revert with InputTooLarge; saying so here costs no gas and names the limit.
  checkInputLength(encodedTensorLength(parameters.inputShape));
  if (check !== false) {
    await check(bytes, { inputShape: parameters.inputShape, outputShape: parameters.outputShape });
  }
  const modelId = sha256(bytes);
  const spec = {
    uri,
    inputShape: [...parameters.inputShape],
    outputShape: [...parameters.outputShape],
    decimals: parameters.decimals ?? 6,
    feeWei: parameters.feeWei ?? 0n,
    proofModes: proofModesMask(...(parameters.proofModes ?? ["ATTESTED"]).map(toProofMode)),
    previousVersion: parameters.previousVersion ?? ZeroHash,
  };
  try {
    const tx = await client.modelRegistry.connect(signer).registerModel(modelId, spec);
    const receipt = await tx.wait();
    return {
      model: await getModel(client, modelId),
      transactionHash: tx.hash,
      gasUsed: receipt?.gasUsed ?? 0n,
    };
  } catch (error) {
    throw toVerityError(error, {
      action: "registerModel",
      rpcUrl: client.rpcUrl,
      account: client.account,
    });
  }
}

/**
 * Reads a model from the registry.
 *
 * @throws ModelNotFoundError when no model has this id.
 * @example
 * const model = await getModel(client, modelId);
 * console.log(model.uri, model.inputShape, model.status);
 */
export async function getModel(client: VerityClient, modelId: string): Promise<ModelInfo> {
  let model;
  try {
    model = await client.modelRegistry.getModel(modelId);
  } catch (error) {
    throw toVerityError(error, { action: "getModel", rpcUrl: client.rpcUrl });
  }
  if (Number(model.status) === ModelStatus.None) throw new ModelNotFoundError(modelId);
  const hasZk = model.zk.verifier !== "0x0000000000000000000000000000000000000000";
  return {
    modelId: modelId.toLowerCase(),
    owner: model.owner,
    uri: model.uri,
    inputShape: model.inputShape.map(Number),
    outputShape: model.outputShape.map(Number),
    decimals: Number(model.decimals),
    feeWei: model.feeWei,
    status: enumName(ModelStatus, model.status) as keyof typeof ModelStatus,
    proofModes: proofModeNames(Number(model.proofModes)),
    previousVersion: model.previousVersion,
    inputBytes: Number(model.inputBytes),
    ...(hasZk
      ? {
          zk: {
            circuitHash: model.zk.circuitHash,
            verifyingKeyHash: model.zk.verifyingKeyHash,
            verifier: model.zk.verifier,
          },
        }
      : {}),
  };
}

/**
 * Every model registered on this chain (from `ModelRegistered` events since the client's
 * `fromBlock`), with its current state, oldest first.
 *
 * @example
 * for (const model of await listModels(client)) console.log(model.modelId, model.uri);
 */
export async function listModels(client: VerityClient): Promise<ModelInfo[]> {
  try {
    const events = await client.modelRegistry.queryFilter(
      client.modelRegistry.filters.ModelRegistered(),
      client.fromBlock,
      "latest",
    );
    const ids = [...new Set(events.map((event) => event.args.modelId))];
    return await Promise.all(ids.map((id) => getModel(client, id)));
  } catch (error) {
    throw toVerityError(error, { action: "listModels", rpcUrl: client.rpcUrl });
  }
}
