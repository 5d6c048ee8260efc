import {
  ZeroAddress,
  hexlify,
  isBytesLike,
  keccak256,
  toBeHex,
  type BytesLike,
  type Log,
} from "ethers";
import {
  CallbackResult,
  FailureReason,
  RequestStatus,
  enumName,
  parseRequestedEvent,
  parseSubmittedEvent,
  InferenceHub__factory,
  type Request,
  type Submission,
} from "@verity/contracts";
import { requireSigner, type VerityClient } from "./client.js";
import {
  InvalidInputError,
  RequestNotFoundError,
  ResultNotAvailableError,
  WaitTimeoutError,
  toVerityError,
} from "./errors.js";
import { getModel, toProofMode, type ModelInfo, type ProofModeLike } from "./models.js";
import {
  checkInput,
  decodeOutput,
  encodeInput,
  type DecodedOutput,
  type NumericTensor,
} from "./tensor.js";

export interface QuoteParameters {
  modelId: string;
  /** Gas the consumer's callback gets; default 0 (no callback). */
  callbackGasLimit?: number;
}

/**
 * The least a request for this model costs now, in wei: the model fee, the protocol fee, the
 * minimum worker reward and the callback gas.
 *
 * @throws ContractRevertError `ModelNotFound` for an unknown model.
 * @example
 * const wei = await quote(client, { modelId });
 * console.log(formatEther(wei), "ETH");
 */
export async function quote(client: VerityClient, parameters: QuoteParameters): Promise<bigint> {
  try {
    return await client.hub.quote(parameters.modelId, parameters.callbackGasLimit ?? 0);
  } catch (error) {
    throw toVerityError(error, { action: "quote", rpcUrl: client.rpcUrl });
  }
}

export interface RequestInferenceParameters {
  modelId: string;
  /**
   * The input: tensor bytes in the canonical encoding (hex or bytes), or real values (a flat
   * row-major list or nested arrays) that are encoded at the model's decimals.
   */
  input: BytesLike | NumericTensor;
  /** Default `ATTESTED`. */
  proofMode?: ProofModeLike;
  /**
   * Which worker alone may answer during the grace period: an address, `"none"` to open the
   * request to every eligible worker at once, or `"auto"` (default) to let the worker registry
   * pick one (`pickWorker`, a free view call).
   */
  assignee?: string;
  /** A contract implementing `IInferenceConsumer` to call back, or none. */
  callback?: string;
  /** Gas for the callback; must be 0 without one. Default 0. */
  callbackGasLimit?: number;
  /** Seconds from now until the deadline; default an hour (within the hub's limits). */
  deadlineSeconds?: number;
  /** What to pay; default `quote(...)`. Anything above it tips the worker. */
  valueWei?: bigint;
  /**
   * Check the bytes against the model's input shape and `MAX_INPUT_BYTES` before paying; default
   * true. With false they are sent as given, and the node or the hub says what is wrong.
   */
  validateInput?: boolean;
}

export interface RequestInferenceReturnType {
  requestId: bigint;
  /** The request as the hub committed to it (settlement re-supplies it). */
  request: Request;
  /** The input tensor bytes, hex. */
  input: string;
  valueWei: bigint;
  transactionHash: string;
  blockNumber: number;
  gasUsed: bigint;
}

/**
 * Asks the hub for an inference and pays for it.
 *
 * @throws InvalidInputError when the input does not fit the model (`InputTooLargeError` above
 * `MAX_INPUT_BYTES`); ContractRevertError for what the hub refuses (`ModelNotActive`,
 * `ProofModeNotAllowed`, `InvalidDeadline`, ...); TransactionRejectedError with the node's reason
 * when the node refuses the transaction itself (too large for one transaction, say).
 * @example
 * const { requestId } = await requestInference(client, {
 *   modelId,
 *   input: [0.12, -0.5, 1.3, ...], // real values, encoded at the model's decimals
 * });
 * const result = await waitForResult(client, { requestId });
 */
export async function requestInference(
  client: VerityClient,
  parameters: RequestInferenceParameters,
): Promise<RequestInferenceReturnType> {
  const signer = requireSigner(client, "requestInference");
  const model = await getModel(client, parameters.modelId);
  const input = inputBytes(model, parameters.input, parameters.validateInput ?? true);
  const callbackGasLimit = parameters.callbackGasLimit ?? 0;
  try {
    const [config, valueWei, block, assignee] = await Promise.all([
      client.hub.config(),
      parameters.valueWei ?? quote(client, { modelId: model.modelId, callbackGasLimit }),
      client.provider.getBlock("latest"),
      chooseAssignee(client, parameters.assignee ?? "auto"),
    ]);
    const grace = Number(config.assignmentGraceSeconds);
    const latest = Number(config.maxDeadlineSeconds);
    // The next block may come a little later than the latest one: keep clear of both bounds.
    const seconds = parameters.deadlineSeconds ?? Math.max(grace + 60, Math.min(3600, latest - 60));
    const deadline = (block?.timestamp ?? Math.floor(Date.now() / 1000)) + seconds;
    const tx = await client.hub
      .connect(signer)
      .requestInference(
        model.modelId,
        input,
        toProofMode(parameters.proofMode ?? "ATTESTED"),
        assignee,
        parameters.callback ?? ZeroAddress,
        callbackGasLimit,
        deadline,
        { value: valueWei },
      );
    const receipt = await tx.wait();
    const { request } = parseRequestedEvent(receipt!, client.addresses.inferenceHub);
    return {
      requestId: request.id,
      request,
      input,
      valueWei,
      transactionHash: tx.hash,
      blockNumber: receipt!.blockNumber,
      gasUsed: receipt!.gasUsed,
    };
  } catch (error) {
    throw toVerityError(error, {
      action: "requestInference",
      rpcUrl: client.rpcUrl,
      account: client.account,
    });
  }
}

function inputBytes(model: ModelInfo, input: BytesLike | NumericTensor, validate: boolean): string {
  if (typeof input === "string" || input instanceof Uint8Array) {
    if (!isBytesLike(input)) {
      throw new InvalidInputError(
        `"${String(input).slice(0, 20)}..." is neither hex bytes nor numbers`,
        {
          fix: "pass the tensor's bytes as 0x-prefixed hex, or the real values as numbers.",
        },
      );
    }
    if (validate) checkInput(model, input);
    return hexlify(input);
  }
  return encodeInput(model, input);
}

async function chooseAssignee(client: VerityClient, assignee: string): Promise<string> {
  if (assignee === "none") return ZeroAddress;
  if (assignee !== "auto") return assignee;
  const seed = BigInt(keccak256(toBeHex(BigInt(Date.now()) * 1_000_003n + BigInt(process.pid))));
  return client.workerRegistry.pickWorker(seed);
}

/** Where a request ended up, from the hub's events about it. */
export interface InferenceResult {
  requestId: bigint;
  status: keyof typeof RequestStatus;
  /** Settled, failed or refunded: nothing about it will change. */
  final: boolean;
  request: Request;
  /** The input tensor bytes, hex. */
  input: string;
  requested: TransactionRef;
  /** The accepted result, once a worker submitted one. */
  result?: {
    submission: Submission;
    /** The output tensor bytes, hex, with the fixed-point values and their real values. */
    output: string;
    decoded?: DecodedOutput;
    /**
     * The proof as sent to the hub (the worker's EIP-712 signature in ATTESTED mode), read from
     * the submitting transaction's calldata; absent when a contract relayed the call.
     */
    proof?: string;
    submitted: TransactionRef;
  };
  /** How the request ended, once it did. */
  outcome?: {
    kind: "settled" | "failed" | "refunded";
    callbackResult: keyof typeof CallbackResult;
    /** Why a worker refused the input (failed only). */
    failureReason?: keyof typeof FailureReason;
    /** What the requester got back (refunded only). */
    refundedWei?: bigint;
    transaction: TransactionRef;
  };
}

/** A transaction and what it cost (the whole transaction: a batch shares its gas). */
export interface TransactionRef {
  transactionHash: string;
  blockNumber: number;
  gasUsed: bigint;
}

/**
 * Reads a request and what became of it: the committed request and input, the submitted result
 * with its proof, and how it ended (settled, failed, refunded).
 *
 * @throws RequestNotFoundError for an id the hub never issued.
 * @example
 * const result = await getResult(client, 7n);
 * if (result.result) console.log(result.status, result.result.decoded?.real);
 */
export async function getResult(client: VerityClient, requestId: bigint): Promise<InferenceResult> {
  try {
    const status = Number(await client.hub.requestStatus(requestId)) as RequestStatus;
    if (status === RequestStatus.None) throw new RequestNotFoundError(requestId);
    const hub = client.hub;
    const from = client.fromBlock;
    const [requestedLogs, submittedLogs, settledLogs, failedLogs, refundedLogs] = await Promise.all(
      [
        hub.queryFilter(hub.filters.InferenceRequested(requestId), from, "latest"),
        hub.queryFilter(hub.filters.ResultSubmitted(requestId), from, "latest"),
        hub.queryFilter(hub.filters.RequestSettled(requestId), from, "latest"),
        hub.queryFilter(hub.filters.RequestFailed(requestId), from, "latest"),
        hub.queryFilter(hub.filters.RequestRefunded(requestId), from, "latest"),
      ],
    );
    if (requestedLogs.length === 0) {
      throw new RequestNotFoundError(requestId); // older than fromBlock, or another hub
    }
    const { request, input } = parseRequestedEvent(requestedLogs[0] as Log, hub.target as string);
    const found: InferenceResult = {
      requestId,
      status: enumName(RequestStatus, status) as keyof typeof RequestStatus,
      final: status >= RequestStatus.Settled,
      request,
      input,
      requested: await transactionRef(client, requestedLogs[0]),
    };
    const submittedLog = submittedLogs.at(-1);
    if (submittedLog) {
      const { submission, output } = parseSubmittedEvent(submittedLog as Log, hub.target as string);
      let decoded: DecodedOutput | undefined;
      try {
        decoded = decodeOutput(await getModel(client, request.modelId), output);
      } catch {
        decoded = undefined; // a malformed output is the verifier's finding, not a read error
      }
      found.result = {
        submission,
        output,
        decoded,
        proof: await proofFromCalldata(client, submittedLog.transactionHash, request.id),
        submitted: await transactionRef(client, submittedLog),
      };
    }
    const settled = settledLogs.at(-1);
    const failed = failedLogs.at(-1);
    const refunded = refundedLogs.at(-1);
    if (settled) {
      found.outcome = {
        kind: "settled",
        callbackResult: callbackName(settled.args.callbackResult),
        transaction: await transactionRef(client, settled),
      };
    } else if (failed) {
      found.outcome = {
        kind: "failed",
        callbackResult: callbackName(failed.args.callbackResult),
        failureReason: enumName(FailureReason, failed.args.reason) as keyof typeof FailureReason,
        transaction: await transactionRef(client, failed),
      };
    } else if (refunded) {
      found.outcome = {
        kind: "refunded",
        callbackResult: callbackName(refunded.args.callbackResult),
        refundedWei: refunded.args.amountWei,
        transaction: await transactionRef(client, refunded),
      };
    }
    return found;
  } catch (error) {
    throw toVerityError(error, { action: "getResult", rpcUrl: client.rpcUrl });
  }
}

export interface WaitForResultParameters {
  requestId: bigint;
  /**
   * `"result"` (default): until a worker's result is accepted or the request ends; `"final"`:
   * until it is settled, failed or refunded (after any challenge window).
   */
  until?: "result" | "final";
  /** Default 60 s. */
  timeoutMs?: number;
  /** Called whenever the status changes, for progress output. */
  onStatus?: (status: keyof typeof RequestStatus) => void;
}

/**
 * Waits for a request's result by polling the hub's `requestStatus` (one `eth_call` per
 * `pollingIntervalMs`, from any RPC endpoint; no filters or subscriptions to leak), until it has
 * a result (or is final), then returns `getResult`, which reads the events.
 *
 * @throws WaitTimeoutError naming the status it is stuck in and what to check.
 * @example
 * const { requestId } = await requestInference(client, { modelId, input });
 * const result = await waitForResult(client, { requestId, timeoutMs: 30_000 });
 * console.log(result.status, result.result?.decoded?.real);
 */
export async function waitForResult(
  client: VerityClient,
  parameters: WaitForResultParameters,
): Promise<InferenceResult> {
  const { requestId } = parameters;
  const timeoutMs = parameters.timeoutMs ?? 60_000;
  const done = (status: RequestStatus) =>
    parameters.until === "final"
      ? status >= RequestStatus.Settled
      : status >= RequestStatus.Submitted;
  const until = Date.now() + timeoutMs;
  let last: RequestStatus | undefined;
  for (;;) {
    let status: RequestStatus;
    try {
      status = Number(await client.hub.requestStatus(requestId)) as RequestStatus;
    } catch (error) {
      throw toVerityError(error, { action: "waitForResult", rpcUrl: client.rpcUrl });
    }
    if (status === RequestStatus.None) throw new RequestNotFoundError(requestId);
    if (status !== last) {
      last = status;
      parameters.onStatus?.(enumName(RequestStatus, status) as keyof typeof RequestStatus);
    }
    if (done(status)) return getResult(client, requestId);
    const remaining = until - Date.now();
    if (remaining <= 0) throw new WaitTimeoutError(requestId, status, timeoutMs);
    await new Promise((resolve) =>
      setTimeout(resolve, Math.min(remaining, client.pollingIntervalMs)),
    );
  }
}

/**
 * Reads a request's result, failing if there is none yet.
 *
 * @throws ResultNotAvailableError when the request is pending, failed or refunded.
 */
export async function requireResult(
  client: VerityClient,
  requestId: bigint,
): Promise<InferenceResult & { result: NonNullable<InferenceResult["result"]> }> {
  const found = await getResult(client, requestId);
  if (!found.result) {
    const status = RequestStatus[found.status];
    throw new ResultNotAvailableError(
      requestId,
      status,
      status === RequestStatus.Pending
        ? `wait for a worker's answer (\`verity result ${requestId} --wait\`).`
        : `it ended without a result (${found.outcome?.failureReason ?? found.status}); there is nothing to verify.`,
    );
  }
  return found as InferenceResult & { result: NonNullable<InferenceResult["result"]> };
}

async function transactionRef(
  client: VerityClient,
  log: { transactionHash: string; blockNumber: number },
): Promise<TransactionRef> {
  const receipt = await client.provider.getTransactionReceipt(log.transactionHash);
  return {
    transactionHash: log.transactionHash,
    blockNumber: log.blockNumber,
    gasUsed: receipt?.gasUsed ?? 0n,
  };
}

function callbackName(value: bigint | number): keyof typeof CallbackResult {
  return enumName(CallbackResult, value) as keyof typeof CallbackResult;
}

const hubInterface = InferenceHub__factory.createInterface();

/** The proof sent for `requestId` in a `submitResult(s)` transaction sent to the hub directly. */
async function proofFromCalldata(
  client: VerityClient,
  transactionHash: string,
  requestId: bigint,
): Promise<string | undefined> {
  const tx = await client.provider.getTransaction(transactionHash);
  if (!tx || tx.to?.toLowerCase() !== client.addresses.inferenceHub.toLowerCase()) return undefined;
  const call = hubInterface.parseTransaction({ data: tx.data });
  if (call?.name === "submitResult") return call.args.proof as string;
  if (call?.name === "submitResults") {
    for (const entry of call.args.results as { request: { id: bigint }; signature: string }[]) {
      if (entry.request.id === requestId) return entry.signature;
    }
  }
  return undefined;
}
