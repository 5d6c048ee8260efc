import type { BaseContract, Log, LogDescription, TransactionReceipt } from "ethers";
import { InferenceHub__factory } from "../typechain/index.js";
import type { FailureReason, ProofMode } from "./enums.js";

/**
 * A request as the hub committed to it (`Request` in packages/solidity/types/Inference.sol). Settlement
 * calls (`submitResult`, `finalize`, `refund`, ...) take it back verbatim. Integers are `bigint`
 * as ethers decodes them; the proof mode is a `ProofMode` number.
 */
export interface Request {
  id: bigint;
  requester: string;
  /** Contract called back with the result, or the zero address. */
  callback: string;
  modelOwner: string;
  /** Worker that alone may answer until `assignedUntil`, or the zero address. */
  assignee: string;
  /** SHA-256 of the model's ONNX bytes. */
  modelId: string;
  /** keccak256 of the input tensor bytes. */
  inputHash: string;
  modelFeeWei: bigint;
  workerRewardWei: bigint;
  callbackFeeWei: bigint;
  assignedUntil: bigint;
  deadline: bigint;
  callbackGasLimit: bigint;
  challengeWindowSeconds: bigint;
  proofMode: ProofMode;
  /** The model's ZK verifier when the request was made (the one that decides it), or zero. */
  zkVerifier: string;
}

/**
 * The output an ATTESTED failure report stands for, as `InferenceHub.failureOutput(reason)`:
 * `0x00 ‖ reason`, two bytes no canonical tensor can be. A report the chain cannot check is
 * submitted, challenged and finalized like a result with this output; jurors who cannot run the
 * request reveal it.
 */
export function failureOutput(reason: FailureReason): string {
  return `0x00${reason.toString(16).padStart(2, "0")}`;
}

/** Whether `output` (hex) is a failure output rather than a tensor. */
export function isFailureOutput(output: string): boolean {
  return output.length === 6 && output.startsWith("0x00");
}

/** A result waiting for its challenge window (`Submission` in Inference.sol); `finalize` takes it back. */
export interface Submission {
  worker: string;
  outputHash: string;
  environmentId: string;
  /** First timestamp at which `finalize` succeeds. */
  finalizableAt: bigint;
}

/** What an `InferenceRequested` event carries. */
export interface RequestedEvent {
  request: Request;
  /** The input tensor bytes, 0x-prefixed hex (see `decodeTensor`). */
  input: string;
  log: Log;
}

/** What a `ResultSubmitted` event carries. */
export interface SubmittedEvent {
  requestId: bigint;
  submission: Submission;
  /** The output tensor bytes, 0x-prefixed hex. */
  output: string;
  log: Log;
}

/** A hub given as its address or as a contract attached to one. */
export type HubAddressLike = string | BaseContract;

const hubInterface = InferenceHub__factory.createInterface();

/** Copies a decoded `Request` tuple (an ethers `Result`) into a plain object. */
export function toRequest(
  decoded: Omit<Request, "proofMode"> & { proofMode: bigint | number },
): Request {
  return {
    id: decoded.id,
    requester: decoded.requester,
    callback: decoded.callback,
    modelOwner: decoded.modelOwner,
    assignee: decoded.assignee,
    modelId: decoded.modelId,
    inputHash: decoded.inputHash,
    modelFeeWei: decoded.modelFeeWei,
    workerRewardWei: decoded.workerRewardWei,
    callbackFeeWei: decoded.callbackFeeWei,
    assignedUntil: decoded.assignedUntil,
    deadline: decoded.deadline,
    callbackGasLimit: decoded.callbackGasLimit,
    challengeWindowSeconds: decoded.challengeWindowSeconds,
    proofMode: Number(decoded.proofMode) as ProofMode,
    zkVerifier: decoded.zkVerifier,
  };
}

/**
 * Reads the `InferenceRequested` event from a log, or from the one such log a receipt holds, and
 * returns the request (to re-supply at settlement) and the input bytes. Only logs emitted by `hub`
 * count, so a look-alike event from another contract is never taken for a request.
 *
 * @example
 * const receipt = await (await creditLine.applyForCredit(features, ZeroAddress, deadline, { value })).wait();
 * const { request, input } = parseRequestedEvent(receipt!, hub);
 */
export function parseRequestedEvent(
  source: Log | TransactionReceipt,
  hub: HubAddressLike,
): RequestedEvent {
  const { log, event } = findHubEvent(source, hub, "InferenceRequested");
  return { request: toRequest(event.args.request), input: event.args.input, log };
}

/**
 * Reads the `ResultSubmitted` event from a log or a receipt: the `Submission` that `finalize` and
 * `challenge` take back, and the output bytes.
 */
export function parseSubmittedEvent(
  source: Log | TransactionReceipt,
  hub: HubAddressLike,
): SubmittedEvent {
  const { log, event } = findHubEvent(source, hub, "ResultSubmitted");
  return {
    requestId: event.args.requestId,
    submission: {
      worker: event.args.worker,
      outputHash: event.args.outputHash,
      environmentId: event.args.environmentId,
      finalizableAt: event.args.finalizableAt,
    },
    output: event.args.output,
    log,
  };
}

function findHubEvent(
  source: Log | TransactionReceipt,
  hub: HubAddressLike,
  eventName: "InferenceRequested" | "ResultSubmitted",
): { log: Log; event: LogDescription } {
  const hubAddress = addressOf(hub, eventName).toLowerCase();
  const topic = hubInterface.getEvent(eventName).topicHash;
  const isReceipt = "logs" in source && Array.isArray(source.logs);
  const candidates: readonly Log[] = isReceipt ? source.logs : [source as Log];
  const matches = candidates.filter(
    (log) => log.address.toLowerCase() === hubAddress && log.topics[0] === topic,
  );
  if (matches.length !== 1) {
    const where = isReceipt
      ? `transaction ${(source as TransactionReceipt).hash}`
      : `the given log (address ${(source as Log).address}, topic ${(source as Log).topics[0]})`;
    throw new Error(
      matches.length === 0
        ? `no ${eventName} event from hub ${hubAddress} in ${where}`
        : `${matches.length} ${eventName} events from hub ${hubAddress} in ${where}: parse each log on its own`,
    );
  }
  const log = matches[0];
  const event = hubInterface.parseLog({ topics: [...log.topics], data: log.data });
  if (event === null) throw new Error(`could not decode ${eventName} log ${log.transactionHash}`);
  return { log, event };
}

function addressOf(hub: HubAddressLike, what: string): string {
  if (typeof hub === "string") return hub;
  if (typeof hub.target === "string") return hub.target;
  throw new Error(
    `parsing ${what}: pass the hub's address; this contract's target is not an address`,
  );
}
