import { Interface, formatEther, isHexString, type ErrorFragment, type Result } from "ethers";
import {
  DisputeResolver__factory,
  ExactGasCall__factory,
  InferenceConsumer__factory,
  InferenceHub__factory,
  ModelRegistry__factory,
  QuorumCoordinator__factory,
  TensorCodec__factory,
  VerityTimelock__factory,
  WorkerRegistry__factory,
  ZkProofVerifier__factory,
} from "@verity/contracts";
import {
  MAX_INPUT_BYTES,
  RequestStatus,
  TRANSACTION_GAS_CAP,
  enumName,
  ProofMode,
  FailureReason,
} from "@verity/contracts";

/** The SDK's version, printed at the end of every error message. */
export const SDK_VERSION = "0.1.0";

export interface BaseErrorParameters {
  /** The error this one explains (an ethers error, a fetch failure, ...). */
  cause?: unknown;
  /** The underlying technical message; defaults to the cause's message. */
  details?: string;
  /** Extra lines shown between the summary and the fix (values, addresses, ...). */
  metaMessages?: string[];
  /** What the caller should do about it, as one sentence. */
  fix?: string;
}

/**
 * The root of every error the SDK throws. `shortMessage` says what went wrong in one line, `fix`
 * what to do about it; `message` joins them with the details for logs. Catch it and use
 * `walk` to reach a particular cause.
 *
 * @example
 * try {
 *   await requestInference(client, { modelId, input });
 * } catch (error) {
 *   if (error instanceof BaseError) console.error(error.shortMessage, "\n", error.fix);
 * }
 */
export class BaseError extends Error {
  override name = "VerityError";
  readonly shortMessage: string;
  readonly details?: string;
  readonly metaMessages?: string[];
  readonly fix?: string;
  readonly version = `@verity/sdk@${SDK_VERSION}`;

  constructor(shortMessage: string, parameters: BaseErrorParameters = {}) {
    const { cause, metaMessages, fix } = parameters;
    const details =
      parameters.details ??
      (cause instanceof BaseError
        ? cause.details
        : cause instanceof Error
          ? cause.message
          : cause === undefined
            ? undefined
            : String(cause));
    super(
      [
        shortMessage,
        ...(metaMessages?.length ? ["", ...metaMessages] : []),
        ...(fix ? ["", `What to do: ${fix}`] : []),
        ...(details && details !== shortMessage ? ["", `Details: ${details}`] : []),
        `Version: @verity/sdk@${SDK_VERSION}`,
      ].join("\n"),
      cause === undefined ? undefined : { cause },
    );
    this.shortMessage = shortMessage;
    this.details = details;
    this.metaMessages = metaMessages;
    this.fix = fix;
  }

  /**
   * The deepest cause (or the first, from this error down, for which `match` is true).
   *
   * @example
   * const revert = error.walk((e) => e instanceof ContractRevertError);
   */
  walk(match?: (error: unknown) => boolean): unknown {
    if (match?.(this)) return this;
    let current: unknown = this.cause;
    if (current === undefined || current === null) return match ? null : this;
    for (;;) {
      if (match?.(current)) return current;
      const next = (current as { cause?: unknown } | null)?.cause;
      if (next === undefined || next === null) return match ? null : current;
      current = next;
    }
  }
}

/** A contract call reverted with one of the Verity contracts' custom errors (or a plain revert). */
export class ContractRevertError extends BaseError {
  override name = "ContractRevertError";
  /** The Solidity error's name, e.g. `ModelNotActive`; `Error` for a string revert, `Panic`. */
  readonly errorName: string;
  /** The decoded arguments, by name and position. */
  readonly args: readonly unknown[];
  /** The raw revert data. */
  readonly data: string;

  constructor(
    decoded: { errorName: string; args: readonly unknown[]; data: string; signature: string },
    explanation: { message: string; fix?: string },
    cause?: unknown,
  ) {
    super(explanation.message, {
      cause,
      fix: explanation.fix,
      metaMessages: [`Reverted with: ${decoded.signature}`],
    });
    this.errorName = decoded.errorName;
    this.args = decoded.args;
    this.data = decoded.data;
  }
}

/** Nothing answers at the RPC URL: no node running, wrong port, or no network. */
export class RpcUnreachableError extends BaseError {
  override name = "RpcUnreachableError";
  readonly url: string;
  constructor(url: string, cause?: unknown) {
    super(`No Ethereum node answers at ${url}.`, {
      cause,
      fix:
        "start one (`verity devnet` runs a local chain with Verity deployed) or point " +
        "--rpc-url / VERITY_RPC_URL at a running node.",
    });
    this.url = url;
  }
}

/** The node is on another chain than the one expected. */
export class ChainMismatchError extends BaseError {
  override name = "ChainMismatchError";
  readonly expected: bigint;
  readonly actual: bigint;
  constructor(url: string, expected: bigint, actual: bigint) {
    super(`${url} is chain ${actual}, not the expected chain ${expected}.`, {
      fix: "point the RPC URL at the right network, or drop or correct the expected chain id.",
    });
    this.expected = expected;
    this.actual = actual;
  }
}

/** No Verity contract at the address on this chain: wrong network, or not deployed there. */
export class ContractNotDeployedError extends BaseError {
  override name = "ContractNotDeployedError";
  readonly address: string;
  /** `source`: where the address came from, in words (`describeHubSource`). */
  constructor(what: string, address: string, chainId: bigint, source?: string) {
    super(
      `No ${what} at ${address} on chain ${chainId}: the address has no code` +
        (source === undefined ? "." : ` (the address came from ${source}).`),
      {
        fix:
          "this is the wrong network for that address, or Verity is not deployed there: check " +
          "--rpc-url and --hub (VERITY_HUB_ADDRESS), or deploy with " +
          "`hardhat ignition deploy deploy/modules/Verity.ts --network <network>`.",
      },
    );
    this.address = address;
  }
}

/** No hub address given, in VERITY_HUB_ADDRESS, in a running devnet's record or in an Ignition deployment. */
export class DeploymentNotFoundError extends BaseError {
  override name = "DeploymentNotFoundError";
  constructor(chainId: bigint, cause?: unknown) {
    super(`No Verity deployment is known for chain ${chainId}.`, {
      cause,
      fix:
        "start `verity devnet` (it records its addresses where the SDK finds them), pass the " +
        "hub's address (--hub or VERITY_HUB_ADDRESS), or deploy with " +
        "`hardhat ignition deploy deploy/modules/Verity.ts --network <network>`.",
    });
  }
}

/** A write needs an account and the client has none. */
export class SignerRequiredError extends BaseError {
  override name = "SignerRequiredError";
  constructor(action: string) {
    super(`${action} sends a transaction, and no account is configured.`, {
      fix: "set VERITY_PRIVATE_KEY (or pass a signer / privateKey to createVerityClient).",
    });
  }
}

/** The account cannot pay for the transaction. */
export class InsufficientFundsError extends BaseError {
  override name = "InsufficientFundsError";
  constructor(account: string | undefined, cause?: unknown) {
    super(`Account ${account ?? "(unknown)"} has too little ETH for this transaction.`, {
      cause,
      fix: "fund the account, or use another key (VERITY_PRIVATE_KEY).",
    });
  }
}

/** The registry has no model with this id. */
export class ModelNotFoundError extends BaseError {
  override name = "ModelNotFoundError";
  readonly modelId: string;
  constructor(modelId: string) {
    super(`Model ${modelId} is not registered on this chain.`, {
      fix:
        "check the id (`verity model list` shows every registered model), or register the " +
        "ONNX file with `verity model register <file.onnx>`.",
    });
    this.modelId = modelId;
  }
}

/** A model file that cannot be read or is not an ONNX model Verity can register (the CLI reads
 * files with `readModelFile` of @verity/models and reports its errors as this). */
export class ModelFileError extends BaseError {
  override name = "ModelFileError";
  constructor(path: string, problem: string, cause?: unknown) {
    super(`Cannot register ${path}: ${problem}`, {
      cause,
      fix:
        "pass an ONNX file with one input and one output; for open (dynamic) dimensions give " +
        "the shapes with --input-shape and --output-shape (e.g. --input-shape 1,4).",
    });
  }
}

/** An input that does not fit the model: wrong number of values, shape or encoding. */
export class InvalidInputError extends BaseError {
  override name = "InvalidInputError";
  constructor(problem: string, parameters: BaseErrorParameters = {}) {
    super(`Invalid input: ${problem}`, parameters);
  }
}

/**
 * An input longer than any request may carry (`MAX_INPUT_BYTES`): no model takes it, and the
 * registry refuses to register one that would. Thrown before anything is sent.
 */
export class InputTooLargeError extends InvalidInputError {
  override name = "InputTooLargeError";
  readonly inputBytes: number;
  readonly maxInputBytes = MAX_INPUT_BYTES;
  constructor(inputBytes: number) {
    super(
      `the encoded input is ${inputBytes} bytes; a request may carry at most ${MAX_INPUT_BYTES}`,
      {
        fix:
          "send one tensor of the model's input shape (no registered model takes more than " +
          `${MAX_INPUT_BYTES} bytes); for larger data, use a model with a smaller input ` +
          "(features, a downsampled image, an embedding).",
      },
    );
    this.inputBytes = inputBytes;
  }
}

/**
 * The node refused the transaction before running it (not a contract revert): too much gas for a
 * block or for one transaction, too large, a nonce or fee problem. `nodeMessage` is what it said.
 */
export class TransactionRejectedError extends BaseError {
  override name = "TransactionRejectedError";
  /** The node's own reason, e.g. "Transaction requires gas floor of 39909420 but got limit of 16777216". */
  readonly nodeMessage: string;
  /** The transaction is too large to fit one transaction or block (gas or bytes). */
  readonly tooLarge: boolean;
  constructor(action: string, nodeMessage: string, cause: unknown) {
    const tooLarge = TOO_LARGE.test(nodeMessage);
    super(`The node refused ${action}: ${nodeMessage}`, {
      cause,
      fix: tooLarge
        ? `the transaction is too large for one transaction (at most ${TRANSACTION_GAS_CAP} gas, ` +
          "EIP-7825, and what the block and the node's pool take): for a request, the input is " +
          `too large; a request's encoded input may be at most ${MAX_INPUT_BYTES} bytes ` +
          "(MAX_INPUT_BYTES), one tensor of the model's input shape."
        : "fix what the node names (the account's nonce or fees, the network), then send again.",
    });
    this.nodeMessage = nodeMessage;
    this.tooLarge = tooLarge;
  }
}

/** What nodes say when a transaction cannot fit: Hardhat/EDR, geth, Nethermind, Besu, anvil. */
const TOO_LARGE =
  /exceeds block gas limit|gas limit reached|intrinsic gas too (high|low)|gas floor|oversized data|transaction size|too large|exceeds (the )?(transaction )?gas cap|gas limit .*(too high|exceeds|above)|max(imum)? (tx|transaction) gas/i;

/** A real value with no int32 fixed-point form: NaN, ±Infinity, or too large at the decimals. */
export class TensorValueError extends BaseError {
  override name = "TensorValueError";
  constructor(problem: string, cause?: unknown) {
    super(problem, {
      cause,
      details: problem,
      fix:
        "pass finite numbers small enough for the model's decimals (|x| < 2^31 / 10^decimals); " +
        "replace missing values (NaN) before encoding.",
    });
  }
}

/** The hub has no request with this id. */
export class RequestNotFoundError extends BaseError {
  override name = "RequestNotFoundError";
  readonly requestId: bigint;
  constructor(requestId: bigint) {
    super(`Request ${requestId} does not exist on this hub.`, {
      fix: "check the id and that --rpc-url and --hub point at the network it was made on.",
    });
    this.requestId = requestId;
  }
}

/** The request has no result (yet, or ever) to read or verify. */
export class ResultNotAvailableError extends BaseError {
  override name = "ResultNotAvailableError";
  readonly requestId: bigint;
  readonly status: RequestStatus;
  constructor(requestId: bigint, status: RequestStatus, fix: string) {
    super(`Request ${requestId} has no result: it is ${enumName(RequestStatus, status)}.`, { fix });
    this.requestId = requestId;
    this.status = status;
  }
}

/** A result did not arrive in time. */
export class WaitTimeoutError extends BaseError {
  override name = "WaitTimeoutError";
  readonly requestId: bigint;
  readonly status: RequestStatus;
  constructor(requestId: bigint, status: RequestStatus, timeoutMs: number) {
    super(
      `Request ${requestId} is still ${enumName(RequestStatus, status)} after ${timeoutMs} ms.`,
      {
        fix:
          "check that a worker is running and eligible for this model (its /healthz says why " +
          `not), then wait again with \`verity result ${requestId} --wait\`; after the ` +
          "request's deadline the requester can be refunded.",
      },
    );
    this.requestId = requestId;
    this.status = status;
  }
}

/** A failure the SDK could not classify; `details` and `cause` hold the original. */
export class UnknownError extends BaseError {
  override name = "UnknownError";
  constructor(context: string, cause: unknown) {
    super(`${context} failed.`, { cause });
  }
}

// ------------------------------------------------------------------------------------------------
// Decoding the contracts' custom errors

/**
 * The protocol's contracts and the libraries a consumer links: their ABIs hold every custom
 * error a call through Verity can revert with (inherited ones included). Named one by one, not
 * every factory of the build, so that a page's bundle holds these and not the test contracts.
 */
const CONTRACTS_WITH_ERRORS = [
  InferenceHub__factory,
  ModelRegistry__factory,
  WorkerRegistry__factory,
  DisputeResolver__factory,
  QuorumCoordinator__factory,
  ZkProofVerifier__factory,
  VerityTimelock__factory,
  InferenceConsumer__factory,
  TensorCodec__factory,
  ExactGasCall__factory,
];

/** Every custom error of those contracts, plus Solidity's `Error(string)` and `Panic(uint256)`. */
const errorInterface: Interface = (() => {
  const seen = new Map<string, ErrorFragment>();
  for (const { abi } of CONTRACTS_WITH_ERRORS) {
    for (const item of abi as readonly { type: string }[]) {
      if (item.type !== "error") continue;
      const fragment = new Interface([item as never]).fragments[0] as ErrorFragment;
      seen.set(fragment.selector, fragment);
    }
  }
  return new Interface([...seen.values()]);
})();

interface Explanation {
  message: string;
  fix?: string;
}

const status = (value: unknown) => enumName(RequestStatus, Number(value));
const mode = (value: unknown) => enumName(ProofMode, Number(value));
const eth = (value: unknown) => `${formatEther(BigInt(value as bigint))} ETH`;
const time = (value: unknown) => isoTime(BigInt(value as bigint));

/** A chain timestamp in seconds as ISO 8601 in UTC, as every message of the SDK and CLI writes it. */
export function isoTime(seconds: bigint): string {
  return new Date(Number(seconds) * 1000).toISOString();
}

/** What each custom error means for someone using the SDK or the CLI, and what to do about it. */
const EXPLANATIONS: Record<string, (args: Result) => Explanation> = {
  // ModelRegistry
  ModelIdZero: () => ({
    message: "A model id cannot be zero.",
    fix: "use the SHA-256 of the ONNX file's bytes as the id (registerModel computes it).",
  }),
  ModelAlreadyRegistered: ([id]) => ({
    message: `Model ${id} is already registered.`,
    fix: "nothing to do if it is yours (`verity model show` it); to change it, register a new version with previousVersion set.",
  }),
  ModelNotFound: ([id]) => ({
    message: `Model ${id} is not registered on this chain.`,
    fix: "check the id (`verity model list`) and the network (--rpc-url, --hub).",
  }),
  ModelNotActive: ([id]) => ({
    message: `Model ${id} is not active: never registered here, or deprecated by its owner.`,
    fix: "use an active model (`verity model list`), or register this one (`verity model register`).",
  }),
  NotModelOwner: ([id, caller]) => ({
    message: `${caller} does not own model ${id}.`,
    fix: "send this from the model owner's key (VERITY_PRIVATE_KEY).",
  }),
  EmptyUri: () => ({
    message: "A model needs a uri where workers can fetch it.",
    fix: "pass a file://, https:// or ipfs:// uri serving the exact ONNX bytes.",
  }),
  InvalidShape: () => ({
    message: "A model's input or output shape is invalid.",
    fix: "give 1 to 8 non-zero dimensions and at most 2^24 elements per tensor.",
  }),
  InvalidDecimals: ([decimals]) => ({
    message: `${decimals} fixed-point decimals are too many.`,
    fix: "use 0 to 18 decimals (6 suits values of order 1).",
  }),
  InputTooLarge: ([bytes, max]) => ({
    message: `The model's input tensor would be ${bytes} bytes; the registry allows ${max}.`,
    fix: "shrink the input shape; inputs travel in calldata.",
  }),
  InvalidProofModes: ([modes]) => ({
    message: `Proof-mode mask ${modes} is invalid.`,
    fix: "set bit 1 << mode for each allowed mode: 1 = ATTESTED, 2 = ZK, 4 = QUORUM.",
  }),
  InvalidOwner: ([owner]) => ({
    message: `${owner} cannot own a model.`,
    fix: "transfer ownership to a non-zero address.",
  }),
  VerifierHasNoCode: ([verifier]) => ({
    message: `The ZK verifier ${verifier} has no code.`,
    fix: "deploy the model's verifier first and pass its address.",
  }),
  ZkCommitmentAlreadySet: ([id]) => ({
    message: `Model ${id} already has its ZK commitment; it is set once.`,
    fix: "register a new model version (previousVersion) for a new circuit or key.",
  }),
  InvalidZkCommitment: () => ({
    message: "A ZK commitment needs a circuit hash and a verifying-key hash.",
  }),
  VerifierMismatch: ([verifier]) => ({
    message: `The ZK verifier ${verifier} does not match the commitment: its circuit or key hash differs, or its proofs are not bound to a request (public binding).`,
    fix: "deploy the verifier the zk package generates for this model's artifacts (commitment binding) and commit to its hashes.",
  }),
  // WorkerRegistry
  AlreadyRegistered: ([worker]) => ({
    message: `Worker ${worker} is already registered.`,
    fix: "use addStake or changeEnvironment instead.",
  }),
  NotRegistered: ([worker]) => ({
    message: `${worker} is not a registered worker.`,
    fix: "register it with stake on an approved environment (the worker does so with --register-stake-eth).",
  }),
  EnvironmentNotApproved: ([id]) => ({
    message: `Environment ${id} is not approved.`,
    fix: "an environment admin must approve it (WorkerRegistry.approveEnvironment), or run an approved worker build.",
  }),
  EnvironmentAlreadyApproved: ([id]) => ({ message: `Environment ${id} is already approved.` }),
  StakeBelowMinimum: ([stake, minimum]) => ({
    message: `Stake ${eth(stake)} is below the minimum ${eth(minimum)}.`,
    fix: "add stake.",
  }),
  AmountZero: () => ({ message: "The amount is zero.", fix: "send a positive amount." }),
  AmountExceedsStake: ([amount, stake]) => ({
    message: `${eth(amount)} exceeds the stake of ${eth(stake)}.`,
  }),
  UnbondingNotFinished: ([at]) => ({
    message: `Unbonded stake can be withdrawn only from ${time(at)}.`,
    fix: "wait until then.",
  }),
  EnvironmentMismatch: ([worker, declared, signed]) => ({
    message: `Worker ${worker} declared environment ${declared} but signed for ${signed}.`,
    fix: "the worker must run the build it registered, or changeEnvironment to the one it runs.",
  }),
  NotSlasher: ([account]) => ({
    message: `${account} is not one of the registry's slashers (fixed at deployment).`,
  }),
  NotDeployer: ([account]) => ({
    message: `${account} did not deploy the registry: only the deployer wires its slashers, once.`,
  }),
  SlashersAlreadySet: () => ({
    message: "The registry's slashers are already set; the set is fixed for good.",
  }),
  InvalidSlasher: ([slasher]) => ({
    message: `${slasher} cannot be a slasher: a slasher set names at least one account, none of them zero.`,
  }),
  RevokedWorkerStillBonded: ([worker, env, held]) => ({
    message: `Worker ${worker} is on revoked environment ${env} and still holds ${eth(held)}.`,
    fix: "unbond and withdraw everything after the unbonding delay, then register on an approved environment.",
  }),
  // InferenceHub
  ProofModeNotAllowed: ([id, m]) => ({
    message: `Model ${id} does not allow ${mode(m)} requests.`,
    fix: "use a proof mode the model allows (`verity model show` lists them).",
  }),
  ProofModeUnavailable: ([m]) => ({
    message: `${mode(m)} mode has no proof verifier on this hub yet.`,
    fix: "use ATTESTED, or ask the hub admin to set a verifier for this mode.",
  }),
  InputLengthMismatch: ([id, length, expected]) => ({
    message: `The input is ${length} bytes; model ${id} takes exactly ${expected} (one tensor of its input shape).`,
    fix: "encode one tensor of the model's input shape (encodeInput / `verity infer --input`).",
  }),
  InsufficientPayment: ([paid, required]) => ({
    message: `Paid ${eth(paid)}, but the request costs at least ${eth(required)}.`,
    fix: "pay at least quote(modelId, callbackGasLimit); requestInference does so by default.",
  }),
  InvalidDeadline: ([deadline, earliest, latest]) => ({
    message: `Deadline ${time(deadline)} is outside ${time(earliest)} .. ${time(latest)}.`,
    fix: "choose a deadline after the grace period and within the hub's maxDeadlineSeconds.",
  }),
  CallbackGasLimitWithoutTarget: () => ({
    message: "A callback gas limit was given without a callback contract.",
    fix: "pass a callback address, or a zero callback gas limit.",
  }),
  RequestMismatch: ([id]) => ({
    message: `The request data given for ${id} differs from what the hub committed to.`,
    fix: "re-read the request from its InferenceRequested event (getResult does).",
  }),
  RequestNotPending: ([id, s]) => ({
    message: `Request ${id} is ${status(s)}, not Pending.`,
    fix: "nothing to do: it was answered, failed or refunded already.",
  }),
  RequestNotSubmitted: ([id, s]) => ({
    message: `Request ${id} is ${status(s)}, not Submitted.`,
    fix: `check its status with \`verity result ${id}\` (and \`verity dispute ${id}\` once challenged).`,
  }),
  RequestNotChallenged: ([id, s]) => ({
    message: `Request ${id} is ${status(s)}, not Challenged.`,
  }),
  RequestExpired: ([id, deadline]) => ({
    message: `Request ${id} expired at ${time(deadline)}.`,
    fix: "refund it (anyone may) and request again.",
  }),
  RequestNotExpired: ([id, deadline]) => ({
    message: `Request ${id} cannot be refunded before its deadline, ${time(deadline)}.`,
    fix: `wait until after the deadline and refund it then (\`verity refund ${id}\`; anyone may), or for a worker's answer.`,
  }),
  NotAssignee: ([id, signer, assignee]) => ({
    message: `Request ${id} is assigned to ${assignee} for now; ${signer} may not answer yet.`,
    fix: "wait for the assignment grace period to end.",
  }),
  ChallengeWindowOpen: ([id, at]) => ({
    message: `Request ${id}'s challenge window is open until ${time(at)}.`,
    fix: "finalize after it closes (the worker does so on its own).",
  }),
  ChallengeWindowClosed: ([id, at]) => ({
    message: `Request ${id}'s challenge window closed at ${time(at)}.`,
    fix: "nothing to do: the result became final unchallenged.",
  }),
  InsufficientBond: ([bond, required]) => ({
    message: `A challenge needs a bond of ${eth(required)}; ${eth(bond)} was sent.`,
    fix: "send at least the required bond (`verity challenge` sends exactly it when --bond is left out).",
  }),
  ChallengeSameOutput: ([id]) => ({
    message: `The challenge on ${id} claims the output already submitted.`,
  }),
  DisputeNotExpired: ([id, at]) => ({
    message: `The dispute on ${id} can expire only after ${time(at)}.`,
  }),
  NoFailureReason: () => ({ message: "A failure report needs a reason other than None." }),
  DisputeExpired: ([id, at]) => ({
    message: `The dispute on ${id} timed out at ${time(at)}; it can no longer be decided.`,
    fix: "close it with expireChallenge: the requester is refunded and the bond returned.",
  }),
  CallbackGasLimitTooHigh: ([limit, max]) => ({
    message: `A callback gas limit of ${limit} is more than the hub allows (${max}).`,
    fix: "ask for at most MAX_CALLBACK_GAS_LIMIT gas, so refunds and settlement always fit in a transaction.",
  }),
  FailureReportNotAllowed: ([id]) => ({
    message: `Request ${id} is not ATTESTED: ZK and QUORUM requests take no failure reports.`,
    fix: "let it end by its mode's rules; it is refunded after its deadline if nobody answers.",
  }),
  InputMismatch: ([id]) => ({
    message: `The input given for request ${id} is not the one it was made with.`,
  }),
  FailureNotShown: ([id, reason]) => ({
    message: `The chain checked request ${id}'s input and it does not show ${enumName(FailureReason, Number(reason))}.`,
    fix: "the input decodes to the model's shape: answer it instead.",
  }),
  ProofVerifierAlreadySet: ([mode]) => ({
    message: `The verifier of proof mode ${mode} is set once and already is.`,
  }),
  OutputMismatch: ([id]) => ({
    message: `The output given for ${id} does not hash to the submitted output hash.`,
  }),
  NothingToWithdraw: () => ({ message: "There is nothing to withdraw." }),
  TransferFailed: (args) => ({
    message:
      args.length > 0
        ? `Sending ${eth(args[1])} to ${args[0]} failed.`
        : "Sending ETH to the caller failed.",
    fix: "withdraw to an address that accepts ETH.",
  }),
  InvalidConfig: () => ({ message: "The hub configuration is invalid." }),
  InvalidAddress: () => ({ message: "An address argument is zero or otherwise invalid." }),
  UnexpectedSender: ([sender]) => ({ message: `${sender} may not send ETH to the hub directly.` }),
  EnforcedPause: () => ({
    message: "The hub is paused: new requests, submissions and challenges are stopped.",
    fix: "wait for it to be unpaused; withdrawals, finalize and refunds still work.",
  }),
  ExpectedPause: () => ({ message: "The hub is not paused." }),
  InsufficientGasForCallback: ([left, limit]) => ({
    message: `The transaction left ${left} gas for a callback that must get ${limit}.`,
    fix: "send the transaction with a higher gas limit.",
  }),
  AccessControlUnauthorizedAccount: ([account, role]) => ({
    message: `${account} lacks role ${role} for this call.`,
    fix: "send it from an account that holds the role.",
  }),
  ECDSAInvalidSignature: () => ({ message: "The signature is invalid." }),
  ECDSAInvalidSignatureLength: ([length]) => ({
    message: `The signature is ${length} bytes, not 65.`,
  }),
  ECDSAInvalidSignatureS: () => ({ message: "The signature has a high s value (malleable)." }),
  MalformedTensor: () => ({
    message: "A tensor is not in the canonical encoding.",
    fix: "encode it with encodeTensor (see docs/tensors.md).",
  }),
  // CreditLine example
  ApplicationPending: ([id]) => ({
    message: `This borrower's application ${id} is still being decided.`,
    fix: "wait for its result (or its refund after the deadline).",
  }),
  NothingToClaim: () => ({ message: "There is no refund to claim." }),
};

/** The custom error, `Error(string)` or `Panic` that revert data encodes, or null. */
export function decodeRevertData(
  data: string,
): { errorName: string; args: Result; signature: string } | null {
  if (!isHexString(data) || data.length < 10) return null;
  try {
    const parsed = errorInterface.parseError(data);
    if (parsed) {
      return { errorName: parsed.name, args: parsed.args, signature: formatCall(parsed) };
    }
  } catch {
    // not one of ours: fall through to the built-ins
  }
  try {
    const builtin = Interface.from(["error Error(string)", "error Panic(uint256)"]).parseError(
      data,
    );
    if (builtin) {
      return { errorName: builtin.name, args: builtin.args, signature: formatCall(builtin) };
    }
  } catch {
    // undecodable
  }
  return null;
}

function formatCall(parsed: { name: string; args: Result }): string {
  return `${parsed.name}(${Array.from(parsed.args, (arg) => String(arg)).join(", ")})`;
}

/** Finds revert data anywhere in an ethers error (or its causes). */
function findRevertData(error: unknown): string | undefined {
  const seen = new Set<unknown>();
  const queue: unknown[] = [error];
  while (queue.length > 0) {
    const current = queue.shift();
    if (current === null || typeof current !== "object" || seen.has(current)) continue;
    seen.add(current);
    const candidate = current as Record<string, unknown>;
    if (
      typeof candidate.data === "string" &&
      isHexString(candidate.data) &&
      candidate.data.length >= 10
    ) {
      return candidate.data;
    }
    queue.push(candidate.error, candidate.info, candidate.cause, candidate.data);
  }
  return undefined;
}

/**
 * Explains revert data: what the decoded custom error means and what to do. Unknown errors are
 * named with their arguments and pointed at the contracts' NatSpec.
 *
 * @example
 * const { message, fix } = explainRevert("0x...");
 */
export function explainRevert(data: string): Explanation & { signature: string } {
  const decoded = decodeRevertData(data);
  if (decoded === null) {
    return {
      signature: data,
      message: `The transaction reverted with data Verity does not know (${data.slice(0, 10)}).`,
      fix: "check that the addresses point at Verity contracts of this version.",
    };
  }
  if (decoded.errorName === "Error") {
    return { signature: decoded.signature, message: `Reverted: ${String(decoded.args[0])}` };
  }
  if (decoded.errorName === "Panic") {
    return {
      signature: decoded.signature,
      message: `A contract panicked (code ${String(decoded.args[0])}).`,
    };
  }
  const explain = EXPLANATIONS[decoded.errorName];
  return {
    signature: decoded.signature,
    ...(explain
      ? explain(decoded.args)
      : {
          message: `The contract reverted with ${decoded.signature}.`,
          fix: "see the error's NatSpec in packages/solidity/interfaces/.",
        }),
  };
}

/** What a failure reason means, for receipts and the CLI. */
export function describeFailureReason(reason: number): string {
  switch (reason) {
    case FailureReason.InputShapeMismatch:
      return "the input tensor's shape is not the model's input shape";
    case FailureReason.InputUndecodable:
      return "the input bytes are not a canonical tensor";
    case FailureReason.InputOutOfRange:
      return "the input values are outside what the model accepts";
    case FailureReason.ModelUnavailable:
      return "the worker could not fetch the model from its uri (refunded; the model owner must serve it)";
    case FailureReason.ModelHashMismatch:
      return "the file at the model's uri is not the registered model (refunded; the model owner must serve the exact registered file)";
    case FailureReason.ModelInvalid:
      return "the model file does not load in the canonical executor (refunded)";
    case FailureReason.UnsupportedOperator:
      return "the model uses an operator the canonical executor does not implement (refunded)";
    case FailureReason.Timeout:
      return "the model did not finish within the worker's time limit (refunded)";
    case FailureReason.OutputTooLarge:
      return "the model's output is too large for any transaction to carry (refunded)";
    case FailureReason.ModelError:
      return "the model failed while running (refunded)";
    default:
      return "no result before the deadline (refunded)";
  }
}

export interface ToVerityErrorContext {
  /** What was being done, for the message: "requestInference". */
  action: string;
  /** The RPC URL, to name it when the node is unreachable. */
  rpcUrl?: string;
  /** The sending account, to name it when funds are short. */
  account?: string;
}

/**
 * Turns anything thrown by ethers, fetch or the contracts into a `BaseError` that says what went
 * wrong and what to do. A `BaseError` passes through unchanged.
 *
 * @example
 * try { await tx.wait(); } catch (error) { throw toVerityError(error, { action: "registerModel" }); }
 */
export function toVerityError(error: unknown, context: ToVerityErrorContext): BaseError {
  if (error instanceof BaseError) return error;
  const data = findRevertData(error);
  if (data !== undefined) {
    const decoded = decodeRevertData(data);
    const explanation = explainRevert(data);
    return new ContractRevertError(
      {
        errorName: decoded?.errorName ?? "unknown",
        args: decoded ? Array.from(decoded.args) : [],
        data,
        signature: explanation.signature,
      },
      explanation,
      error,
    );
  }
  const code = (error as { code?: unknown } | null)?.code;
  const text = error instanceof Error ? error.message : String(error);
  if (
    code === "ECONNREFUSED" ||
    code === "ENOTFOUND" ||
    code === "ECONNRESET" ||
    code === "EHOSTUNREACH" ||
    /ECONNREFUSED|fetch failed|failed to detect network|socket hang up/.test(text)
  ) {
    return new RpcUnreachableError(context.rpcUrl ?? "the RPC URL", error);
  }
  if (code === "INSUFFICIENT_FUNDS" || /insufficient funds/i.test(text)) {
    return new InsufficientFundsError(context.account, error);
  }
  const nodeMessage = findNodeMessage(error);
  if (nodeMessage !== undefined)
    return new TransactionRejectedError(context.action, nodeMessage, error);
  return new UnknownError(context.action, error);
}

/**
 * The message of a JSON-RPC error (an object with a numeric `code` and a `message`) anywhere in
 * an ethers error or its causes: the node's own reason, which ethers wraps (`could not coalesce
 * error`) and Hardhat's in-process provider passes through as it is. Reverts never get here:
 * their data was found first.
 */
function findNodeMessage(error: unknown): string | undefined {
  const seen = new Set<unknown>();
  const queue: unknown[] = [error];
  while (queue.length > 0) {
    const current = queue.shift();
    if (current === null || typeof current !== "object" || seen.has(current)) continue;
    seen.add(current);
    const candidate = current as Record<string, unknown>;
    if (typeof candidate.code === "number" && typeof candidate.message === "string") {
      return candidate.message;
    }
    queue.push(candidate.error, candidate.info, candidate.cause, candidate.payload);
  }
  return undefined;
}
