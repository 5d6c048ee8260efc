import { AbiCoder, keccak256, type ErrorDescription, type Interface } from "ethers";
import {
  InferenceHub__factory,
  ModelRegistry__factory,
  ProofMode,
  RequestStatus,
  WorkerRegistry__factory,
  type Submission,
} from "@verity/contracts";
import type { RegisteredModel } from "@verity/runtime";
import { RpcError, type RpcClient } from "./rpc.js";

export const hubInterface = InferenceHub__factory.createInterface();
export const workerRegistryInterface = WorkerRegistry__factory.createInterface();
export const modelRegistryInterface = ModelRegistry__factory.createInterface();

const abi = AbiCoder.defaultAbiCoder();
const SUBMISSION_TUPLE =
  "tuple(address worker,bytes32 outputHash,bytes32 environmentId,uint64 finalizableAt)";
const STATUS_MASK = 0xffn;

/** The hub's commitment to a submitted result, as it stores it (status byte set to Submitted). */
export function submittedCommitment(requestHash: string, submission: Submission): string {
  return tag(
    keccak256(abi.encode(["bytes32", SUBMISSION_TUPLE], [requestHash, submission])),
    RequestStatus.Submitted,
  );
}

export function pendingCommitment(requestHash: string): string {
  return tag(requestHash, RequestStatus.Pending);
}

export function statusOf(commitment: string): RequestStatus {
  return Number(BigInt(commitment) & STATUS_MASK) as RequestStatus;
}

function tag(hash: string, status: RequestStatus): string {
  return "0x" + ((BigInt(hash) & ~STATUS_MASK) | BigInt(status)).toString(16).padStart(64, "0");
}

/** A contract revert decoded against the hub's and the registries' errors. */
export function decodeRevert(error: unknown): ErrorDescription | undefined {
  if (!(error instanceof RpcError) || error.data === undefined) return undefined;
  for (const iface of [hubInterface, workerRegistryInterface, modelRegistryInterface]) {
    try {
      const parsed = iface.parseError(error.data);
      if (parsed) return parsed;
    } catch {
      // not this contract's error
    }
  }
  return undefined;
}

/** Describes a failed call for a log line: the custom error and its arguments when known. */
export function describeError(error: unknown): string {
  const revert = decodeRevert(error);
  if (revert) return `${revert.name}(${revert.args.map(String).join(", ")})`;
  return error instanceof Error ? error.message : String(error);
}

/** Typed `eth_call`s of the views the worker reads. */
export class ChainReader {
  constructor(
    private readonly rpc: RpcClient,
    readonly hub: string,
    readonly workerRegistry: string,
    readonly modelRegistry: string,
  ) {}

  async call(to: string, data: string, block: string = "latest"): Promise<string> {
    return this.rpc.request<string>("eth_call", [{ to, data }, block]);
  }

  /** The hub's commitment for each id, in one JSON-RPC batch. */
  async commitments(ids: readonly bigint[]): Promise<string[]> {
    const results = await this.rpc.batch<string[]>(
      ids.map((id) => ({
        method: "eth_call",
        params: [
          { to: this.hub, data: hubInterface.encodeFunctionData("requestCommitment", [id]) },
          "latest",
        ],
      })),
    );
    return results.map(
      (data) => hubInterface.decodeFunctionResult("requestCommitment", data)[0] as string,
    );
  }

  async model(modelId: string): Promise<RegisteredModel & { status: number; proofModes: number }> {
    const data = await this.call(
      this.modelRegistry,
      modelRegistryInterface.encodeFunctionData("getModel", [modelId]),
    );
    const [model] = modelRegistryInterface.decodeFunctionResult("getModel", data);
    return {
      modelId,
      uri: model.uri,
      inputShape: model.inputShape.map(Number),
      outputShape: model.outputShape.map(Number),
      decimals: Number(model.decimals),
      status: Number(model.status),
      proofModes: Number(model.proofModes),
      // A model with a ZK commitment is answered by its circuit's arithmetic: a proof of it
      // decides disputes over its results.
      circuit: (Number(model.proofModes) & (1 << ProofMode.ZK)) !== 0,
    };
  }

  async worker(address: string) {
    const data = await this.call(
      this.workerRegistry,
      workerRegistryInterface.encodeFunctionData("getWorker", [address]),
    );
    const [worker] = workerRegistryInterface.decodeFunctionResult("getWorker", data);
    return {
      stakeWei: worker.stakeWei as bigint,
      environmentId: worker.environmentId as string,
    };
  }

  async view<T>(to: string, iface: Interface, fn: string, args: unknown[] = []): Promise<T> {
    const data = await this.call(to, iface.encodeFunctionData(fn, args));
    return iface.decodeFunctionResult(fn, data)[0] as T;
  }
}
