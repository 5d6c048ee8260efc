import type { Log, LogDescription } from "ethers";
import { CallbackResult, RequestStatus, enumName } from "@verity/contracts";
import { describeFailureReason, listModels, type ModelInfo, type VerityClient } from "@verity/sdk";
import { clock, eth } from "./format.js";

/**
 * The explorer's picture of one Verity deployment, rebuilt from the contracts' events (STYLE.md:
 * "design events so an indexer can rebuild all state from them"). It polls: each tick reads the
 * head, fetches the logs of the hub and both registries since the last block it saw, and folds
 * them in. Block timestamps and gas are fetched only for what is on screen.
 */

/** The lifecycle words a person reads (docs/protocol.md's states). */
export const STATUS_LABELS = [
  "requested",
  "submitted",
  "challenged",
  "settled",
  "failed",
  "refunded",
] as const;
export type StatusLabel = (typeof STATUS_LABELS)[number];

const LABEL_OF_STATUS: Record<number, StatusLabel> = {
  [RequestStatus.Pending]: "requested",
  [RequestStatus.Submitted]: "submitted",
  [RequestStatus.Challenged]: "challenged",
  [RequestStatus.Settled]: "settled",
  [RequestStatus.Refunded]: "refunded",
  [RequestStatus.Failed]: "failed",
};

/** The status word for a hub `RequestStatus` (by name or number). */
export function statusLabel(status: keyof typeof RequestStatus | number): StatusLabel {
  return LABEL_OF_STATUS[typeof status === "number" ? status : RequestStatus[status]];
}

/** Where an event happened. */
export interface EventRef {
  block: number;
  tx: string;
  logIndex: number;
}

/** One line of a request's or a worker's history. */
export interface TimelineEvent extends EventRef {
  name: string;
  detail: string;
}

export interface RequestRow {
  id: bigint;
  modelId: string;
  requester: string;
  proofMode: number;
  assignee: string;
  status: StatusLabel;
  /** The worker whose result was accepted, or who reported the input as invalid. */
  worker?: string;
  requested: EventRef;
  /** What the requester escrowed: the model fee, the worker's reward and the callback fee. */
  escrow: { modelFeeWei: bigint; workerRewardWei: bigint; callbackFeeWei: bigint };
  /** The accepted result. */
  result?: EventRef;
  /** The output bytes of the accepted result (a canonical tensor, or a failure report). */
  output?: string;
  /** Why the worker refused the input, for a failed request. */
  failureReason?: string;
  /** The dispute over the result, if it was challenged. */
  challenge?: Dispute;
  /** Settled, failed or refunded. */
  end?: EventRef;
  events: TimelineEvent[];
}

/** A challenge of one result, and how it ended. */
export interface Dispute {
  challenger: string;
  bondWei: bigint;
  /** Unset while the dispute is open. */
  outcome?: "challenger won" | "worker won" | "expired";
  /** Taken from the worker when the challenger won. */
  slashedWei?: bigint;
}

export interface WorkerRow {
  address: string;
  registered: EventRef;
  events: TimelineEvent[];
  slashes: { amountWei: bigint; recipient: string; ref: EventRef }[];
  /** Read from the WorkerRegistry after its last event. */
  stakeWei?: bigint;
  unbondingWei?: bigint;
  withdrawableAt?: bigint;
  environmentId?: string;
  eligible?: boolean;
  /** Rewards credited in the hub and not yet withdrawn. */
  hubBalanceWei?: bigint;
  /** The ETH in the worker's own account, which pays its gas. */
  accountBalanceWei?: bigint;
}

export interface EnvironmentRow {
  id: string;
  description: string;
  approved: boolean;
}

/** The last tick failed: the page keeps what it has and says why. */
export interface SyncProblem {
  message: string;
  since: number;
}

const LOG_CHUNK_BLOCKS = 5_000;

export class ChainIndex {
  /** Bumped on every change; React reads it through `useSyncExternalStore`. */
  version = 0;
  head = 0;
  models: ModelInfo[] = [];
  requests = new Map<bigint, RequestRow>();
  workers = new Map<string, WorkerRow>();
  environments = new Map<string, EnvironmentRow>();
  problem?: SyncProblem;
  /** Set when the chain went backwards (a devnet restarted on the same port): reconnect. */
  reset = false;

  private scanned: number;
  private listeners = new Set<() => void>();
  private timer?: ReturnType<typeof setTimeout>;
  private stopped = false;
  private timestamps = new Map<number, number>();
  private gas = new Map<string, bigint>();
  private fetching = new Set<string>();

  constructor(
    readonly client: VerityClient,
    readonly pollIntervalMs: number,
  ) {
    this.scanned = client.fromBlock - 1;
  }

  subscribe = (listener: () => void): (() => void) => {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  };

  getVersion = (): number => this.version;

  /** Reads everything up to the head once (throws if that fails), then follows. */
  async start(): Promise<void> {
    await this.tick();
    this.schedule();
  }

  stop(): void {
    this.stopped = true;
    clearTimeout(this.timer);
    this.client.destroy();
  }

  /** Requests newest first. */
  requestList(): RequestRow[] {
    return [...this.requests.values()].sort((a, b) => (a.id < b.id ? 1 : -1));
  }

  model(modelId: string): ModelInfo | undefined {
    return this.models.find((model) => model.modelId === modelId.toLowerCase());
  }

  /** A block's timestamp (seconds), or undefined while it is being fetched. */
  timestamp(block: number): number | undefined {
    const known = this.timestamps.get(block);
    if (known === undefined) {
      this.fetchOnce(`block:${block}`, async () => {
        const found = await this.client.provider.getBlock(block);
        if (found) this.timestamps.set(block, found.timestamp);
      });
    }
    return known;
  }

  /** A transaction's gas used, or undefined while it is being fetched. */
  gasUsed(tx: string): bigint | undefined {
    const known = this.gas.get(tx);
    if (known === undefined) {
      this.fetchOnce(`tx:${tx}`, async () => {
        const receipt = await this.client.provider.getTransactionReceipt(tx);
        if (receipt) this.gas.set(tx, receipt.gasUsed);
      });
    }
    return known;
  }

  private fetchOnce(key: string, fetch: () => Promise<void>): void {
    if (this.fetching.has(key)) return;
    this.fetching.add(key);
    fetch()
      .then(() => this.changed())
      .catch(() => undefined)
      .finally(() => this.fetching.delete(key));
  }

  private changed(): void {
    this.version++;
    for (const listener of this.listeners) listener();
  }

  private schedule(): void {
    if (this.stopped) return;
    this.timer = setTimeout(async () => {
      try {
        await this.tick();
        if (this.problem) {
          this.problem = undefined;
          this.changed();
        }
      } catch (error) {
        this.problem = {
          message: error instanceof Error ? error.message.split("\n")[0] : String(error),
          since: this.problem?.since ?? Date.now(),
        };
        this.changed();
      }
      if (!this.reset) this.schedule();
    }, this.pollIntervalMs);
  }

  private async tick(): Promise<void> {
    const { client } = this;
    const head = await client.provider.getBlockNumber();
    if (head < this.scanned) {
      this.reset = true;
      this.changed();
      return;
    }
    let registryChanged = this.scanned < client.fromBlock;
    const workersTouched = new Set<string>();
    const addresses = [
      client.addresses.inferenceHub,
      client.addresses.modelRegistry,
      client.addresses.workerRegistry,
    ];
    for (let from = this.scanned + 1; from <= head; from += LOG_CHUNK_BLOCKS) {
      const to = Math.min(head, from + LOG_CHUNK_BLOCKS - 1);
      const logs = await client.provider.getLogs({
        address: addresses,
        fromBlock: from,
        toBlock: to,
      });
      for (const log of logs) {
        const where = log.address.toLowerCase();
        if (where === client.addresses.modelRegistry.toLowerCase()) {
          registryChanged = true;
        } else if (where === client.addresses.workerRegistry.toLowerCase()) {
          const parsed = client.workerRegistry.interface.parseLog(log);
          if (parsed) this.applyWorkerEvent(parsed, log, workersTouched);
        } else {
          const parsed = client.hub.interface.parseLog(log);
          if (parsed) this.applyHubEvent(parsed, log, workersTouched);
        }
      }
    }
    const moved = head !== this.head;
    this.scanned = head;
    this.head = head;
    if (registryChanged) this.models = await listModels(client);
    await this.refreshWorkers(workersTouched);
    if (moved || registryChanged || workersTouched.size > 0) this.changed();
  }

  private applyHubEvent(event: LogDescription, log: Log, touched: Set<string>): void {
    const ref = { block: log.blockNumber, tx: log.transactionHash, logIndex: log.index };
    // Events that move a worker's credited balance in the hub.
    const payee = (event.name === "Withdrawn" ? event.args.account : event.args.worker) as
      string | undefined;
    if (payee !== undefined && this.workers.has(payee.toLowerCase())) {
      touched.add(payee.toLowerCase());
    }
    const id = event.args.requestId as bigint | undefined;
    if (event.name === "InferenceRequested") {
      const request = event.args.request;
      this.requests.set(id!, {
        id: id!,
        modelId: String(request.modelId).toLowerCase(),
        requester: request.requester,
        proofMode: Number(request.proofMode),
        assignee: request.assignee,
        status: "requested",
        requested: ref,
        escrow: {
          modelFeeWei: request.modelFeeWei,
          workerRewardWei: request.workerRewardWei,
          callbackFeeWei: request.callbackFeeWei,
        },
        events: [],
      });
    }
    const row = id === undefined ? undefined : this.requests.get(id);
    if (row === undefined) return; // a hub-wide event, or a request older than fromBlock
    const note = (name: string, detail: string) => row.events.push({ ...ref, name, detail });
    const args = event.args;
    switch (event.name) {
      case "InferenceRequested":
        note("requested", `by ${args.requester}, escrow ${describeEscrow(args.request)}`);
        break;
      case "ResultSubmitted":
        row.status = "submitted";
        row.worker = args.worker;
        row.result = ref;
        row.output = args.output;
        note("result submitted", `by worker ${args.worker}, output hash ${args.outputHash}`);
        break;
      case "ResultSkipped":
        note(
          "result skipped",
          `a later result arrived when it was ${enumName(RequestStatus, args.status)}`,
        );
        break;
      case "ResultChallenged":
        row.status = "challenged";
        row.challenge = { challenger: args.challenger, bondWei: args.bondWei };
        note(
          "challenged",
          `by ${args.challenger}, bond ${eth(args.bondWei)}, claims output ${args.claimedOutputHash}`,
        );
        break;
      case "ChallengeResolved":
        if (row.challenge) {
          row.challenge.outcome = args.challengerWon ? "challenger won" : "worker won";
          row.challenge.slashedWei = args.slashedWei;
        }
        note(
          "challenge resolved",
          args.challengerWon
            ? `the challenger was right; worker slashed ${eth(args.slashedWei)}`
            : "the worker was right",
        );
        break;
      case "ChallengeExpired":
        if (row.challenge) row.challenge.outcome = "expired";
        note("challenge expired", "nobody resolved it in time; the requester is refunded");
        break;
      case "CallbackFailed":
        note("callback failed", `${args.callback}: ${callback(args.result)}`);
        break;
      case "RequestSettled":
        row.status = "settled";
        row.worker = args.worker;
        row.end = ref;
        note("settled", `${describePayment(row, args.worker)}; ${callback(args.callbackResult)}`);
        break;
      case "RequestFailed":
        row.status = "failed";
        row.worker = args.worker;
        row.end = ref;
        row.failureReason = describeFailureReason(Number(args.reason));
        note(
          "failed",
          `worker ${args.worker} refused the input: ${row.failureReason}; requester refunded; ${callback(args.callbackResult)}`,
        );
        break;
      case "RequestRefunded":
        row.status = "refunded";
        row.end = ref;
        note("refunded", `${eth(args.amountWei)} back to ${args.requester}`);
        break;
    }
  }

  private applyWorkerEvent(event: LogDescription, log: Log, touched: Set<string>): void {
    const ref = { block: log.blockNumber, tx: log.transactionHash, logIndex: log.index };
    const args = event.args;
    if (event.name === "EnvironmentApproved") {
      this.environments.set(args.environmentId, {
        id: args.environmentId,
        description: args.description,
        approved: true,
      });
      for (const worker of this.workers.keys()) touched.add(worker);
      return;
    }
    if (event.name === "EnvironmentRevoked") {
      const known = this.environments.get(args.environmentId);
      if (known) known.approved = false;
      for (const worker of this.workers.keys()) touched.add(worker);
      return;
    }
    const address = (args.worker as string | undefined)?.toLowerCase();
    if (address === undefined) return;
    let row = this.workers.get(address);
    if (row === undefined) {
      row = { address: args.worker, registered: ref, events: [], slashes: [] };
      this.workers.set(address, row);
    }
    touched.add(address);
    const note = (name: string, detail: string) => row.events.push({ ...ref, name, detail });
    switch (event.name) {
      case "WorkerRegistered":
        row.registered = ref;
        note("registered", `${eth(args.stakeWei)} staked on environment ${args.environmentId}`);
        break;
      case "StakeAdded":
        note("stake added", `${eth(args.amountWei)}, now ${eth(args.stakeWei)}`);
        break;
      case "EnvironmentChanged":
        note("environment changed", String(args.environmentId));
        break;
      case "UnbondingStarted":
        note(
          "unbonding",
          `${eth(args.amountWei)}, withdrawable at ${clock(Number(args.withdrawableAt))}`,
        );
        break;
      case "StakeWithdrawn":
        note("stake withdrawn", `${eth(args.amountWei)}`);
        break;
      case "WorkerSlashed":
        row.slashes.push({ amountWei: args.amountWei, recipient: args.recipient, ref });
        note("slashed", `${eth(args.amountWei)} to ${args.recipient}`);
        break;
    }
  }

  private async refreshWorkers(touched: Set<string>): Promise<void> {
    await Promise.all(
      [...touched].map(async (address) => {
        const row = this.workers.get(address);
        if (row === undefined) return;
        const registry = this.client.workerRegistry;
        const [worker, eligible, hubBalanceWei, accountBalanceWei] = await Promise.all([
          registry.getWorker(row.address),
          registry.isEligible(row.address),
          this.client.hub.balanceOf(row.address),
          this.client.provider.getBalance(row.address),
        ]);
        row.hubBalanceWei = hubBalanceWei;
        row.accountBalanceWei = accountBalanceWei;
        row.stakeWei = worker.stakeWei;
        row.unbondingWei = worker.unbondingWei;
        row.withdrawableAt = worker.withdrawableAt;
        row.environmentId = worker.environmentId;
        row.eligible = eligible;
      }),
    );
  }
}

function describeEscrow(request: {
  modelFeeWei: bigint;
  workerRewardWei: bigint;
  callbackFeeWei: bigint;
}): string {
  const total = request.modelFeeWei + request.workerRewardWei + request.callbackFeeWei;
  return (
    `${eth(total)} (model fee ${eth(request.modelFeeWei)}, worker reward ` +
    `${eth(request.workerRewardWei)}, callback fee ${eth(request.callbackFeeWei)})`
  );
}

/** Who a settlement credited, and how much: the worker its reward (and a lost challenge bond). */
function describePayment(row: RequestRow, worker: string): string {
  const bondWei = row.challenge?.outcome === "worker won" ? row.challenge.bondWei : 0n;
  const workerWei = row.escrow.workerRewardWei + bondWei;
  return (
    `worker ${worker} credited ${eth(workerWei)}` +
    (bondWei > 0n
      ? ` (reward ${eth(row.escrow.workerRewardWei)} + challenger's bond ${eth(bondWei)})`
      : "") +
    `, model owner credited ${eth(row.escrow.modelFeeWei)}`
  );
}

/** How a consumer callback went, as a phrase: "no callback", "callback succeeded", ... */
function callback(value: bigint): string {
  const name = enumName(CallbackResult, value);
  return name === "None"
    ? "no callback"
    : `callback ${name.replace(/(?<=.)([A-Z])/g, " $1").toLowerCase()}`;
}
