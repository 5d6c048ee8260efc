import { readFileSync } from "node:fs";
import { rename, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { AbiCoder, ZeroAddress, keccak256, toBeHex } from "ethers";
import {
  DisputeResolver__factory,
  ProofMode,
  QuorumCoordinator__factory,
  RequestStatus,
  isFailureOutput,
  toRequest,
  type Request,
  type Submission,
} from "@verity/contracts";
import { deployments } from "@verity/contracts/deployments";
import type { Logger } from "pino";
import { TOPICS, decodeRequested, type RawLog } from "./abi.js";
import { describeError, hubInterface, type ChainReader } from "./chain.js";
import type { WorkerConfig } from "./config.js";
import type { SentTx } from "./journal.js";
import type { RpcClient } from "./rpc.js";
import type { TxSender } from "./transactions.js";
import type { RequestEvent } from "./watcher.js";

/**
 * Commit-reveal rounds (docs/protocol.md, "QUORUM" and "Challenges and disputes"): this worker
 * answers QUORUM requests for the models it serves through the hub's QuorumCoordinator, and sits
 * on the juries of disputes the DisputeResolver escalates (unless it is a party). Both contracts
 * share one round API: commit to `keccak256(output)` with a salt, reveal once commits are closed,
 * close when the reveal phase is over.
 *
 * What to do next is always read from the chain (the round, this worker's seat), so a restart or a
 * lost transaction only means doing the next step again; simulation refuses a step already taken.
 * Salts are derived from the worker's key, outputs recomputed from the model, and the open tasks
 * kept in `<dataDir>/rounds.json`, so a worker killed between commit and reveal still reveals.
 */

/** Work a worker does beside answering requests: it sees every request and runs on every tick. */
export interface Duty {
  admit(event: RequestEvent): void;
  /** `nowSeconds`: chain time. Never throws: failures are logged and retried. */
  tick(nowSeconds: number): Promise<void>;
}

/** What the duties need from the worker. */
export interface DutyParts {
  config: WorkerConfig;
  rpc: RpcClient;
  reader: ChainReader;
  tx: TxSender;
  address: string;
  chainId: bigint;
  logger: Logger;
  /** The output this worker gives for `input` (hex tensor), as it answers requests; for an input
   * the model cannot take, the failure output (`failureOutput`) a report of it stands for. */
  answer(modelId: string, input: string): Promise<string>;
  /** A ZK proof of the model's output, bound to `caller` (the contract that verifies it); absent
   * without ZK artifacts, or undefined for a model that has none. */
  prove?(
    request: Request,
    input: string,
    caller: string,
  ): Promise<{ output: string; proof: string } | undefined>;
}

/** A dispute as the hub holds it: what the resolver and the hub take back. */
export interface ChallengeRecord {
  challenger: string;
  bondWei: bigint;
  claimedOutputHash: string;
  challengedAt: bigint;
}

export const coordinatorInterface = QuorumCoordinator__factory.createInterface();
export const resolverInterface = DisputeResolver__factory.createInterface();

const abi = AbiCoder.defaultAbiCoder();
const ROUND = { None: 0, Open: 1, Decided: 2, Closed: 3 } as const;
const SEAT = { Empty: 0n, Committed: 1n, Revealed: 2n } as const;
/** A sent step not seen mined after this long is looked at again from the chain. */
const IN_FLIGHT_TIMEOUT_MS = 60_000;
/** Refused simulations of one task before it is given up. */
const MAX_REFUSALS = 8;
const DISPUTE_RESOLVER_ROLE = keccak256(Buffer.from("DISPUTE_RESOLVER_ROLE"));
/** New logs are looked for at most this often: rounds and windows last minutes, and the tick
 * that answers requests must stay cheap. */
export const FOLLOW_EVERY_MS = 1_000;
/** A task's round is read at most this often. */
export const STEP_EVERY_MS = 250;

interface RoundTask {
  kind: "quorum" | "jury";
  request: Request;
  input: string;
  submission?: Submission;
  challenge?: ChallengeRecord;
  /** This worker's answer, once computed (recomputed after a restart). */
  output?: string;
  inFlight?: { hash: string; sinceMs: number };
  refusals: number;
  retryAtMs: number;
}

interface RoundView {
  commitEndsAt: bigint;
  revealEndsAt: bigint;
  quorum: bigint;
  seats: bigint;
  committed: bigint;
  revealed: bigint;
  status: bigint;
}

/** The hub's QUORUM coordinator and dispute resolver, found once. */
export interface RoundContracts {
  coordinator?: string;
  resolver?: string;
}

/**
 * Finds the coordinator (the hub's verifier for QUORUM) and the resolver (`disputeResolverAddress`,
 * else the Ignition deployment's, else the account the hub last granted DISPUTE_RESOLVER_ROLE that
 * still holds it).
 */
export async function findRoundContracts(
  config: WorkerConfig,
  rpc: RpcClient,
  reader: ChainReader,
  chainId: bigint,
): Promise<RoundContracts> {
  const coordinator = await reader.view<string>(reader.hub, hubInterface, "proofVerifier", [
    ProofMode.QUORUM,
  ]);
  let resolver = config.disputeResolverAddress;
  if (resolver === undefined) {
    try {
      const recorded = deployments(chainId);
      if (recorded.inferenceHub.toLowerCase() === reader.hub.toLowerCase()) {
        resolver = recorded.disputeResolver;
      }
    } catch {
      // no deployment recorded for this chain: ask the hub's role events
    }
  }
  if (resolver === undefined) {
    const granted = await rpc.request<RawLog[]>("eth_getLogs", [
      {
        address: reader.hub,
        topics: [hubInterface.getEvent("RoleGranted")!.topicHash, DISPUTE_RESOLVER_ROLE],
        fromBlock: "0x0",
        toBlock: "latest",
      },
    ]);
    for (const log of granted.reverse()) {
      const account = `0x${log.topics[2].slice(26)}`;
      const holds = await reader.view<boolean>(reader.hub, hubInterface, "hasRole", [
        DISPUTE_RESOLVER_ROLE,
        account,
      ]);
      if (holds) {
        resolver = account;
        break;
      }
    }
  }
  return {
    coordinator: coordinator === ZeroAddress ? undefined : coordinator,
    resolver,
  };
}

/**
 * Follows one contract's logs of some topics from about `backfillBlocks` behind head, at most
 * `chunkBlocks` at a time and `confirmations` behind head. Reorganisations are not tracked: what a
 * duty does with a log is checked against the chain again before it acts.
 */
export class LogFollower {
  private next: number | undefined;
  private lastPollMs = 0;

  /** A follower of `address` with the worker's confirmations and log range, from about 1,000
   * blocks back (rounds and challenge windows are far shorter). */
  static of(parts: DutyParts, address: string, topics: string[]): LogFollower {
    return new LogFollower(parts.rpc, address, topics, {
      confirmations: parts.config.confirmations,
      chunkBlocks: parts.config.logChunkBlocks,
      backfillBlocks: 1_000,
    });
  }

  constructor(
    private readonly rpc: RpcClient,
    private readonly address: string,
    private readonly topics: string[],
    private readonly options: {
      confirmations: number;
      chunkBlocks: number;
      backfillBlocks: number;
    },
  ) {}

  async poll(): Promise<RawLog[]> {
    if (Date.now() - this.lastPollMs < FOLLOW_EVERY_MS) return [];
    this.lastPollMs = Date.now();
    const head =
      Number(await this.rpc.request<string>("eth_blockNumber")) - this.options.confirmations;
    this.next ??= Math.max(0, head - this.options.backfillBlocks);
    if (this.next > head) return [];
    const to = Math.min(head, this.next + this.options.chunkBlocks - 1);
    const logs = await this.rpc.request<RawLog[]>("eth_getLogs", [
      {
        address: this.address,
        topics: [this.topics],
        fromBlock: toBeHex(this.next),
        toBlock: toBeHex(to),
      },
    ]);
    this.next = to + 1;
    return logs.filter((log) => !log.removed);
  }
}

/** The request and input of `requestId`, from its `InferenceRequested` event. */
export async function requestedEvent(
  rpc: RpcClient,
  hub: string,
  requestId: bigint,
): Promise<{ request: Request; input: string } | undefined> {
  const [log] = await rpc.request<RawLog[]>("eth_getLogs", [
    {
      address: hub,
      topics: [TOPICS.InferenceRequested, toBeHex(requestId, 32)],
      fromBlock: "0x0",
      toBlock: "latest",
    },
  ]);
  return log === undefined ? undefined : decodeRequested(log);
}

/**
 * Sends one step of a task: simulates it first (a refused step is counted and retried later),
 * then sends it through the worker's transaction sender (shared nonces and journal). Returns the
 * hash, or undefined when refused.
 */
export async function sendStep(
  parts: DutyParts,
  log: Logger,
  kind: SentTx["kind"],
  to: string,
  data: string,
  value = 0n,
): Promise<string | undefined> {
  let gasLimit: bigint;
  try {
    gasLimit = await parts.tx.estimateGas(to, data, value);
  } catch (error) {
    log.debug({ kind, err: describeRoundError(error) }, "step refused in simulation");
    return undefined;
  }
  const sent = await parts.tx.send(kind, to, data, gasLimit, [], undefined, value);
  return sent.hash;
}

/** A revert decoded against the coordinator's, the resolver's and the hub's errors. */
export function describeRoundError(error: unknown): string {
  const data = (error as { data?: string } | undefined)?.data;
  if (typeof data === "string") {
    for (const iface of [coordinatorInterface, resolverInterface]) {
      try {
        const parsed = iface.parseError(data);
        if (parsed) return `${parsed.name}(${parsed.args.map(String).join(", ")})`;
      } catch {
        // not this contract's error
      }
    }
  }
  return describeError(error);
}

/** Takes part in QUORUM rounds and dispute juries. */
export class RoundParticipant implements Duty {
  private readonly tasks = new Map<string, RoundTask>();
  private readonly log: Logger;
  private idleUntilMs = 0;
  private readonly file: string;
  private contracts: RoundContracts | undefined;
  private escalations: LogFollower | undefined;
  private dirty = false;

  constructor(private readonly parts: DutyParts) {
    this.log = parts.logger.child({ module: "quorum" });
    this.file = join(parts.config.dataDir, "rounds.json");
    for (const task of loadTasks(this.file)) this.tasks.set(taskKey(task), task);
  }

  admit({ request, input }: RequestEvent): void {
    if (request.proofMode !== ProofMode.QUORUM || !serves(this.parts.config, request.modelId))
      return;
    this.add({ kind: "quorum", request, input, refusals: 0, retryAtMs: 0 });
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
      await this.followEscalations();
      for (const task of [...this.tasks.values()]) {
        try {
          await this.step(task, nowSeconds);
        } catch (error) {
          task.retryAtMs = Date.now() + 2_000;
          this.log.warn(
            { requestId: String(task.request.id), err: describeRoundError(error) },
            "round step failed; will retry",
          );
        }
      }
      if (this.dirty) await this.persist();
    } catch (error) {
      // A node that cannot answer (or a hub without the contracts) is not asked again at once.
      this.idleUntilMs = Date.now() + 10_000;
      this.log.warn({ err: describeRoundError(error) }, "quorum duty failed; will retry");
    }
  }

  private add(task: RoundTask): void {
    const key = taskKey(task);
    if (this.tasks.has(key)) return;
    this.tasks.set(key, task);
    this.dirty = true;
  }

  private drop(task: RoundTask, why: string): void {
    this.tasks.delete(taskKey(task));
    this.dirty = true;
    this.log.debug({ requestId: String(task.request.id), kind: task.kind, why }, "round task done");
  }

  /** Disputes sent to a jury: sit on it unless a party, for the models this worker serves. */
  private async followEscalations(): Promise<void> {
    const resolver = this.contracts?.resolver;
    if (resolver === undefined) return;
    this.escalations ??= LogFollower.of(this.parts, resolver, [
      resolverInterface.getEvent("DisputeEscalated")!.topicHash,
    ]);
    for (const raw of await this.escalations.poll()) {
      const parsed = resolverInterface.parseLog(raw);
      if (!parsed) continue;
      const request = toRequest(parsed.args.request);
      const submission: Submission = {
        worker: parsed.args.submission.worker,
        outputHash: parsed.args.submission.outputHash,
        environmentId: parsed.args.submission.environmentId,
        finalizableAt: parsed.args.submission.finalizableAt,
      };
      const challenge: ChallengeRecord = {
        challenger: parsed.args.challenge.challenger,
        bondWei: parsed.args.challenge.bondWei,
        claimedOutputHash: parsed.args.challenge.claimedOutputHash,
        challengedAt: parsed.args.challenge.challengedAt,
      };
      const me = this.parts.address.toLowerCase();
      if (submission.worker.toLowerCase() === me || challenge.challenger.toLowerCase() === me)
        continue;
      if (!serves(this.parts.config, request.modelId)) continue;
      const requested = await requestedEvent(this.parts.rpc, this.parts.reader.hub, request.id);
      if (!requested) continue;
      this.log.info({ requestId: String(request.id) }, "dispute escalated: sitting on its jury");
      this.add({
        kind: "jury",
        request,
        input: requested.input,
        submission,
        challenge,
        refusals: 0,
        retryAtMs: 0,
      });
    }
  }

  /** The next step of one round, from the chain's view of it. */
  private async step(task: RoundTask, now: number): Promise<void> {
    if (Date.now() < task.retryAtMs) return;
    task.retryAtMs = Date.now() + STEP_EVERY_MS;
    if (task.inFlight && !(await this.landed(task))) return;
    const contract =
      task.kind === "quorum" ? this.contracts?.coordinator : this.contracts?.resolver;
    if (contract === undefined) return this.drop(task, "no contract for this kind of round");
    const iface = task.kind === "quorum" ? coordinatorInterface : resolverInterface;
    const id = task.request.id;
    const reader = this.parts.reader;
    const [round, seat] = await Promise.all([
      reader.view<RoundView>(contract, iface, "getRound", [id]),
      reader.view<string>(contract, iface, "seatOf", [id, this.parts.address]),
    ]);
    const status = Number(round.status);
    if (status === ROUND.Closed) return this.afterClose(task, now);
    const seatState = BigInt(seat) & 0xffn;
    const salt = this.salt(contract, id);

    if (seatState === SEAT.Empty) {
      const canOpen = task.kind === "quorum" && status === ROUND.None;
      const seatFree =
        status === ROUND.Open && round.committed < round.seats && now < Number(round.commitEndsAt);
      if (!canOpen && !seatFree) {
        // A jury round opens with the escalation; until then there is nothing to take.
        if (task.kind === "jury" && status === ROUND.None) return;
        return this.drop(task, "no seat to take");
      }
      const output = await this.output(task);
      if (output === undefined) return this.drop(task, "the input does not fit the model");
      const commitment = await reader.view<string>(contract, iface, "commitmentOf", [
        id,
        this.parts.address,
        keccak256(output),
        salt,
      ]);
      const data =
        task.kind === "quorum"
          ? coordinatorInterface.encodeFunctionData("commit", [task.request, commitment])
          : resolverInterface.encodeFunctionData("commit", [id, commitment]);
      return this.send(task, "commit", contract, data);
    }

    if (seatState === SEAT.Committed && now <= Number(round.revealEndsAt)) {
      if (now < Number(round.commitEndsAt)) return; // commits still open: wait
      const output = await this.output(task);
      if (output === undefined) return this.drop(task, "cannot recompute the committed output");
      const data =
        task.kind === "quorum"
          ? coordinatorInterface.encodeFunctionData("reveal", [task.request, output, salt])
          : resolverInterface.encodeFunctionData("reveal", [
              task.request,
              task.submission!,
              task.challenge!,
              output,
              salt,
            ]);
      return this.send(task, "reveal", contract, data);
    }

    // Revealed (or too late to): the round pays once it closes, which the last reveal does or
    // anyone may once the reveal phase is over.
    if (now > Number(round.revealEndsAt)) {
      return this.send(task, "close", contract, iface.encodeFunctionData("close", [id]));
    }
  }

  /**
   * A closed QUORUM round that did not settle its request leaves it to be refunded once the
   * deadline passes: this worker does it, as it refunds requests it could not serve.
   */
  private async afterClose(task: RoundTask, now: number): Promise<void> {
    if (task.kind !== "quorum" || !this.parts.config.refundExpired) {
      return this.drop(task, "round closed");
    }
    const hub = this.parts.reader.hub;
    const status = await this.parts.reader.view<bigint>(hub, hubInterface, "requestStatus", [
      task.request.id,
    ]);
    if (Number(status) !== RequestStatus.Pending) return this.drop(task, "round closed");
    if (now <= Number(task.request.deadline)) return; // the hub refunds only after the deadline
    await this.send(task, "refund", hub, hubInterface.encodeFunctionData("refund", [task.request]));
  }

  /**
   * What this worker reveals. A juror who cannot run the request reveals the failure output the
   * disputed report stands for; a QUORUM round decides results only, so there it takes no seat.
   */
  private async output(task: RoundTask): Promise<string | undefined> {
    task.output ??= await this.parts.answer(task.request.modelId, task.input);
    if (task.kind === "quorum" && isFailureOutput(task.output)) return undefined;
    return task.output;
  }

  private async send(
    task: RoundTask,
    kind: SentTx["kind"],
    to: string,
    data: string,
  ): Promise<void> {
    const hash = await sendStep(this.parts, this.log, kind, to, data);
    if (hash === undefined) {
      task.refusals += 1;
      task.retryAtMs = Date.now() + 1_000 * task.refusals;
      if (task.refusals >= MAX_REFUSALS) this.drop(task, `${kind} keeps being refused`);
      return;
    }
    task.refusals = 0;
    task.inFlight = { hash, sinceMs: Date.now() };
    this.log.info(
      { requestId: String(task.request.id), kind: task.kind, step: kind, hash },
      "round step sent",
    );
  }

  /** Whether the task's last transaction is mined (or has waited too long to keep waiting). */
  private async landed(task: RoundTask): Promise<boolean> {
    const receipt = await this.parts.rpc.request<{ status: string } | null>(
      "eth_getTransactionReceipt",
      [task.inFlight!.hash],
    );
    if (receipt === null && Date.now() - task.inFlight!.sinceMs < IN_FLIGHT_TIMEOUT_MS)
      return false;
    if (receipt !== null && receipt.status !== "0x1") {
      this.log.warn(
        { requestId: String(task.request.id), hash: task.inFlight!.hash },
        "round step reverted",
      );
    }
    task.inFlight = undefined;
    return true;
  }

  /** A salt only this worker can derive, different for every round of every contract. */
  private salt(contract: string, roundId: bigint): string {
    return keccak256(
      abi.encode(
        ["string", "bytes32", "address", "uint256"],
        ["verity round salt", this.parts.config.privateKey, contract, roundId],
      ),
    );
  }

  private async persist(): Promise<void> {
    this.dirty = false;
    const tasks = [...this.tasks.values()].map(
      ({ output: _output, inFlight: _inFlight, ...task }) => task,
    );
    const temporary = `${this.file}.tmp`;
    await writeFile(
      temporary,
      JSON.stringify(tasks, (_, v) => (typeof v === "bigint" ? `${v}n` : v)),
    );
    await rename(temporary, this.file);
  }
}

function taskKey(task: { kind: string; request: Request }): string {
  return `${task.kind}:${task.request.id}`;
}

/** Whether the worker serves this model (the `models` setting; empty: all). */
export function serves(config: WorkerConfig, modelId: string): boolean {
  return (
    config.models.length === 0 ||
    config.models.some((id) => id.toLowerCase() === modelId.toLowerCase())
  );
}

function loadTasks(file: string): RoundTask[] {
  let text: string;
  try {
    text = readFileSync(file, "utf8");
  } catch {
    return [];
  }
  const revived = JSON.parse(text, (_, v) =>
    typeof v === "string" && /^\d+n$/.test(v) ? BigInt(v.slice(0, -1)) : v,
  ) as RoundTask[];
  return revived.map((task) => ({ ...task, refusals: 0, retryAtMs: 0 }));
}
