import { readFile } from "node:fs/promises";
import { resolve } from "node:path";
import { pathToFileURL } from "node:url";
import { ZeroHash, sha256 } from "ethers";
import {
  ModelStatus,
  ProofMode,
  enumName,
  proofModesMask,
  type ProofMode as ProofModeValue,
} from "@verity/contracts";
import { OnnxFormatError, decodeOnnx } from "@verity/models";
import { requireSigner, type VerityClient } from "./client.js";
import { InvalidInputError, ModelFileError, ModelNotFoundError, toVerityError } from "./errors.js";

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

export interface RegisterModelParameters {
  /** Path of the ONNX file. Its SHA-256 is the model id; its shapes are read from it. */
  path?: string;
  /** ...or its bytes (then `uri` is required). */
  bytes?: Uint8Array;
  /** Where workers fetch the file; default the file's `file://` url (local development only). */
  uri?: string;
  /** Fixed-point decimals of inputs and outputs; default 6. */
  decimals?: number;
  /** Paid to the owner for each inference; default 0. */
  feeWei?: bigint;
  /** Modes requests may use; default `["ATTESTED"]`. */
  proofModes?: readonly ProofModeLike[];
  /** The model this one replaces (same owner), or none. */
  previousVersion?: string;
  /** Override the shapes read from the file. */
  inputShape?: readonly number[];
  outputShape?: readonly number[];
}

export interface RegisterModelReturnType {
  model: ModelInfo;
  transactionHash: string;
  gasUsed: bigint;
}

/**
 * Registers an ONNX model: its id is the SHA-256 of its bytes; its input and output shapes are
 * read from the file; workers fetch it from `uri` and refuse bytes with another hash.
 *
 * @throws ModelFileError when the file cannot be read or has no single fixed-shape input and
 * output; ContractRevertError (e.g. `ModelAlreadyRegistered`) when the registry refuses it.
 * @example
 * const { model } = await registerModel(client, {
 *   path: "models/credit-risk.onnx",
 *   feeWei: parseEther("0.001"),
 * });
 * console.log(model.modelId, model.inputShape); // 0x..., [1, 16]
 */
export async function registerModel(
  client: VerityClient,
  parameters: RegisterModelParameters,
): Promise<RegisterModelReturnType> {
  const signer = requireSigner(client, "registerModel");
  const { bytes, source } = await modelBytes(parameters);
  const uri =
    parameters.uri ?? (parameters.path ? pathToFileURL(resolve(parameters.path)).href : undefined);
  if (uri === undefined) {
    throw new ModelFileError(source, "no uri given for the model's bytes");
  }
  const shapes = readShapes(bytes, source, parameters);
  const modelId = sha256(bytes);
  const spec = {
    uri,
    inputShape: shapes.inputShape,
    outputShape: shapes.outputShape,
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

async function modelBytes(
  parameters: RegisterModelParameters,
): Promise<{ bytes: Uint8Array; source: string }> {
  if (parameters.bytes) return { bytes: parameters.bytes, source: "the model bytes" };
  if (parameters.path === undefined) {
    throw new ModelFileError("(nothing)", "give the ONNX file's path or its bytes");
  }
  try {
    return { bytes: new Uint8Array(await readFile(parameters.path)), source: parameters.path };
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    throw new ModelFileError(
      parameters.path,
      code === "ENOENT" ? "no such file" : `cannot read it (${code ?? String(error)})`,
      error,
    );
  }
}

function readShapes(
  bytes: Uint8Array,
  source: string,
  parameters: Pick<RegisterModelParameters, "inputShape" | "outputShape">,
): { inputShape: number[]; outputShape: number[] } {
  if (parameters.inputShape && parameters.outputShape) {
    return { inputShape: [...parameters.inputShape], outputShape: [...parameters.outputShape] };
  }
  let graph;
  try {
    graph = decodeOnnx(bytes);
  } catch (error) {
    if (error instanceof OnnxFormatError) throw new ModelFileError(source, error.message, error);
    throw new ModelFileError(source, `not an ONNX model (${String(error)})`, error);
  }
  if (graph.inputs.length !== 1 || graph.outputs.length !== 1) {
    throw new ModelFileError(
      source,
      `Verity models take one input and give one output; this one has ${graph.inputs.length} and ${graph.outputs.length}`,
    );
  }
  return {
    inputShape: [...(parameters.inputShape ?? graph.inputs[0].shape)],
    outputShape: [...(parameters.outputShape ?? graph.outputs[0].shape)],
  };
}
