import { keccak256 } from "ethers";
import { ProofMode, RequestStatus, type Request, type Submission } from "@verity/contracts";
import type { Logger } from "pino";
import { TOPICS, decodeHubEvent, type RawLog } from "./abi.js";
import { hubInterface } from "./chain.js";
import {
  LogFollower,
  STEP_EVERY_MS,
  describeRoundError,
  findRoundContracts,
  resolverInterface,
  sendStep,
  serves,
  type ChallengeRecord,
  type Duty,
  type DutyParts,
  type RoundContracts,
} from "./quorum.js";
import type { RequestEvent } from "./watcher.js";

/**
 * The watcher role (`watch`): re-runs other workers' ATTESTED results for the models this worker
 * serves while they can still be challenged, and challenges a result its own output disagrees
 * with, posting the hub's bond. Then it sees the dispute through: with a ZK proof at once where
 * the model has a verifier and this worker has its artifacts, otherwise by escalating to a jury
 * (paying the juror fee). It defends its own results the same way when someone else challenges
 * them. An overturned result pays the challenger its bond back plus the slashed stake, so honest
 * operators earn from catching dishonest ones (docs/security.md).
 */

const CHALLENGED_TOPIC = hubInterface.getEvent("ResultChallenged")!.topicHash;
/** ATTESTED requests kept for re-running, at most: the oldest go first. */
const MAX_REMEMBERED = 10_000;
const RETRY_MS = 2_000;
const MAX_ATTEMPTS = 8;

interface Remembered {
  request: Request;
  input: string;
  submission?: Submission;
}

interface WatchTask {
  stage: "check" | "dispute";
  request: Request;
  input: string;
  submission: Submission;
  challenge?: ChallengeRecord;
  attempts: number;
  retryAtMs: number;
  inFlight?: { hash: string; sinceMs: number };
}

export class ResultWatch implements Duty {
  private readonly remembered = new Map<string, Remembered>();
  private readonly tasks = new Map<string, WatchTask>();
  private readonly log: Logger;
  private idleUntilMs = 0;
  private results: LogFollower | undefined;
  private contracts: RoundContracts | undefined;
  private bondWei: bigint | undefined;

  constructor(private readonly parts: DutyParts) {
    this.log = parts.logger.child({ module: "watch" });
  }

  admit({ request, input }: RequestEvent): void {
    if (request.proofMode !== ProofMode.ATTESTED || !serves(this.parts.config, request.modelId))
      return;
    this.remembered.set(String(request.id), { request, input });
    if (this.remembered.size > MAX_REMEMBERED) {
      this.remembered.delete(this.remembered.keys().next().value!);
    }
  }

  async tick(nowSeconds: number): Promise<void> {
    if (Date.now() < this.idleUntilMs) return;
    try {
      this.contracts ??= await findRoundContracts(
        this.parts.config,
        this.parts.rpc,
        this.parts.reader,
        this.parts.chainId,
      );
      this.results ??= LogFollower.of(this.parts, this.parts.reader.hub, [
        TOPICS.ResultSubmitted,
        CHALLENGED_TOPIC,
      ]);
      for (const log of await this.results.poll()) await this.onLog(log, nowSeconds);
      for (const [key, task] of [...this.tasks]) {
        try {
          // A log may have replaced the task meanwhile (a challenge became a dispute): keep that.
          if ((await this.step(task, nowSeconds)) && this.tasks.get(key) === task) {
            this.tasks.delete(key);
          }
        } catch (error) {
          task.retryAtMs = Date.now() + RETRY_MS;
          this.log.warn(
            { requestId: String(task.request.id), err: describeRoundError(error) },
            "watch step failed; will retry",
          );
        }
      }
    } catch (error) {
      // A node that cannot answer (or a hub without the contracts) is not asked again at once.
      this.idleUntilMs = Date.now() + 10_000;
      this.log.warn({ err: describeRoundError(error) }, "watch duty failed; will retry");
    }
  }

  private async onLog(log: RawLog, now: number): Promise<void> {
    const me = this.parts.address.toLowerCase();
    if (log.topics[0] === TOPICS.ResultSubmitted) {
      const event = decodeHubEvent(log);
      if (event?.name !== "ResultSubmitted") return;
      const known = this.remembered.get(String(event.requestId));
      // Settled at once (no window), or a request this worker does not serve.
      if (!known || Number(event.finalizableAt) <= now) return;
      known.submission = {
        worker: event.worker,
        outputHash: event.outputHash,
        environmentId: event.environmentId,
        finalizableAt: event.finalizableAt,
      };
      if (event.worker.toLowerCase() === me) return;
      this.tasks.set(String(event.requestId), {
        stage: "check",
        request: known.request,
        input: known.input,
        submission: known.submission,
        attempts: 0,
        retryAtMs: 0,
      });
      return;
    }
    // ResultChallenged(requestId, challenger, claimedOutputHash, bondWei)
    const requestId = BigInt(log.topics[1]);
    const challenger = `0x${log.topics[2].slice(26)}`;
    const known = this.remembered.get(String(requestId));
    const submission = known?.submission;
    if (!known || !submission) return;
    const mine = challenger.toLowerCase() === me;
    const against = submission.worker.toLowerCase() === me;
    if (!mine && !against) return;
    const data = log.data;
    const block = await this.parts.rpc.request<{ timestamp: string }>("eth_getBlockByNumber", [
      log.blockNumber,
      false,
    ]);
    this.tasks.set(String(requestId), {
      stage: "dispute",
      request: known.request,
      input: known.input,
      submission,
      challenge: {
        challenger,
        claimedOutputHash: `0x${data.slice(2, 66)}`,
        bondWei: BigInt(`0x${data.slice(66, 130)}`),
        challengedAt: BigInt(block.timestamp),
      },
      attempts: 0,
      retryAtMs: 0,
    });
    this.log.info(
      { requestId: String(requestId), role: mine ? "challenger" : "worker" },
      "result challenged: seeing the dispute through",
    );
  }

  /** One step of a task; true when there is nothing more to do. */
  private async step(task: WatchTask, now: number): Promise<boolean> {
    if (Date.now() < task.retryAtMs) return false;
    task.retryAtMs = Date.now() + STEP_EVERY_MS;
    if (task.inFlight) {
      const receipt = await this.parts.rpc.request<unknown>("eth_getTransactionReceipt", [
        task.inFlight.hash,
      ]);
      if (receipt === null && Date.now() - task.inFlight.sinceMs < 60_000) return false;
      task.inFlight = undefined;
    }
    const { request, submission } = task;
    const status = Number(
      await this.parts.reader.view<bigint>(this.parts.reader.hub, hubInterface, "requestStatus", [
        request.id,
      ]),
    ) as RequestStatus;

    if (task.stage === "check") {
      // Challenged by someone else, finalized, or past the window: nothing for this worker.
      if (status !== RequestStatus.Submitted || now >= Number(submission.finalizableAt))
        return true;
      const output = await this.parts.answer(request.modelId, task.input);
      if (keccak256(output) === submission.outputHash) return true;
      this.bondWei ??= (
        await this.parts.reader.view<{ challengeBondWei: bigint }>(
          this.parts.reader.hub,
          hubInterface,
          "disputeConfig",
        )
      ).challengeBondWei;
      this.log.warn(
        { requestId: String(request.id), worker: submission.worker },
        "result differs from this worker's output: challenging",
      );
      const data = hubInterface.encodeFunctionData("challenge", [
        request,
        submission,
        keccak256(output),
      ]);
      // The ResultChallenged log, once mined, turns this into a dispute task.
      return this.sendOrRetry(task, "challenge", this.parts.reader.hub, data, this.bondWei);
    }

    if (status !== RequestStatus.Challenged) return true;
    // Defend only a result this worker still stands by.
    if (submission.worker.toLowerCase() === this.parts.address.toLowerCase()) {
      const output = await this.parts.answer(request.modelId, task.input);
      if (keccak256(output) !== submission.outputHash) return true;
    }
    const resolver = this.contracts?.resolver;
    if (resolver === undefined) return true;
    // The verifier the request was made with decides it; one bound later has no say.
    if (BigInt(request.zkVerifier) !== 0n) {
      const proved = await this.parts.prove?.(request, task.input, resolver);
      if (proved === undefined) return true; // no artifacts here: someone who has them may prove
      const data = resolverInterface.encodeFunctionData("resolveWithProof", [
        request,
        submission,
        task.challenge!,
        proved.output,
        proved.proof,
      ]);
      return this.sendOrRetry(task, "resolve", resolver, data);
    }
    const round = await this.parts.reader.view<{ status: bigint }>(
      resolver,
      resolverInterface,
      "getRound",
      [request.id],
    );
    if (round.status !== 0n) return true; // already with a jury
    const fee = (
      await this.parts.reader.view<{ jurorFeeWei: bigint }>(resolver, resolverInterface, "config")
    ).jurorFeeWei;
    const data = resolverInterface.encodeFunctionData("escalate", [
      request,
      submission,
      task.challenge!,
    ]);
    this.log.info({ requestId: String(request.id) }, "escalating the dispute to a jury");
    return this.sendOrRetry(task, "escalate", resolver, data, fee);
  }

  /** Sends a step; false (come back) while it is in flight or may yet be accepted. */
  private async sendOrRetry(
    task: WatchTask,
    kind: "challenge" | "escalate" | "resolve",
    to: string,
    data: string,
    value = 0n,
  ): Promise<boolean> {
    const hash = await sendStep(this.parts, this.log, kind, to, data, value);
    if (hash === undefined) {
      task.attempts += 1;
      task.retryAtMs = Date.now() + RETRY_MS * task.attempts;
      return task.attempts >= MAX_ATTEMPTS;
    }
    task.inFlight = { hash, sinceMs: Date.now() };
    this.log.info({ requestId: String(task.request.id), step: kind, hash }, "watch step sent");
    // Once mined, the chain says what comes next (a challenge's log starts the dispute task).
    return false;
  }
}
