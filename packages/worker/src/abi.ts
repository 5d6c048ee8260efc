import type { Request } from "@verity/contracts";
import { hubInterface } from "./chain.js";
import { keccakHex } from "./keccak.js";

/**
 * The ABI encoding and decoding of the few hub calls and events on the worker's hot path, written
 * out by hand. ethers' general coder checksums every address it touches (a keccak each) and builds
 * a `Result` per value; at hundreds of results a second that was most of the worker's CPU. Every
 * function here is checked against ethers' own encoding in test/worker/abi.test.ts.
 *
 * Strings are hex without "0x" unless a name says otherwise; addresses come out lowercase.
 */

const SUBMIT_RESULT = hubInterface.getFunction("submitResult")!.selector.slice(2);
const SUBMIT_RESULTS = hubInterface.getFunction("submitResults")!.selector.slice(2);
/** Words in an encoded `Request`: it is a static tuple, so it is encoded in place. */
const REQUEST_WORDS = 16;

export const TOPICS = {
  InferenceRequested: hubInterface.getEvent("InferenceRequested")!.topicHash,
  ResultSubmitted: hubInterface.getEvent("ResultSubmitted")!.topicHash,
  ResultSkipped: hubInterface.getEvent("ResultSkipped")!.topicHash,
  RequestSettled: hubInterface.getEvent("RequestSettled")!.topicHash,
  RequestFailed: hubInterface.getEvent("RequestFailed")!.topicHash,
  RequestRefunded: hubInterface.getEvent("RequestRefunded")!.topicHash,
} as const;

function word(value: bigint | number): string {
  return value.toString(16).padStart(64, "0");
}

function addressWord(address: string): string {
  return address.slice(2).toLowerCase().padStart(64, "0");
}

/** `abi.encode(request)`. */
export function encodeRequest(r: Request): string {
  return (
    word(r.id) +
    addressWord(r.requester) +
    addressWord(r.callback) +
    addressWord(r.modelOwner) +
    addressWord(r.assignee) +
    r.modelId.slice(2) +
    r.inputHash.slice(2) +
    word(r.modelFeeWei) +
    word(r.workerRewardWei) +
    word(r.callbackFeeWei) +
    word(r.assignedUntil) +
    word(r.deadline) +
    word(r.callbackGasLimit) +
    word(r.challengeWindowSeconds) +
    word(r.proofMode) +
    addressWord(r.zkVerifier)
  );
}

/** keccak256(abi.encode(request)), as `InferenceHub.hashRequest`. */
export function hashRequest(request: Request): string {
  return keccakHex(`0x${encodeRequest(request)}`);
}

/** `bytes` in a tail: its length, then the data right-padded to whole words. */
function bytesTail(hex0x: string): string {
  const data = hex0x.slice(2);
  const padded = Math.ceil(data.length / 64) * 64;
  return word(data.length / 2) + data.padEnd(padded, "0");
}

export interface ResultItem {
  request: Request;
  output: string;
  environmentId: string;
  signature: string;
}

/** The `(Request, bytes output, bytes32 environmentId, bytes proof)` tuple, head then tails. */
function resultTuple({ request, output, environmentId, signature }: ResultItem): string {
  const headWords = REQUEST_WORDS + 3;
  const outputTail = bytesTail(output);
  return (
    encodeRequest(request) +
    word(headWords * 32) +
    environmentId.slice(2) +
    word(headWords * 32 + outputTail.length / 2) +
    outputTail +
    bytesTail(signature)
  );
}

/** Calldata of `submitResult(request, output, environmentId, proof)`. */
export function encodeSubmitResult(item: ResultItem): string {
  return `0x${SUBMIT_RESULT}${resultTuple(item)}`;
}

/** Calldata of `submitResults(ResultSubmission[])`. */
export function encodeSubmitResults(items: readonly ResultItem[]): string {
  const tuples = items.map(resultTuple);
  let offset = tuples.length * 32;
  const offsets = tuples.map((tuple) => {
    const at = offset;
    offset += tuple.length / 2;
    return word(at);
  });
  return `0x${SUBMIT_RESULTS}${word(32)}${word(items.length)}${offsets.join("")}${tuples.join("")}`;
}

/** A log as JSON-RPC returns it. */
export interface RawLog {
  address: string;
  topics: string[];
  data: string;
  blockNumber?: string;
  removed?: boolean;
}

const wordAt = (data: string, index: number) => data.slice(2 + index * 64, 2 + (index + 1) * 64);
const uintAt = (data: string, index: number) => BigInt(`0x${wordAt(data, index)}`);
const addressAt = (data: string, index: number) => `0x${wordAt(data, index).slice(24)}`;
const bytes32At = (data: string, index: number) => `0x${wordAt(data, index)}`;

/** Reads a `bytes` whose offset sits in word `index` of the data. */
function bytesAt(data: string, index: number): string {
  const start = Number(uintAt(data, index)) / 32;
  const length = Number(uintAt(data, start));
  const from = 2 + (start + 1) * 64;
  if (from + length * 2 > data.length) throw new Error("log data shorter than its bytes field");
  return `0x${data.slice(from, from + length * 2)}`;
}

/** `InferenceRequested(requestId, modelId, requester, Request request, bytes input)`. */
export function decodeRequested(log: RawLog): { request: Request; input: string } {
  const data = log.data;
  if (data.length < 2 + (REQUEST_WORDS + 2) * 64)
    throw new Error("InferenceRequested data too short");
  const request: Request = {
    id: uintAt(data, 0),
    requester: addressAt(data, 1),
    callback: addressAt(data, 2),
    modelOwner: addressAt(data, 3),
    assignee: addressAt(data, 4),
    modelId: bytes32At(data, 5),
    inputHash: bytes32At(data, 6),
    modelFeeWei: uintAt(data, 7),
    workerRewardWei: uintAt(data, 8),
    callbackFeeWei: uintAt(data, 9),
    assignedUntil: uintAt(data, 10),
    deadline: uintAt(data, 11),
    callbackGasLimit: uintAt(data, 12),
    challengeWindowSeconds: uintAt(data, 13),
    proofMode: Number(uintAt(data, 14)) as Request["proofMode"],
    zkVerifier: addressAt(data, 15),
  };
  return { request, input: bytesAt(data, REQUEST_WORDS) };
}

/** What the worker needs from the hub's settlement events, keyed by request id. */
export type HubEvent =
  | {
      name: "ResultSubmitted";
      requestId: bigint;
      worker: string;
      environmentId: string;
      outputHash: string;
      finalizableAt: bigint;
    }
  | { name: "RequestSettled"; requestId: bigint; worker: string }
  | { name: "RequestFailed"; requestId: bigint; worker: string; reason: number }
  | { name: "RequestRefunded"; requestId: bigint }
  | { name: "ResultSkipped"; requestId: bigint; status: number };

/** Decodes one of the settlement events; undefined for any other log. */
export function decodeHubEvent(log: RawLog): HubEvent | undefined {
  const [topic, idTopic, second] = log.topics;
  if (idTopic === undefined) return undefined;
  const requestId = BigInt(idTopic);
  const topicAddress = () => `0x${second.slice(26)}`;
  switch (topic) {
    case TOPICS.ResultSubmitted:
      return {
        name: "ResultSubmitted",
        requestId,
        worker: topicAddress(),
        environmentId: bytes32At(log.data, 0),
        outputHash: bytes32At(log.data, 1),
        finalizableAt: uintAt(log.data, 2),
      };
    case TOPICS.RequestSettled:
      return { name: "RequestSettled", requestId, worker: topicAddress() };
    case TOPICS.RequestFailed:
      return {
        name: "RequestFailed",
        requestId,
        worker: topicAddress(),
        reason: Number(uintAt(log.data, 0)),
      };
    case TOPICS.RequestRefunded:
      return { name: "RequestRefunded", requestId };
    case TOPICS.ResultSkipped:
      return { name: "ResultSkipped", requestId, status: Number(uintAt(log.data, 0)) };
    default:
      return undefined;
  }
}
