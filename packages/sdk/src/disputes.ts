import {
  ZeroAddress,
  getAddress,
  isAddress,
  isHexString,
  type ContractTransactionResponse,
  type Log,
  type LogDescription,
} from "ethers";
import {
  CallbackResult,
  DisputeResolver__factory,
  ModelStatus,
  ProofMode,
  RequestStatus,
  enumName,
  type DisputeResolver,
  type Request,
  type Submission,
} from "@verity/contracts";
import { requireSigner, type VerityClient } from "./client.js";
import { BaseError, InvalidInputError, isoTime, toVerityError } from "./errors.js";
import { getModel, type ModelInfo } from "./models.js";
import { getResult, type InferenceResult, type TransactionRef } from "./requests.js";

/** An open challenge against a submission, as the hub committed to it (`Challenge` in Solidity). */
export interface ChallengeRecord {
  challenger: string;
  bondWei: bigint;
  /** keccak256 of the output the challenger claims is right. */
  claimedOutputHash: string;
  /** Block timestamp of the challenge, in seconds. */
  challengedAt: bigint;
}

/** The request's result is not open to a challenge: no result yet, or it is final or disputed. */
export class ChallengeNotOpenError extends BaseError {
  override name = "ChallengeNotOpenError";
  readonly requestId: bigint;
  constructor(requestId: bigint, problem: string, fix: string) {
    super(`Request ${requestId} cannot be challenged: ${problem}.`, { fix });
    this.requestId = requestId;
  }
}

/** A model that is not active cannot be deprecated (again). */
export class ModelAlreadyDeprecatedError extends BaseError {
  override name = "ModelAlreadyDeprecatedError";
  readonly modelId: string;
  constructor(modelId: string, status: string) {
    super(`Model ${modelId} is ${status} already.`, {
      fix: "nothing to do: it takes no new requests (register a new version to serve it again).",
    });
    this.modelId = modelId;
  }
}

// ------------------------------------------------------------------------------------- challenge

/** What a challenge of one result takes, read from the hub. */
export interface ChallengeTerms {
  requestId: bigint;
  request: Request;
  submission: Submission;
  /** The least bond the hub accepts (`DisputeConfig.challengeBondWei`). */
  bondWei: bigint;
  /** The challenge window ends at this timestamp (seconds; `challengeWindowEnd`). */
  windowEndsAt: bigint;
  /** A dispute not decided this long after its challenge expires (bond returned). */
  disputeTimeoutSeconds: bigint;
  /** The result as `getResult` read it (its output and decoded values). */
  found: InferenceResult & { result: NonNullable<InferenceResult["result"]> };
}

/**
 * Reads what challenging a request's result takes: the submission the hub holds, the bond and
 * where the challenge window ends.
 *
 * @throws ChallengeNotOpenError unless the request holds an ATTESTED result in its challenge
 * window (status `Submitted`); RequestNotFoundError for an unknown id.
 * @example
 * const { bondWei, windowEndsAt } = await getChallengeTerms(client, 7n);
 */
export async function getChallengeTerms(
  client: VerityClient,
  requestId: bigint,
): Promise<ChallengeTerms> {
  const found = await getResult(client, requestId);
  const status = RequestStatus[found.status];
  if (status !== RequestStatus.Submitted || !found.result) {
    throw notOpen(requestId, found);
  }
  try {
    const { request } = found;
    const { submission } = found.result;
    const [windowEndsAt, disputeConfig] = await Promise.all([
      client.hub.challengeWindowEnd(request, submission),
      client.hub.disputeConfig(),
    ]);
    return {
      requestId,
      request,
      submission,
      bondWei: disputeConfig.challengeBondWei,
      windowEndsAt,
      disputeTimeoutSeconds: disputeConfig.disputeTimeoutSeconds,
      found: found as ChallengeTerms["found"],
    };
  } catch (error) {
    throw toVerityError(error, { action: "getChallengeTerms", rpcUrl: client.rpcUrl });
  }
}

function notOpen(requestId: bigint, found: InferenceResult): ChallengeNotOpenError {
  switch (RequestStatus[found.status]) {
    case RequestStatus.Pending:
      return new ChallengeNotOpenError(
        requestId,
        "no worker has answered it yet",
        `wait for its result (\`verity result ${requestId} --wait\`), then challenge it within its window.`,
      );
    case RequestStatus.Challenged:
      return new ChallengeNotOpenError(
        requestId,
        "its result is challenged already",
        `follow the dispute with \`verity dispute ${requestId}\`.`,
      );
    default:
      return new ChallengeNotOpenError(
        requestId,
        `it is ${found.status}: final${found.request.proofMode === ProofMode.ATTESTED ? ", its challenge window is over" : " (only ATTESTED results are challenged)"}`,
        "nothing to do: a challenge is possible only while an ATTESTED result waits in its challenge window.",
      );
  }
}

export interface ChallengeResultParameters {
  requestId: bigint;
  /**
   * keccak256 of the output the challenger claims is right (from re-running the model:
   * `verifyResult(...).output.localHash`). It must differ from the submitted output's.
   */
  claimedOutputHash: string;
  /** The bond to post; default the hub's `challengeBondWei`. More is allowed and at stake. */
  bondWei?: bigint;
}

export interface ChallengeResultReturnType {
  requestId: bigint;
  challenge: ChallengeRecord;
  /** The worker whose result is challenged. */
  worker: string;
  /** From this time (seconds) anyone may expire the dispute if nobody decided it. */
  timesOutAt: bigint;
  transactionHash: string;
  blockNumber: number;
  gasUsed: bigint;
}

/**
 * Challenges an ATTESTED result inside its challenge window, posting a bond. The dispute is then
 * decided by a ZK proof or a jury (the DisputeResolver); `getDispute` follows it. A challenger who
 * is right gets the bond back with half the worker's slashed stake; one who is wrong loses it.
 *
 * @throws ChallengeNotOpenError when the result cannot be challenged; InvalidInputError for a
 * claimed hash equal to the submitted one; ContractRevertError for what the hub refuses
 * (`ChallengeWindowClosed`, `InsufficientBond`, `EnforcedPause`).
 * @example
 * const receipt = await verifyResult(client, { requestId, runner });
 * if (!receipt.matches && receipt.output.localHash) {
 *   await challengeResult(client, { requestId, claimedOutputHash: receipt.output.localHash });
 * }
 */
export async function challengeResult(
  client: VerityClient,
  parameters: ChallengeResultParameters,
): Promise<ChallengeResultReturnType> {
  const { requestId, claimedOutputHash } = parameters;
  const signer = requireSigner(client, "challengeResult");
  if (!isHexString(claimedOutputHash, 32)) {
    throw new InvalidInputError(`claimed output hash "${claimedOutputHash}" is not 32 bytes`, {
      fix: "pass the keccak256 of the output you computed, 0x + 64 hex digits.",
    });
  }
  const terms = await getChallengeTerms(client, requestId);
  if (claimedOutputHash.toLowerCase() === terms.submission.outputHash.toLowerCase()) {
    throw new InvalidInputError(
      `the claimed output hash is the submitted one (${claimedOutputHash})`,
      {
        fix: "challenge only with the hash of a different output: the one you computed by re-running the model.",
      },
    );
  }
  const bondWei = parameters.bondWei ?? terms.bondWei;
  try {
    const tx = await client.hub
      .connect(signer)
      .challenge(terms.request, terms.submission, claimedOutputHash, { value: bondWei });
    const receipt = await tx.wait();
    const block = await client.provider.getBlock(receipt!.blockNumber);
    const challengedAt = BigInt(block!.timestamp);
    return {
      requestId,
      challenge: {
        challenger: await signer.getAddress(),
        bondWei,
        claimedOutputHash,
        challengedAt,
      },
      worker: terms.submission.worker,
      timesOutAt: challengedAt + terms.disputeTimeoutSeconds,
      transactionHash: tx.hash,
      blockNumber: receipt!.blockNumber,
      gasUsed: receipt!.gasUsed,
    };
  } catch (error) {
    throw toVerityError(error, {
      action: "challengeResult",
      rpcUrl: client.rpcUrl,
      account: client.account,
    });
  }
}

// ------------------------------------------------------------------------------------- disputes

/** A dispute's jury round in the DisputeResolver, once someone escalated it. */
export interface JuryState {
  /** Who paid the juror fee to send the dispute to a jury. */
  escalatedBy: string;
  status: "None" | "Open" | "Decided" | "Closed";
  /** Commits are refused from this time (seconds) on; reveals end at `revealEndsAt`. */
  commitEndsAt: bigint;
  revealEndsAt: bigint;
  /** Matching reveals that decide it, of `seats` seats. */
  quorum: number;
  seats: number;
  committed: number;
  revealed: number;
  members: string[];
  /** The output hash the jury agreed on, once decided. */
  decidedOutputHash?: string;
}

/** How a dispute ended. */
export interface DisputeOutcome {
  /**
   * `challenger-won`: the result was overturned (worker slashed, requester refunded);
   * `worker-won`: the result stood and settled (the bond went to the worker); `expired`: nobody
   * decided in time (requester refunded, bond returned).
   */
  kind: "challenger-won" | "worker-won" | "expired";
  /** Who decided: a ZK proof, a jury, or nobody (the timeout). */
  decidedBy: "proof" | "jury" | "resolver" | "timeout";
  /** Stake taken from the worker (challenger-won only). */
  slashedWei?: bigint;
  transaction: TransactionRef;
}

/** Whether a request's result was challenged, and where the dispute stands. */
export interface DisputeInfo {
  requestId: bigint;
  status: keyof typeof RequestStatus;
  proofMode: keyof typeof ProofMode;
  challenged: boolean;
  /** The submitted result and its window, when a worker answered. */
  submission?: Submission;
  challengeWindowEndsAt?: bigint;
  /** The challenge as the hub committed to it (what `escalate` and `expireChallenge` take). */
  challenge?: ChallengeRecord & { transaction: TransactionRef };
  /** From this time (seconds) the dispute may be expired if undecided. */
  timesOutAt?: bigint;
  /** Undecided and past `timesOutAt`: anyone may call `expireChallenge`. */
  timedOut?: boolean;
  /** The DisputeResolver deciding it, when one holds the hub's role. */
  resolver?: string;
  /** The jury round, once escalated. */
  jury?: JuryState;
  outcome?: DisputeOutcome;
}

export interface GetDisputeParameters {
  requestId: bigint;
  /** The DisputeResolver; default the account the hub granted `DISPUTE_RESOLVER_ROLE` that holds it. */
  resolverAddress?: string;
}

/**
 * Reads a request's dispute: whether and by whom its result was challenged, with what bond, the
 * jury round (or proof) deciding it in the DisputeResolver, when it times out, and how it ended.
 *
 * @throws RequestNotFoundError for an id the hub never issued.
 * @example
 * const dispute = await getDispute(client, { requestId: 7n });
 * if (dispute.challenged) console.log(dispute.challenge?.challenger, dispute.outcome?.kind);
 */
export async function getDispute(
  client: VerityClient,
  parameters: GetDisputeParameters,
): Promise<DisputeInfo> {
  const { requestId } = parameters;
  const found = await getResult(client, requestId);
  try {
    const hub = client.hub;
    const from = client.fromBlock;
    const [challengedLogs, resolvedLogs, expiredLogs, resolver, latest] = await Promise.all([
      hub.queryFilter(hub.filters.ResultChallenged(requestId), from, "latest"),
      hub.queryFilter(hub.filters.ChallengeResolved(requestId), from, "latest"),
      hub.queryFilter(hub.filters.ChallengeExpired(requestId), from, "latest"),
      findDisputeResolver(client, parameters.resolverAddress),
      client.provider.getBlock("latest"),
    ]);
    const info: DisputeInfo = {
      requestId,
      status: found.status,
      proofMode: enumName(ProofMode, found.request.proofMode) as keyof typeof ProofMode,
      challenged: challengedLogs.length > 0,
      resolver: resolver === undefined ? undefined : await resolver.getAddress(),
    };
    if (found.result) {
      info.submission = found.result.submission;
      if (found.request.proofMode === ProofMode.ATTESTED) {
        info.challengeWindowEndsAt = await hub.challengeWindowEnd(
          found.request,
          found.result.submission,
        );
      }
    }
    const challenged = challengedLogs.at(-1);
    if (challenged === undefined) return info;

    const block = await client.provider.getBlock(challenged.blockNumber);
    const challengedAt = BigInt(block!.timestamp);
    info.challenge = {
      challenger: challenged.args.challenger,
      bondWei: challenged.args.bondWei,
      claimedOutputHash: challenged.args.claimedOutputHash,
      challengedAt,
      transaction: await transactionRef(client, challenged),
    };
    const { disputeTimeoutSeconds } = await hub.disputeConfig();
    info.timesOutAt = challengedAt + disputeTimeoutSeconds;
    const resolved = resolvedLogs.at(-1);
    const expired = expiredLogs.at(-1);
    info.timedOut =
      resolved === undefined &&
      expired === undefined &&
      BigInt(latest?.timestamp ?? 0) >= info.timesOutAt;

    let decidedBy: DisputeOutcome["decidedBy"] = "resolver";
    if (resolver !== undefined) {
      const [escalated, byProof, byJury] = await Promise.all([
        resolver.queryFilter(resolver.filters.DisputeEscalated(requestId), from, "latest"),
        resolver.queryFilter(resolver.filters.DisputeResolvedByProof(requestId), from, "latest"),
        resolver.queryFilter(resolver.filters.DisputeResolvedByJury(requestId), from, "latest"),
      ]);
      if (byProof.length > 0) decidedBy = "proof";
      else if (byJury.length > 0) decidedBy = "jury";
      const escalation = escalated.at(-1);
      if (escalation !== undefined) {
        const [round, members] = await Promise.all([
          resolver.getRound(requestId),
          resolver.membersOf(requestId),
        ]);
        info.jury = {
          escalatedBy: escalation.args.escalator,
          status: (["None", "Open", "Decided", "Closed"] as const)[Number(round.status)],
          commitEndsAt: round.commitEndsAt,
          revealEndsAt: round.revealEndsAt,
          quorum: Number(round.quorum),
          seats: Number(round.seats),
          committed: Number(round.committed),
          revealed: Number(round.revealed),
          members: [...members],
          ...(/^0x0*$/.test(round.decidedOutputHash)
            ? {}
            : { decidedOutputHash: round.decidedOutputHash }),
        };
      }
    }
    if (resolved !== undefined) {
      const challengerWon = resolved.args.challengerWon;
      info.outcome = {
        kind: challengerWon ? "challenger-won" : "worker-won",
        decidedBy,
        ...(challengerWon ? { slashedWei: resolved.args.slashedWei } : {}),
        transaction: await transactionRef(client, resolved),
      };
    } else if (expired !== undefined) {
      info.outcome = {
        kind: "expired",
        decidedBy: "timeout",
        transaction: await transactionRef(client, expired),
      };
    }
    return info;
  } catch (error) {
    throw toVerityError(error, { action: "getDispute", rpcUrl: client.rpcUrl });
  }
}

/**
 * The DisputeResolver: `address` if given, else the latest account the hub granted
 * `DISPUTE_RESOLVER_ROLE` that still holds it (from the hub's own events, so any deployment
 * works without an address book). Undefined when nobody holds the role.
 */
export async function findDisputeResolver(
  client: VerityClient,
  address?: string,
): Promise<DisputeResolver | undefined> {
  if (address !== undefined) {
    if (!isAddress(address)) {
      throw new InvalidInputError(`dispute resolver "${address}" is not an address`, {
        fix: "pass the DisputeResolver's 0x-prefixed 20-byte address.",
      });
    }
    return DisputeResolver__factory.connect(address, client.provider);
  }
  const hub = client.hub;
  const role = await hub.DISPUTE_RESOLVER_ROLE();
  const granted = await hub.queryFilter(hub.filters.RoleGranted(role), client.fromBlock, "latest");
  for (const log of granted.reverse()) {
    const account = log.args.account;
    if (await hub.hasRole(role, account)) {
      return DisputeResolver__factory.connect(account, client.provider);
    }
  }
  return undefined;
}

// ------------------------------------------------------------------------------------- refunds

/** The request cannot be refunded now: its deadline has not passed, or it is not pending. */
export class RefundNotPossibleError extends BaseError {
  override name = "RefundNotPossibleError";
  readonly requestId: bigint;
  /** The request's deadline, in seconds; refunds are possible only after it. */
  readonly deadline: bigint;
  constructor(requestId: bigint, deadline: bigint, problem: string, fix: string) {
    super(`Request ${requestId} cannot be refunded: ${problem}.`, { fix });
    this.requestId = requestId;
    this.deadline = deadline;
  }
}

export interface RefundRequestParameters {
  requestId: bigint;
}

export interface RefundRequestReturnType {
  requestId: bigint;
  /** Who the hub credited the refund to: the request's requester (a consumer contract, maybe). */
  requester: string;
  /** What the hub credited to the requester; `withdrawBalance` (by the requester) pays it out. */
  refundedWei: bigint;
  /** What the sender earned for running the request's callback (credited to the sender). */
  callbackFeeWei: bigint;
  callbackResult: keyof typeof CallbackResult;
  transaction: TransactionRef;
}

/**
 * Ends a request nobody answered once its deadline has passed: the hub credits the model fee and
 * the worker reward back to the requester and tells its callback. Anyone may send it; the sender
 * earns the callback fee when there is a callback. The request is rebuilt from its
 * `InferenceRequested` event (`getResult`), as the hub checks it against its commitment.
 *
 * @throws RefundNotPossibleError before the deadline (with the deadline and what to do) or when
 * the request is no longer pending; RequestNotFoundError for an unknown id.
 * @example
 * const { refundedWei, requester } = await refundRequest(client, { requestId: 7n });
 */
export async function refundRequest(
  client: VerityClient,
  parameters: RefundRequestParameters,
): Promise<RefundRequestReturnType> {
  const { requestId } = parameters;
  const signer = requireSigner(client, "refundRequest");
  const found = await getResult(client, requestId);
  const { request } = found;
  if (RequestStatus[found.status] !== RequestStatus.Pending) throw notRefundable(found);
  try {
    const latest = await client.provider.getBlock("latest");
    // The hub refunds only in a block after the deadline; the next block is at least as late as
    // both the latest one and the wall clock, so either being past the deadline is enough.
    const now = BigInt(Math.max(latest?.timestamp ?? 0, Math.floor(Date.now() / 1000)));
    if (now <= request.deadline) {
      const wait = request.deadline - now + 1n;
      throw new RefundNotPossibleError(
        requestId,
        request.deadline,
        `its deadline is ${isoTime(request.deadline)}, ${wait} s from now, and a worker may still answer until then`,
        `wait until after ${isoTime(request.deadline)} and refund it again (\`verity refund ${requestId}\`), ` +
          `or follow it with \`verity result ${requestId} --wait\`.`,
      );
    }
    const { event: refunded, transaction } = await sendHubTransaction(
      client,
      "refundRequest",
      () => client.hub.connect(signer).refund(request),
      "RequestRefunded",
    );
    return {
      requestId,
      requester: request.requester,
      refundedWei: (refunded?.args.amountWei as bigint | undefined) ?? 0n,
      callbackFeeWei: request.callbackGasLimit > 0n ? request.callbackFeeWei : 0n,
      callbackResult: enumName(
        CallbackResult,
        (refunded?.args.callbackResult as bigint | undefined) ?? 0n,
      ) as keyof typeof CallbackResult,
      transaction,
    };
  } catch (error) {
    throw toVerityError(error, {
      action: "refundRequest",
      rpcUrl: client.rpcUrl,
      account: client.account,
    });
  }
}

function notRefundable(found: InferenceResult): RefundNotPossibleError {
  const { requestId, request } = found;
  switch (RequestStatus[found.status]) {
    case RequestStatus.Submitted:
    case RequestStatus.Challenged:
      return new RefundNotPossibleError(
        requestId,
        request.deadline,
        `a worker answered it (${found.status}): it settles by its result or its dispute`,
        `follow it with \`verity result ${requestId}\` (\`verity dispute ${requestId}\` once challenged); a challenge the challenger wins refunds the requester.`,
      );
    case RequestStatus.Refunded:
    case RequestStatus.Failed:
      return new RefundNotPossibleError(
        requestId,
        request.deadline,
        `it was refunded already (${found.status})`,
        `nothing to refund: the requester ${request.requester} takes what the hub holds with \`verity withdraw\` (a consumer contract through its own function that calls _withdrawRefunds).`,
      );
    default:
      return new RefundNotPossibleError(
        requestId,
        request.deadline,
        `it is ${found.status}: it has a final result`,
        "nothing to do: only a request nobody answered by its deadline is refunded.",
      );
  }
}

// ------------------------------------------------------------------------------------- balances

/**
 * What the hub holds for `account` (default the client's): refunds, rewards, model fees,
 * callback fees and returned or won challenge bonds, all paid out by `withdrawBalance`.
 *
 * @example
 * const wei = await getHubBalance(client);
 */
export async function getHubBalance(client: VerityClient, account?: string): Promise<bigint> {
  const owner = account ?? client.account;
  if (owner === undefined) {
    throw new InvalidInputError("no account to read the balance of", {
      fix: "pass an account, or configure a key (VERITY_PRIVATE_KEY).",
    });
  }
  try {
    return await client.hub.balanceOf(owner);
  } catch (error) {
    throw toVerityError(error, { action: "getHubBalance", rpcUrl: client.rpcUrl });
  }
}

export interface WithdrawBalanceParameters {
  /** Where the ETH goes; default the sending account. */
  to?: string;
}

export interface WithdrawBalanceReturnType {
  account: string;
  to: string;
  /** What was paid out; 0 when there was nothing, and then no transaction was sent. */
  amountWei: bigint;
  transaction?: TransactionRef;
}

/**
 * Withdraws the sending account's whole balance held by the hub. Sends nothing when it is zero.
 *
 * @throws ContractRevertError `TransferFailed` when `to` refuses ETH.
 * @example
 * const { amountWei } = await withdrawBalance(client);
 * console.log(amountWei === 0n ? "nothing to withdraw" : formatEther(amountWei));
 */
export async function withdrawBalance(
  client: VerityClient,
  parameters: WithdrawBalanceParameters = {},
): Promise<WithdrawBalanceReturnType> {
  const signer = requireSigner(client, "withdrawBalance");
  const account = await signer.getAddress();
  if (parameters.to !== undefined && !isAddress(parameters.to)) {
    throw new InvalidInputError(`"${parameters.to}" is not an address`, {
      fix: "pass a 0x-prefixed 20-byte address to send the ETH to, or leave it out for your own.",
    });
  }
  const to = parameters.to === undefined ? account : getAddress(parameters.to);
  if (to === ZeroAddress) {
    throw new InvalidInputError("cannot withdraw to the zero address", {
      fix: "pass the address that should receive the ETH.",
    });
  }
  const amountWei = await getHubBalance(client, account);
  if (amountWei === 0n) return { account, to, amountWei };
  const { event: withdrawn, transaction } = await sendHubTransaction(
    client,
    "withdrawBalance",
    () => client.hub.connect(signer).withdraw(to),
    "Withdrawn",
  );
  return {
    account,
    to,
    amountWei: (withdrawn?.args.amountWei as bigint | undefined) ?? amountWei,
    transaction,
  };
}

/**
 * Sends one transaction to the hub, waits for it and returns the hub event `eventName` it
 * emitted (null if none), with what the transaction cost; any failure comes back explained.
 */
async function sendHubTransaction(
  client: VerityClient,
  action: string,
  send: () => Promise<ContractTransactionResponse>,
  eventName: string,
): Promise<{ event: LogDescription | null; transaction: TransactionRef }> {
  try {
    const tx = await send();
    const receipt = await tx.wait();
    const event =
      receipt!.logs
        .map((log) => parseHubLog(client, log))
        .find((parsed) => parsed?.name === eventName) ?? null;
    return {
      event,
      transaction: {
        transactionHash: tx.hash,
        blockNumber: receipt!.blockNumber,
        gasUsed: receipt!.gasUsed,
      },
    };
  } catch (error) {
    throw toVerityError(error, { action, rpcUrl: client.rpcUrl, account: client.account });
  }
}

function parseHubLog(client: VerityClient, log: Log) {
  if (log.address.toLowerCase() !== client.addresses.inferenceHub.toLowerCase()) return null;
  try {
    return client.hub.interface.parseLog(log);
  } catch {
    return null;
  }
}

// ------------------------------------------------------------------------------------- models

/** The largest fee the registry stores (a uint64 of wei, about 18.4 ETH). */
const MAX_FEE_WEI = 2n ** 64n - 1n;

export interface SetModelFeeParameters {
  modelId: string;
  /** The new fee per inference, in wei; requests made from now on pay it. */
  feeWei: bigint;
}

export interface ModelUpdateReturnType {
  /** The model as the registry holds it after the change. */
  model: ModelInfo;
  transactionHash: string;
  blockNumber: number;
  gasUsed: bigint;
}

/**
 * Sets the fee a model's owner earns per inference (owner only). Requests already made keep the
 * fee they paid.
 *
 * @throws ContractRevertError `NotModelOwner` from any other account, `ModelNotFound`;
 * InvalidInputError for a fee the registry cannot store.
 * @example
 * await setModelFee(client, { modelId, feeWei: parseEther("0.002") });
 */
export async function setModelFee(
  client: VerityClient,
  parameters: SetModelFeeParameters,
): Promise<ModelUpdateReturnType> {
  const signer = requireSigner(client, "setModelFee");
  const { modelId, feeWei } = parameters;
  if (feeWei < 0n || feeWei > MAX_FEE_WEI) {
    throw new InvalidInputError(`a fee of ${feeWei} wei is outside 0 .. ${MAX_FEE_WEI} wei`, {
      fix: "choose a fee of at most about 18.4 ETH (the registry stores it as a uint64 of wei).",
    });
  }
  return updateModel(client, "setModelFee", modelId, () =>
    client.modelRegistry.connect(signer).setFee(modelId, feeWei),
  );
}

/**
 * Deprecates a model (owner only): new requests for it are refused; requests already made still
 * settle. It cannot be undone: register a new version to serve the model again.
 *
 * @throws ContractRevertError `NotModelOwner` from any other account, `ModelNotActive` when it is
 * deprecated already.
 * @example
 * await deprecateModel(client, { modelId });
 */
export async function deprecateModel(
  client: VerityClient,
  parameters: { modelId: string },
): Promise<ModelUpdateReturnType> {
  const signer = requireSigner(client, "deprecateModel");
  const { modelId } = parameters;
  const before = await getModel(client, modelId);
  if (before.status !== enumName(ModelStatus, ModelStatus.Active)) {
    throw new ModelAlreadyDeprecatedError(modelId, before.status);
  }
  return updateModel(client, "deprecateModel", modelId, () =>
    client.modelRegistry.connect(signer).deprecate(modelId),
  );
}

async function updateModel(
  client: VerityClient,
  action: string,
  modelId: string,
  send: () => Promise<{ hash: string; wait(): Promise<unknown> }>,
): Promise<ModelUpdateReturnType> {
  await getModel(client, modelId); // ModelNotFoundError before paying for a transaction
  try {
    const tx = await send();
    const receipt = (await tx.wait()) as { blockNumber: number; gasUsed: bigint };
    return {
      model: await getModel(client, modelId),
      transactionHash: tx.hash,
      blockNumber: receipt.blockNumber,
      gasUsed: receipt.gasUsed,
    };
  } catch (error) {
    throw toVerityError(error, { action, rpcUrl: client.rpcUrl, account: client.account });
  }
}

// ------------------------------------------------------------------------------------- helpers

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
