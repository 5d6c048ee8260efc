import { parseEther } from "ethers";
import {
  BaseError,
  challengeResult,
  deprecateModel,
  getChallengeTerms,
  getDispute,
  getModel,
  isoTime,
  refundRequest,
  setModelFee,
  withdrawBalance,
  type DisputeInfo,
} from "@verity/sdk";
import { reExecute, resolveModelId, withClient, type CommandContext } from "./commands.js";
import { EXIT, UsageError, eth, modelLabel, short, table, type ExitCode } from "./output.js";

/** The result re-ran to the output already accepted: challenging it would only lose the bond. */
export class NothingToChallengeError extends BaseError {
  override name = "NothingToChallengeError";
  constructor(problem: string, fix: string) {
    super(problem, { fix });
  }
}

/** `--bond 0.1`, `model fee <model> 0.002`: an amount of ether, as wei. */
export function etherOf(flag: string, value: string): bigint {
  try {
    const wei = parseEther(value);
    if (wei < 0n) throw new Error("negative");
    return wei;
  } catch {
    throw new UsageError(
      `${flag} must be an amount of ether, got "${value}"`,
      "write it in ether with a dot for decimals, e.g. 0.1.",
    );
  }
}

// ------------------------------------------------------------------------------------- challenge

/** `verity challenge <requestId> [--bond <ether>]` */
export async function challenge(
  context: CommandContext,
  options: { requestId: bigint; bondWei?: bigint },
): Promise<ExitCode> {
  const { requestId } = options;
  return withClient(context, async (client) => {
    // Checked before re-running the model, which takes a while: a final result is not challengeable.
    const terms = await getChallengeTerms(client, requestId);
    context.out.progress(
      `re-running request ${requestId}'s model locally to find the output it should have given`,
    );
    const receipt = await reExecute(client, requestId);
    const localHash = receipt.output.localHash;
    if (localHash === undefined) {
      throw new NothingToChallengeError(
        `Could not re-run request ${requestId}'s model here: ${receipt.summary}`,
        "fix what `verity verify` reports, then challenge again: a challenge needs the right output's hash.",
      );
    }
    if (receipt.output.matches) {
      throw new NothingToChallengeError(
        `Request ${requestId}'s result is the model's output on its input: nothing to challenge.`,
        "nothing to do: a challenge of a right result loses its bond to the worker.",
      );
    }
    const bondWei = options.bondWei ?? terms.bondWei;
    context.out.progress(
      `challenging with a bond of ${eth(bondWei)}${options.bondWei === undefined ? " (the hub's required bond)" : ""}`,
    );
    const sent = await challengeResult(client, {
      requestId,
      claimedOutputHash: localHash,
      bondWei,
    });
    const human = [
      `challenged request ${requestId}'s result (worker ${sent.worker}) with a bond of ${eth(bondWei)}`,
      `claimed output ${localHash} (re-executed here: [${receipt.output.localValues?.join(", ") ?? "?"}])`,
      `submitted output ${terms.submission.outputHash} (worker's: [${receipt.output.onChainValues?.join(", ") ?? "?"}])`,
      `dispute open: a ZK proof or a jury (the DisputeResolver) decides it; undecided, it times out at ${isoTime(sent.timesOutAt)}`,
      `follow it with \`verity dispute ${requestId}\``,
      `transaction ${sent.transactionHash} (gas ${sent.gasUsed})`,
    ].join("\n");
    context.out.result(human, {
      ...sent,
      submittedOutputHash: terms.submission.outputHash,
      windowEndsAt: terms.windowEndsAt,
    });
    return EXIT.ok;
  });
}

// ------------------------------------------------------------------------------------- dispute

/** `verity dispute <requestId>` */
export async function dispute(context: CommandContext, requestId: bigint): Promise<ExitCode> {
  return withClient(context, async (client) => {
    const found = await getDispute(client, { requestId });
    context.out.result(describeDispute(found), found);
    return EXIT.ok;
  });
}

function describeDispute(found: DisputeInfo): string {
  const rows: string[][] = [["status", `${found.status} (${found.proofMode})`]];
  if (found.submission) {
    rows.push([
      "result",
      `worker ${found.submission.worker}, output ${short(found.submission.outputHash)}`,
    ]);
  }
  if (found.challengeWindowEndsAt !== undefined) {
    rows.push(["window", `challenges accepted until ${isoTime(found.challengeWindowEndsAt)}`]);
  }
  if (!found.challenge) {
    rows.push([
      "challenged",
      found.status === "Submitted"
        ? `no (challenge it with \`verity challenge ${found.requestId}\` before the window ends)`
        : "no",
    ]);
    return [`request ${found.requestId}: not challenged`, table(rows)].join("\n");
  }
  const { challenge } = found;
  rows.push(
    ["challenged", `by ${challenge.challenger} at ${isoTime(challenge.challengedAt)}`],
    ["bond", eth(challenge.bondWei)],
    ["claims", `output ${challenge.claimedOutputHash}`],
  );
  if (found.jury) {
    const jury = found.jury;
    rows.push([
      "jury",
      `${jury.status}: ${jury.committed}/${jury.seats} seats committed, ${jury.revealed} revealed, ` +
        `${jury.quorum} matching reveals decide; commits until ${isoTime(jury.commitEndsAt)}, ` +
        `reveals until ${isoTime(jury.revealEndsAt)} (escalated by ${jury.escalatedBy})`,
    ]);
  } else if (!found.outcome) {
    rows.push([
      "jury",
      found.resolver
        ? `not escalated: anyone may send it to a jury at the DisputeResolver ${found.resolver} (escalate, paying the juror fee), or prove the output if the model has a ZK verifier`
        : "no DisputeResolver holds the hub's role: only the timeout can end it",
    ]);
  }
  if (found.outcome) {
    const { outcome } = found;
    const by =
      outcome.decidedBy === "timeout" ? "nobody decided in time" : `by ${outcome.decidedBy}`;
    rows.push([
      "outcome",
      outcome.kind === "challenger-won"
        ? `the challenger won (${by}): worker slashed ${eth(outcome.slashedWei ?? 0n)}, requester refunded, bond returned with a share of the slash`
        : outcome.kind === "worker-won"
          ? `the result stood (${by}): it settled and the bond went to the worker`
          : `expired (${by}): requester refunded, bond returned to the challenger`,
    ]);
    rows.push(["closed in", `transaction ${outcome.transaction.transactionHash}`]);
  } else if (found.timesOutAt !== undefined) {
    rows.push([
      "times out",
      found.timedOut
        ? `${isoTime(found.timesOutAt)}, passed: anyone may expire it (expireChallenge): requester refunded, bond returned`
        : `${isoTime(found.timesOutAt)} if undecided (then the requester is refunded and the bond returned)`,
    ]);
  }
  const state = found.outcome ? "decided" : "open";
  return [`request ${found.requestId}: challenged, dispute ${state}`, table(rows)].join("\n");
}

// ------------------------------------------------------------------------------------- refund

/** `verity refund <requestId>` */
export async function refund(context: CommandContext, requestId: bigint): Promise<ExitCode> {
  return withClient(context, async (client) => {
    const done = await refundRequest(client, { requestId });
    const tx = done.transaction;
    const lines = [
      `refunded request ${requestId}: the hub credited ${eth(done.refundedWei)} to its requester ${done.requester}`,
      done.requester.toLowerCase() === client.account?.toLowerCase()
        ? "that is you: take it out with `verity withdraw` (or `--to <address>`)"
        : "the requester takes it out with `verity withdraw`; a consumer contract, through its own function that calls _withdrawRefunds (docs/consumers.md)",
    ];
    if (done.callbackFeeWei > 0n) {
      lines.push(
        `its callback ran (${done.callbackResult}); you earned its fee of ${eth(done.callbackFeeWei)}, credited in the hub`,
      );
    }
    lines.push(`transaction ${tx.transactionHash} (gas ${tx.gasUsed})`);
    context.out.result(lines.join("\n"), done);
    return EXIT.ok;
  });
}

// ------------------------------------------------------------------------------------- withdraw

/** `verity withdraw [--to <address>]` */
export async function withdraw(
  context: CommandContext,
  options: { to?: string },
): Promise<ExitCode> {
  return withClient(context, async (client) => {
    const paid = await withdrawBalance(client, { to: options.to });
    if (paid.amountWei === 0n) {
      context.out.result(
        `nothing to withdraw: the hub holds 0 ETH for ${paid.account} (no transaction sent)`,
        paid,
      );
      return EXIT.ok;
    }
    const tx = paid.transaction!;
    context.out.result(
      `withdrew ${eth(paid.amountWei)} from the hub for ${paid.account} to ${paid.to}\n` +
        `transaction ${tx.transactionHash} (gas ${tx.gasUsed})`,
      paid,
    );
    return EXIT.ok;
  });
}

// ------------------------------------------------------------------------------------- models

/** `verity model fee <model> <ether>` */
export async function modelFee(
  context: CommandContext,
  options: { model: string; feeWei: bigint },
): Promise<ExitCode> {
  const modelId = await resolveModelId(options.model);
  return withClient(context, async (client) => {
    const before = await getModel(client, modelId);
    const done = await setModelFee(client, { modelId, feeWei: options.feeWei });
    context.out.result(
      `model ${modelId} (${modelLabel(modelId)}): fee ${eth(done.model.feeWei)} per inference ` +
        `(was ${eth(before.feeWei)}); requests made from now on pay it\n` +
        `transaction ${done.transactionHash} (gas ${done.gasUsed})`,
      { ...done, previousFeeWei: before.feeWei },
    );
    return EXIT.ok;
  });
}

/** `verity model deprecate <model>` */
export async function modelDeprecate(context: CommandContext, model: string): Promise<ExitCode> {
  const modelId = await resolveModelId(model);
  return withClient(context, async (client) => {
    const done = await deprecateModel(client, { modelId });
    context.out.result(
      `model ${modelId} (${modelLabel(modelId)}) is ${done.model.status}: new requests are ` +
        `refused; requests already made still settle\n` +
        `transaction ${done.transactionHash} (gas ${done.gasUsed})`,
      done,
    );
    return EXIT.ok;
  });
}
