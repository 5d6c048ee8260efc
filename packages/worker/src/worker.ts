import { join } from "node:path";
import type { ZkModelArtifacts, ZkProver } from "@verity/zk";
import {
  failureOutput,
  hubDigests,
  ProofMode,
  RequestStatus,
  enumName,
  encodedTensorLength,
  FailureReason,
  type Request,
} from "@verity/contracts";
import { Wallet, ZeroAddress, getBytes, hexlify } from "ethers";
import type { Logger } from "pino";
import type { ChainReader } from "./chain.js";
import {
  decodeRevert,
  describeError,
  hubInterface,
  pendingCommitment,
  statusOf,
  submittedCommitment,
} from "./chain.js";
import type { WorkerConfig } from "./config.js";
import { startHttpServer, type Health } from "./http.js";
import {
  decodeHubEvent,
  encodeSubmitResult,
  encodeSubmitResults,
  hashRequest,
  type ResultItem,
} from "./abi.js";
import {
  InferenceHostError,
  ModelFetchError,
  ModelStore,
  Runner,
  modelFailureReason,
  currentEnvironment,
  type Environment,
} from "@verity/runtime";
import { Journal, TERMINAL_STAGES, type JournalEntry, type SentTx, type Stage } from "./journal.js";
import { createMetrics, type Metrics } from "./metrics.js";
import { connect, ensureEligible } from "./preflight.js";
import { ModelAnswers } from "./answers.js";
import { keccakHex } from "./keccak.js";
import { classifyFailure, fitsInTransaction, resultGasFloor, type SendFailure } from "./limits.js";
import { RpcClient, sleep } from "./rpc.js";
import { createDigestSigner, type DigestSigner } from "./signer.js";
import { TxSender, type RawReceipt } from "./transactions.js";
import { Watcher, type Head, type RequestEvent } from "./watcher.js";
import { RoundParticipant, type Duty, type DutyParts } from "./quorum.js";
import { ResultWatch } from "./watch.js";

/** A model fetch that failed but may work later is tried this many times before giving up. */
const MAX_SERVE_ATTEMPTS = 5;
/**
 * Requests answered at once. Inference is microseconds and the inference host takes them in order;
 * a slow model download holds only the requests for that model (the store shares one fetch).
 */
const SERVE_CONCURRENCY = 64;
/** How long a graceful stop waits for in-flight transactions to be mined. */
const STOP_GRACE_MS = 5_000;
/**
 * The longest the worker runs its idea of chain time ahead of the newest block it has seen. A
 * chain without a block for a day is not idle but halted, or its node is stuck: past this, the
 * worker waits for a block rather than act on a clock the chain does not follow. A day is the
 * hub's default longest deadline, so on an idle local chain every refund still comes.
 */
const MAX_CHAIN_TIME_AHEAD_S = 24 * 3600;
/** Stand-in for a signature when sizing a result before it is signed: 65 non-zero bytes. */
const SIZING_SIGNATURE = `0x${"ff".repeat(65)}`;

/** What `startWorker` returns: a running worker and how to stop it. */
export interface RunningWorker {
  address: string;
  environment: Environment;
  /** Base URL of /healthz and /metrics, unless the HTTP server is off. */
  httpUrl?: string;
  metrics: Metrics;
  /** Finishes what is in flight (or journals it), then stops. */
  stop(): Promise<void>;
  /** Resolves when the worker has stopped. */
  stopped: Promise<void>;
}

/**
 * Starts a worker: checks the chain and the worker's registration, replays the journal (re-sending
 * journaled transactions, re-checking unfinished requests against the chain), then follows the
 * chain until stopped.
 */
export async function startWorker(config: WorkerConfig, logger: Logger): Promise<RunningWorker> {
  const metrics = createMetrics();
  const rpc = new RpcClient({
    url: config.rpcUrl,
    retries: config.rpcRetries,
    backoffMs: config.rpcBackoffMs,
    logger: logger.child({ module: "rpc" }),
    onError: (method) => metrics.rpcErrors.inc({ method }),
  });
  const wallet = new Wallet(config.privateKey);
  const environment = currentEnvironment();
  logger.info(
    { worker: wallet.address, environment: environment.id, description: environment.description },
    "starting worker",
  );
  const chain = await connect(config, rpc);
  const journal = await Journal.open(config.dataDir);
  const signer = createDigestSigner(config.privateKey);
  const tx = new TxSender(
    rpc,
    { address: wallet.address, signer },
    journal,
    {
      chainId: chain.chainId,
      gasBumpAfterMs: config.gasBumpAfterMs,
      gasBumpPercent: config.gasBumpPercent,
      maxFeePerGasGwei: config.maxFeePerGasGwei,
    },
    metrics,
    logger.child({ module: "tx" }),
  );
  await tx.init();
  await ensureEligible(config, chain, tx, environment, logger.child({ module: "preflight" }));
  const store = new ModelStore({
    cacheDir: join(config.dataDir, "models"),
    ipfsGateway: config.ipfsGateway,
    fetchTimeoutMs: config.modelFetchTimeoutMs,
    maxSessions: config.maxSessions,
    logger: logger.child({ module: "models" }),
  });
  // Load the canonical executor before serving: the first request then runs at once, and a
  // worker whose executor is not the one its environment declares stops here.
  await store.warm();
  const runner = new Runner(store, {
    timeoutMs: config.inferenceTimeoutMs,
    logger: logger.child({ module: "runner" }),
  });
  const answers = new ModelAnswers(runner, chain.reader, { dishonest: config.dishonest });
  const zk = config.zkArtifactsDir === undefined ? undefined : new ZkSupport(config.zkArtifactsDir);
  // Rounds and watching (quorum.ts, watch.ts) run the model and prove as answering does.
  const dutyParts: DutyParts = {
    config,
    rpc,
    reader: chain.reader,
    tx,
    address: wallet.address,
    chainId: chain.chainId,
    logger,
    // An input the model cannot take has an answer too: the failure output a report stands for.
    answer: async (modelId, input) => {
      const { inference } = await answers.answer(modelId, getBytes(input));
      return inference.ok ? hexlify(inference.output) : failureOutput(inference.reason);
    },
    prove:
      zk &&
      ((request, input, caller) =>
        zk.prove(request, input, { worker: wallet.address, chainId: chain.chainId, hub: caller })),
  };
  const duties: Duty[] = [
    ...(config.quorum ? [new RoundParticipant(dutyParts)] : []),
    ...(config.watch ? [new ResultWatch(dutyParts)] : []),
  ];
  const worker = new Worker({
    duties,
    zk,
    config,
    logger,
    metrics,
    rpc,
    reader: chain.reader,
    chainId: chain.chainId,
    address: wallet.address,
    signer,
    environment,
    journal,
    tx,
    answers,
  });
  await worker.recover();
  const http =
    config.httpPort >= 0
      ? await startHttpServer(config.httpHost, config.httpPort, metrics, () => worker.health())
      : undefined;
  const stopped = worker.run().finally(async () => {
    await zk?.close();
    await new Promise((resolve) => (http ? http.server.close(resolve) : resolve(undefined)));
    await store.close();
    await journal.close();
    logger.info("worker stopped");
  });
  if (http) logger.info({ url: http.url }, "serving /healthz and /metrics");
  return {
    address: wallet.address,
    environment,
    httpUrl: http?.url,
    metrics,
    stop: async () => {
      worker.requestStop();
      await stopped;
    },
    stopped,
  };
}

/** What a worker is made of; `startWorker` builds them, tests could swap one. */
interface WorkerParts {
  config: WorkerConfig;
  logger: Logger;
  metrics: Metrics;
  rpc: RpcClient;
  reader: ChainReader;
  chainId: bigint;
  address: string;
  signer: DigestSigner;
  environment: Environment;
  journal: Journal;
  tx: TxSender;
  answers: ModelAnswers;
  zk?: ZkSupport;
  /** Quorum rounds, juries, watching: see quorum.ts and watch.ts. */
  duties?: Duty[];
}

/** Per-request state machine; see `Stage` in journal.ts for the picture. */
class Worker {
  /** Requests not yet in a terminal stage, by id. */
  private readonly active = new Map<string, JournalEntry>();
  private readonly serving = new Set<string>();
  private readonly attempts = new Map<string, number>();
  /** Wall-clock ms before which a request is not retried. */
  private readonly retryAtMs = new Map<string, number>();
  private readonly digests;
  private head: Head | undefined;
  private stopping = false;
  private wake: (() => void) | undefined;
  private holdSendsUntilMs = 0;
  /** Grows while sends meet an unreachable node, so a dead endpoint is not hammered. */
  private sendBackoffMs = 0;
  private ineligible: string | undefined;
  private lastPollOkMs = 0;
  private lastBalanceMs = 0;
  private readonly watcher: Watcher;
  private readonly log: Logger;

  private readonly config: WorkerConfig;
  private readonly metrics: Metrics;
  private readonly rpc: RpcClient;
  private readonly reader: ChainReader;
  private readonly address: string;
  private readonly signer: DigestSigner;
  private readonly environment: Environment;
  private readonly journal: Journal;
  private readonly tx: TxSender;
  private readonly answers: ModelAnswers;
  private readonly chainId: bigint;
  private readonly zk: ZkSupport | undefined;
  private readonly duties: Duty[];

  constructor(parts: WorkerParts) {
    this.duties = parts.duties ?? [];
    ({
      config: this.config,
      metrics: this.metrics,
      rpc: this.rpc,
      reader: this.reader,
      address: this.address,
      signer: this.signer,
      environment: this.environment,
      journal: this.journal,
      tx: this.tx,
      answers: this.answers,
      chainId: this.chainId,
      zk: this.zk,
    } = parts);
    this.log = parts.logger.child({ module: "worker" });
    this.digests = hubDigests(parts.chainId, this.reader.hub);
    this.watcher = new Watcher(
      this.rpc,
      this.journal,
      {
        hub: this.reader.hub,
        confirmations: this.config.confirmations,
        logChunkBlocks: this.config.logChunkBlocks,
        startBlock: this.config.startBlock,
        backfillBlocks: this.config.backfillBlocks,
      },
      parts.logger.child({ module: "watcher" }),
    );
  }

  health(): Health {
    const staleAfterMs = Math.max(5_000, this.config.pollIntervalMs * 10);
    const polling = Date.now() - this.lastPollOkMs < staleAfterMs;
    return {
      ok: polling && this.ineligible === undefined,
      worker: this.address,
      environment: this.environment.id,
      polling,
      ineligible: this.ineligible,
      headBlock: this.head?.number,
      checkpointBlock: this.journal.checkpoint?.block,
      inFlight: this.active.size,
      pendingTransactions: this.tx.pending,
    };
  }

  requestStop(): void {
    this.stopping = true;
    this.wake?.();
  }

  /**
   * After a restart: re-send journaled transactions the node lost, then re-check against the chain
   * every unfinished request that no journaled transaction still carries.
   */
  async recover(): Promise<void> {
    for (const entry of this.journal.entries()) {
      if (!TERMINAL_STAGES.has(entry.stage)) this.active.set(key(entry.request), entry);
    }
    await this.tx.recover();
    const carried = new Set([...this.journal.sentTxs()].flatMap((sent) => sent.requestIds));
    const unsure = [...this.active.values()].filter((entry) => !carried.has(key(entry.request)));
    if (this.active.size > 0) {
      this.log.info(
        { unfinished: this.active.size, recheck: unsure.length },
        "resuming from the journal",
      );
    }
    await this.reconcile(unsure);
    await this.journal.flush();
  }

  async run(): Promise<void> {
    while (!this.stopping) {
      let behind = false;
      try {
        behind = await this.tick();
        this.lastPollOkMs = Date.now();
      } catch (error) {
        this.log.error({ err: describeError(error) }, "tick failed; retrying");
      }
      if (!behind && !this.stopping) await this.idle(this.config.pollIntervalMs);
    }
    await this.drain();
  }

  /** One round: new events in, inference out, transactions sent and seen mined. */
  private async tick(): Promise<boolean> {
    const poll = await this.watcher.poll();
    this.head = poll.head;
    this.tx.setBaseFee(poll.head.baseFeePerGas);
    this.tx.setBlockGasLimit(poll.head.gasLimit);
    this.metrics.headBlock.set(poll.head.number);
    if (poll.rewoundTo !== undefined) await this.afterReorg(poll.rewoundTo);
    for (const event of poll.events) this.admit(event);
    if (poll.checkpoint) {
      this.journal.setCheckpoint(poll.checkpoint);
      this.metrics.checkpointBlock.set(poll.checkpoint.block);
    }
    this.schedule();
    await this.journal.flush();
    await this.collect();
    try {
      await this.pump();
    } catch (error) {
      // Every failure pump expects is handled where it happens; whatever else escapes must not
      // cost this tick its receipts and duties, and is retried after a pause.
      this.log.error({ err: describeError(error) }, "sending failed; holding sends");
      this.holdSendsUntilMs = Date.now() + 5_000;
    }
    await this.collect();
    this.metrics.inFlight.set(this.active.size);
    for (const duty of this.duties) await duty.tick(this.chainNow());
    if (Date.now() - this.lastBalanceMs > 10_000) await this.updateBalances();
    return poll.behind;
  }

  // ---------------------------------------------------------------- events in

  private admit(event: RequestEvent): void {
    for (const duty of this.duties) duty.admit(event);
    const { request, input, blockNumber } = event;
    const id = key(request);
    const requestHash = hashRequest(request);
    const known = this.journal.get(id);
    // Seen before (a rescan, a restart), unless a reorg dropped it and the chain brought it back.
    if (known?.requestHash === requestHash && known.stage !== "dropped") return;
    if (known) this.log.warn({ requestId: id }, "request id now holds another request (reorg)");
    if (keccakHex(input) !== request.inputHash) {
      // The hub hashes the input it emits; a mismatch means a broken node or log, not a request.
      this.log.error({ requestId: id }, "event input does not match its inputHash; ignoring it");
      return;
    }
    this.metrics.requestsSeen.inc();
    const entry: JournalEntry = {
      request,
      requestHash,
      input,
      blockNumber,
      stage: "queued",
      seenAtMs: Date.now(),
    };
    const skip = this.whyNotServed(request);
    if (skip) {
      this.finish(entry, "skipped", skip);
      return;
    }
    const mine = request.assignee === ZeroAddress || same(request.assignee, this.address);
    if (!mine) {
      entry.stage = "waiting";
      entry.notBefore = Number(request.assignedUntil) + 1;
    }
    this.update(entry);
  }

  private whyNotServed(request: Request): string | undefined {
    if (
      this.config.models.length > 0 &&
      !this.config.models.some((id) => same(id, request.modelId))
    ) {
      return "model not in this worker's models list";
    }
    if (request.proofMode === ProofMode.QUORUM && this.config.quorum) {
      return "QUORUM: answered in its round (quorum.ts), not by this state machine";
    }
    const zk = request.proofMode === ProofMode.ZK && this.zk !== undefined;
    if (request.proofMode !== ProofMode.ATTESTED && !zk) {
      return `proof mode ${enumName(ProofMode, request.proofMode)} is not served by this worker`;
    }
    const othersOnly = request.assignee !== ZeroAddress && !same(request.assignee, this.address);
    if (othersOnly && !this.config.takeOverAfterGrace) return "assigned to another worker";
    return undefined;
  }

  // ---------------------------------------------------------------- scheduling

  private schedule(): void {
    const now = this.chainNow();
    for (const entry of this.active.values()) {
      const deadline = Number(entry.request.deadline);
      switch (entry.stage) {
        case "waiting":
          if (now > deadline)
            this.abandon(entry, "deadline passed while assigned to another worker", "expired");
          else if (now >= (entry.notBefore ?? 0)) this.update({ ...entry, stage: "queued" });
          break;
        case "queued":
        case "ready":
          if (now > deadline)
            this.abandon(entry, "deadline passed before it could be answered", "expired");
          else if (entry.stage === "queued") this.serve(entry);
          break;
      }
    }
  }

  /** Runs the model and signs the answer, off the tick: a slow model fetch holds up nobody else. */
  private serve(entry: JournalEntry): void {
    const id = key(entry.request);
    if (this.serving.has(id) || this.serving.size >= SERVE_CONCURRENCY || !this.due(id)) return;
    this.serving.add(id);
    void this.answer(entry)
      .catch((error) => this.onServeError(entry, error))
      .finally(() => {
        this.serving.delete(id);
        // Once the round's answers are in, send them together (one batch, one tick).
        if (this.serving.size === 0) this.wake?.();
      });
  }

  private async answer(entry: JournalEntry): Promise<void> {
    const { request } = entry;
    if (request.proofMode === ProofMode.ZK) return this.answerWithProof(entry);
    // The registered shape fixes the output's length: an answer too big to send is not computed
    // (sized as if all zeros, the cheapest calldata, so nothing that could fit is refused).
    const { outputShape } = await this.answers.model(request.modelId);
    const zeros = `0x${"00".repeat(encodedTensorLength(outputShape))}`;
    if (this.dropIfOversized(entry, zeros)) return;
    const { inference } = await this.answers.answer(request.modelId, getBytes(entry.input));
    const base = {
      requestId: request.id,
      modelId: request.modelId,
      inputHash: request.inputHash,
      environmentId: this.environment.id,
    };
    if (inference.ok) {
      this.metrics.inferenceSeconds.observe(inference.inferenceUs / 1e6);
      const output = hexlify(inference.output);
      if (this.dropIfOversized(entry, output)) return;
      const digest = this.digests.result({ ...base, outputHash: keccakHex(output) });
      this.update({
        ...this.current(entry),
        stage: "ready",
        output,
        signature: this.signer.sign(digest),
      });
    } else {
      this.reportFailure(entry, inference.reason, inference.detail, "input rejected");
    }
  }

  /**
   * Signs a failure report and queues it to be sent at once: the hub refunds the requester when
   * it lands, instead of at the deadline. Only ATTESTED requests take reports (one worker's word
   * must not end a ZK or QUORUM request); those are dropped and refunded after their deadline.
   */
  private reportFailure(
    entry: JournalEntry,
    reason: FailureReason,
    detail: string,
    what: string,
  ): void {
    const { request } = entry;
    const name = enumName(FailureReason, reason);
    if (request.proofMode !== ProofMode.ATTESTED) {
      this.abandon(this.current(entry), `${name}: ${detail}`, "unanswerable");
      return;
    }
    const digest = this.digests.failure({
      requestId: request.id,
      modelId: request.modelId,
      inputHash: request.inputHash,
      environmentId: this.environment.id,
      reason,
    });
    this.log.info({ requestId: key(request), reason: name, detail }, `${what}; reporting failure`);
    this.update({
      ...this.current(entry),
      stage: "ready",
      failure: reason,
      note: detail,
      signature: this.signer.sign(digest),
    });
  }

  /**
   * ZK mode: the proof is the answer's warrant, bound to this request and this worker, and the
   * hub settles at once when it verifies. The circuit's arithmetic is the output (docs/zk.md).
   */
  private async answerWithProof(entry: JournalEntry): Promise<void> {
    const { request } = entry;
    try {
      const proved = await this.zk!.prove(request, entry.input, {
        worker: this.address,
        chainId: this.chainId,
        hub: this.reader.hub,
      });
      this.metrics.zkProveSeconds.observe(proved.proveMs / 1000);
      if (this.dropIfOversized(entry, proved.output)) return;
      this.update({
        ...this.current(entry),
        stage: "ready",
        output: proved.output,
        signature: proved.proof,
      });
    } catch (error) {
      const reason = zkFailureReason(error);
      if (reason === undefined) throw error;
      // A ZK request takes no failure report (one worker's word must not veto it): it is
      // refunded once its deadline passes.
      this.abandon(
        this.current(entry),
        `${enumName(FailureReason, reason)}: ${(error as Error).message}`,
        "unprovable",
      );
    }
  }

  /**
   * An answer no transaction can carry is not kept (nor journaled: it may be megabytes) and not
   * sent; it is reported as `OutputTooLarge`, so the requester is refunded at once.
   */
  private dropIfOversized(entry: JournalEntry, output: string): boolean {
    const floor = this.resultFloor({ ...entry, output, signature: SIZING_SIGNATURE });
    if (fitsInTransaction([floor], this.tx.gasCap)) return false;
    const bytes = (output.length - 2) / 2;
    const reason =
      `output of ${bytes} bytes needs at least ${floor} gas to submit, over the ` +
      `${this.tx.gasCap} one transaction may use`;
    this.reportFailure(entry, FailureReason.OutputTooLarge, reason, "answer cannot be sent");
    return true;
  }

  private onServeError(entry: JournalEntry, error: unknown): void {
    const id = key(entry.request);
    const attempt = (this.attempts.get(id) ?? 0) + 1;
    this.attempts.set(id, attempt);
    const message = error instanceof Error ? error.message : String(error);
    const retryable =
      (error instanceof ModelFetchError || error instanceof InferenceHostError) && error.retryable;
    if (retryable && attempt < MAX_SERVE_ATTEMPTS) {
      const delayMs = Math.min(30_000, 500 * 2 ** attempt);
      this.retryAtMs.set(id, Date.now() + delayMs);
      this.log.warn(
        { requestId: id, attempt, delayMs, err: message },
        "model unavailable; will retry",
      );
      return;
    }
    const reason = modelFailureReason(error);
    if (reason !== undefined) {
      this.reportFailure(entry, reason, message, "model cannot answer");
      return;
    }
    this.log.error(
      { requestId: id, err: message },
      "cannot serve request; it will be refunded after its deadline",
    );
    this.abandon(this.current(entry), message, error instanceof Error ? error.name : "error");
  }

  // ---------------------------------------------------------------- transactions out

  /** Sends what is ready, as long as fewer than `maxPendingTxs` transactions are in flight. */
  private async pump(): Promise<void> {
    if (Date.now() < this.holdSendsUntilMs) return;
    const now = this.chainNow();
    const ready = [...this.active.values()].filter(
      (e) => e.stage === "ready" && this.due(key(e.request)),
    );
    const results = ready.filter((e) => e.failure === undefined);
    const failures = ready.filter((e) => e.failure !== undefined);
    const finalizable = this.config.finalize
      ? [...this.active.values()].filter(
          (e) =>
            e.stage === "submitted" &&
            e.submission &&
            now >= Number(e.submission.finalizableAt) &&
            this.due(key(e.request)),
        )
      : [];
    const refundable = this.config.refundExpired
      ? [...this.active.values()].filter(
          (e) =>
            e.stage === "abandoned" &&
            now > Number(e.request.deadline) + 1 &&
            this.due(key(e.request)),
        )
      : [];
    while (this.tx.pending < this.config.maxPendingTxs && !this.stopping) {
      if (results.length > 0) {
        const batch = this.takeBatch(results);
        if (batch.length > 0) await this.submitResults(batch);
      } else if (failures.length > 0) await this.sendOne(failures.shift()!, "fail", "sent");
      else if (finalizable.length > 0)
        await this.sendOne(finalizable.shift()!, "finalize", "finalizing");
      else if (refundable.length > 0)
        await this.sendOne(refundable.shift()!, "refund", "refunding");
      else break;
      if (Date.now() < this.holdSendsUntilMs) break;
    }
  }

  /**
   * Takes the next batch off `results`: at most `maxBatchSize`, and no more than fit in one
   * transaction by their gas floors together. A result that does not fit even alone is dropped.
   */
  private takeBatch(results: JournalEntry[]): JournalEntry[] {
    const cap = this.tx.gasCap;
    const batch: JournalEntry[] = [];
    const floors: bigint[] = [];
    while (results.length > 0 && batch.length < this.config.maxBatchSize) {
      const floor = this.resultFloor(results[0]);
      if (!fitsInTransaction([floor], cap)) {
        // Answered before sizes were checked at answer time (an older journal): drop it here.
        this.dropIfOversized(results[0], results.shift()!.output!);
        continue;
      }
      if (!fitsInTransaction([...floors, floor], cap)) break;
      batch.push(results.shift()!);
      floors.push(floor);
    }
    return batch;
  }

  private resultFloor(entry: JournalEntry): bigint {
    const output = entry.output!;
    return resultGasFloor(encodeSubmitResult(this.resultItem(entry)), (output.length - 2) / 2);
  }

  /**
   * Simulates the batch; when it fails for something one of its results did, simulates each
   * alone, sends those that pass and handles the others by what the node said. `split`: the
   * batch is made of results that each passed alone, so a failure together sends them one by one.
   */
  private async submitResults(batch: JournalEntry[], split = false): Promise<void> {
    const items = batch.map((e) => this.resultItem(e));
    const data = items.length === 1 ? encodeSubmitResult(items[0]) : encodeSubmitResults(items);
    let gasLimit: bigint;
    try {
      gasLimit = await this.tx.estimateGas(this.reader.hub, data);
    } catch (error) {
      const failure = classifyFailure(error);
      if (this.holdForAll(failure)) return;
      if (batch.length === 1) return this.onUnsendable(batch[0], "submit", error, failure);
      if (split) {
        for (const entry of batch) await this.submitResults([entry]);
        return;
      }
      const good = await this.isolate(batch, (e) => encodeSubmitResult(this.resultItem(e)));
      if (good.length > 0) await this.submitResults(good, true);
      return;
    }
    this.sendBackoffMs = 0;
    this.metrics.batchSize.observe(batch.length);
    await this.send("submit", data, gasLimit, batch, "sent");
  }

  private resultItem(entry: JournalEntry): ResultItem {
    return {
      request: entry.request,
      output: entry.output!,
      environmentId: this.environment.id,
      signature: entry.signature!,
    };
  }

  private sendOne(entry: JournalEntry, kind: SentTx["kind"], stage: Stage): Promise<void> {
    const { request } = entry;
    const data =
      kind === "fail"
        ? hubInterface.encodeFunctionData("reportFailure", [
            request,
            entry.input,
            entry.failure!,
            this.environment.id,
            entry.signature!,
          ])
        : kind === "finalize"
          ? hubInterface.encodeFunctionData("finalize", [request, entry.submission!, entry.output!])
          : hubInterface.encodeFunctionData("refund", [request]);
    return this.simulateAndSend(entry, kind, stage, data);
  }

  private async simulateAndSend(
    entry: JournalEntry,
    kind: SentTx["kind"],
    stage: Stage,
    data: string,
  ): Promise<void> {
    let gasLimit: bigint;
    try {
      gasLimit = await this.tx.estimateGas(this.reader.hub, data);
    } catch (error) {
      const failure = classifyFailure(error);
      if (this.holdForAll(failure)) return;
      return this.onUnsendable(entry, kind, error, failure);
    }
    this.sendBackoffMs = 0;
    await this.send(kind, data, gasLimit, [entry], stage);
  }

  private async send(
    kind: SentTx["kind"],
    data: string,
    gasLimit: bigint,
    entries: JournalEntry[],
    stage: Stage,
  ) {
    try {
      await this.tx.send(
        kind,
        this.reader.hub,
        data,
        gasLimit,
        entries.map((e) => key(e.request)),
        (sent) => {
          for (const entry of entries)
            this.update({ ...this.current(entry), stage, txHash: sent.hash });
        },
      );
    } catch (error) {
      this.metrics.transactions.inc({ kind, outcome: "refused" });
      for (const entry of entries)
        this.update({ ...this.current(entry), stage: entry.stage, txHash: undefined });
      const failure = classifyFailure(error);
      if (failure.kind === "gas" || failure.kind === "revert") {
        // Simulation passed but the node will not take the transaction (a pool's size limit, a
        // state change): it is about what it carries, so each entry is tried on its own.
        this.log.warn({ kind, reason: failure.reason }, "transaction refused by the node");
        if (entries.length > 1) {
          for (const entry of entries) await this.submitResults([this.current(entry)]);
        } else {
          this.onUnsendable(this.current(entries[0]), kind, error, failure);
        }
        return;
      }
      if (failure.kind !== "refused" && this.holdForAll(failure)) return;
      this.log.error({ kind, err: failure.reason }, "transaction refused by the node; will retry");
      this.holdSendsUntilMs = Date.now() + 5_000;
    }
  }

  /**
   * A failure that is about the node or the account, not about what is sent: holds every send
   * for a while (longer while the node stays unreachable) and returns true.
   */
  private holdForAll(failure: SendFailure): boolean {
    switch (failure.kind) {
      case "transport":
        this.sendBackoffMs = Math.min(30_000, Math.max(500, this.sendBackoffMs * 2));
        this.holdSendsUntilMs = Date.now() + this.sendBackoffMs;
        this.log.warn(
          { reason: failure.reason, delayMs: this.sendBackoffMs },
          "node unreachable while sending; backing off",
        );
        return true;
      case "nonce":
      case "fee":
        // The sender has resynchronised its nonce and re-reads fees: the next tick retries.
        this.log.warn({ kind: failure.kind, reason: failure.reason }, "send refused; retrying");
        this.holdSendsUntilMs = Date.now() + 1_000;
        return true;
      case "funds":
        this.log.error(
          { reason: failure.reason },
          "the worker's account cannot pay for gas; holding sends",
        );
        this.holdSendsUntilMs = Date.now() + 30_000;
        return true;
      default:
        return false;
    }
  }

  /**
   * Simulates each entry alone; handles the ones that cannot be sent and returns the others.
   * Stops at a failure that is not about an entry (the node went away): those stay ready.
   */
  private async isolate(
    batch: JournalEntry[],
    encode: (e: JournalEntry) => string,
  ): Promise<JournalEntry[]> {
    const good: JournalEntry[] = [];
    for (const entry of batch) {
      try {
        await this.tx.estimateGas(this.reader.hub, encode(entry));
        good.push(entry);
      } catch (error) {
        const failure = classifyFailure(error);
        if (this.holdForAll(failure)) return [];
        this.onUnsendable(entry, "submit", error, failure);
      }
    }
    return good;
  }

  /**
   * What cannot be sent for what the entry carries: a hub revert means what it always meant;
   * a transaction that cannot hold it (out of gas at the cap, too large) drops the entry with
   * the reason in its journal note, and others go on without it.
   */
  private onUnsendable(
    entry: JournalEntry,
    kind: SentTx["kind"],
    error: unknown,
    failure: SendFailure,
  ): void {
    const id = key(entry.request);
    if (failure.kind === "revert") return this.onRejected(entry, kind, error);
    if (failure.kind === "gas") {
      this.log.warn(
        { requestId: id, action: kind, kind: "gas", reason: failure.reason },
        "cannot be sent in any transaction; dropped",
      );
      return this.cannotCarry(entry, kind, `does not fit in a transaction: ${failure.reason}`);
    }
    this.retryOrAbandon(entry, failure.reason, "refused");
  }

  /**
   * No transaction can carry this action. A result or failure report is given up (the request
   * is refunded after its deadline); a refund or finalize that cannot be carried never will be.
   */
  private cannotCarry(entry: JournalEntry, kind: SentTx["kind"], reason: string): void {
    if (kind === "refund" || kind === "finalize") {
      this.finish(entry, "unsendable", reason);
      return;
    }
    this.metrics.requestsAbandoned.inc({ why: "gas" });
    this.update({
      ...entry,
      stage: "abandoned",
      note: reason,
      txHash: undefined,
      output: undefined,
      signature: undefined,
    });
  }

  /** An entry-level refusal without a known meaning: retried with backoff, then given up. */
  private retryOrAbandon(entry: JournalEntry, reason: string, why: string): void {
    const id = key(entry.request);
    const attempt = (this.attempts.get(id) ?? 0) + 1;
    this.attempts.set(id, attempt);
    if (attempt >= MAX_SERVE_ATTEMPTS) this.abandon(entry, `hub keeps refusing: ${reason}`, why);
    // Also once given up: an abandoned entry's refund retries, never at every tick.
    this.retryAtMs.set(id, Date.now() + Math.min(30_000, 1_000 * attempt));
    this.log.warn({ requestId: id, reason, attempt }, "hub refused in simulation");
  }

  /** The hub refused an action in simulation: decide what that means for the request. */
  private onRejected(entry: JournalEntry, kind: SentTx["kind"], error: unknown): void {
    const revert = decodeRevert(error)!;
    const id = key(entry.request);
    const reason = describeError(error);
    switch (revert.name) {
      case "RequestExpired":
        this.abandon(entry, "deadline passed before the answer landed", "expired");
        return;
      case "RequestNotExpired":
        this.retryAtMs.set(id, Date.now() + 2_000);
        return;
      case "RequestNotPending":
      case "RequestNotSubmitted":
      case "RequestMismatch":
        void this.reconcile([entry]).catch((e) =>
          this.log.warn({ err: describeError(e) }, "recheck failed"),
        );
        return;
      case "NotAssignee":
        this.update({
          ...entry,
          stage: "waiting",
          notBefore: Number(entry.request.assignedUntil) + 1,
        });
        return;
      case "ChallengeWindowOpen":
        this.retryAtMs.set(id, Date.now() + 1_000);
        return;
      case "InsufficientGasForCallback":
        // The simulation ran at the most gas a transaction gets: the requester's callback gas
        // limit is more than any transaction can forward, whoever sends it.
        this.log.warn(
          { requestId: id, action: kind, kind: "revert", reason },
          "cannot be sent in any transaction; dropped",
        );
        return this.cannotCarry(
          entry,
          kind,
          `callback needs more gas than a transaction: ${reason}`,
        );
      case "EnforcedPause":
        this.log.warn("hub is paused; holding submissions");
        this.holdSendsUntilMs = Date.now() + 10_000;
        return;
      case "NotRegistered":
      case "StakeBelowMinimum":
      case "EnvironmentMismatch":
      case "EnvironmentNotApproved":
        this.ineligible = reason;
        this.log.error({ reason }, "the hub says this worker is not eligible; holding submissions");
        this.holdSendsUntilMs = Date.now() + 30_000;
        return;
      default:
        this.retryOrAbandon(entry, reason, revert.name);
    }
  }

  /** Applies mined transactions: what the hub's events say happened to each request. */
  private async collect(): Promise<void> {
    if (this.tx.pending === 0) return;
    const { mined, lost } = await this.tx.poll();
    const recheck: JournalEntry[] = [];
    for (const { tx, receipt } of mined) {
      this.metrics.gasUsed.inc({ kind: tx.kind }, Number(BigInt(receipt.gasUsed)));
      this.metrics.transactions.inc({
        kind: tx.kind,
        outcome: receipt.status === "0x1" ? "mined" : "reverted",
      });
      if (receipt.status === "0x1") this.applyReceipt(receipt);
      for (const id of tx.requestIds) {
        const entry = this.active.get(id);
        if (entry && isInTransaction(entry.stage)) recheck.push(entry); // its transaction said nothing of it
      }
      this.tx.settle(tx);
    }
    for (const tx of lost) {
      for (const id of tx.requestIds) {
        const entry = this.active.get(id);
        if (entry) recheck.push(entry);
      }
      this.tx.settle(tx);
    }
    if (recheck.length > 0) await this.reconcile(recheck);
    await this.journal.flush();
    // What was just settled is credited to us: show it soon, not at the next 10 s refresh.
    if (mined.length > 0) this.lastBalanceMs = Math.min(this.lastBalanceMs, Date.now() - 9_000);
  }

  private applyReceipt(receipt: RawReceipt): void {
    const hub = this.reader.hub.toLowerCase();
    const me = this.address.toLowerCase();
    const events = receipt.logs
      .filter((log) => log.address.toLowerCase() === hub)
      .map(decodeHubEvent)
      .filter((event) => event !== undefined);
    // A failure report closes its request with a refund, and the hub logs both: the failure is
    // what happened to it.
    const failed = new Set(
      events.filter((e) => e.name === "RequestFailed").map((e) => e.requestId),
    );
    for (const event of events) {
      const entry = this.active.get(String(event.requestId));
      if (!entry) continue;
      switch (event.name) {
        case "ResultSubmitted":
          if (event.worker === me) {
            this.update({
              ...entry,
              stage: "submitted",
              txHash: undefined,
              // A failure the chain cannot check is open to challenge like a result, and is
              // finalized with the output it stands for.
              output: entry.failure === undefined ? entry.output : failureOutput(entry.failure),
              submission: {
                worker: this.address,
                outputHash: event.outputHash,
                environmentId: event.environmentId,
                finalizableAt: event.finalizableAt,
              },
            });
          }
          break;
        case "RequestSettled":
          if (event.worker === me) {
            this.metrics.requestsSettled.inc();
            this.metrics.endToEndSeconds.observe((Date.now() - entry.seenAtMs) / 1000);
            this.finish(entry, "settled");
          } else {
            this.finish(entry, "skipped", "settled with another worker's result");
          }
          break;
        case "RequestFailed":
          if (event.worker === me) {
            this.metrics.requestsFailed.inc({ reason: enumName(FailureReason, event.reason) });
            this.finish(entry, "failed", entry.note);
          } else {
            this.finish(entry, "skipped", "closed by another worker's failure report");
          }
          break;
        case "RequestRefunded":
          if (!failed.has(event.requestId)) this.finish(entry, "refunded");
          break;
        case "ResultSkipped":
          this.finish(entry, "skipped", `already ${enumName(RequestStatus, event.status)}`);
          break;
      }
    }
  }

  /**
   * Re-reads the hub's commitment of each request and moves it to the stage the chain implies:
   * the one source of truth after a restart, a reorg, a lost transaction or a refused simulation.
   */
  private async reconcile(entries: JournalEntry[]): Promise<void> {
    if (entries.length === 0) return;
    const commitments = await this.reader.commitments(entries.map((e) => e.request.id));
    entries.forEach((stale, i) => {
      const entry = this.current(stale);
      const commitment = commitments[i];
      const status = statusOf(commitment);
      if (BigInt(commitment) === 0n) {
        this.finish(entry, "dropped", "the request is not on-chain (a reorg removed it)");
      } else if (status === RequestStatus.Pending) {
        if (commitment !== pendingCommitment(entry.requestHash)) {
          this.finish(entry, "dropped", "another request holds this id (reorg)");
        } else if (entry.stage === "abandoned" || entry.stage === "refunding") {
          this.update({ ...entry, stage: "abandoned", txHash: undefined });
        } else {
          this.update({ ...entry, stage: entry.signature ? "ready" : "queued", txHash: undefined });
        }
      } else if (status === RequestStatus.Submitted) {
        const ours =
          entry.submission !== undefined &&
          commitment === submittedCommitment(entry.requestHash, entry.submission);
        if (ours) this.update({ ...entry, stage: "submitted", txHash: undefined });
        else this.finish(entry, "skipped", "another worker's result is in its challenge window");
      } else if (status === RequestStatus.Challenged) {
        this.finish(entry, "skipped", "challenged: the dispute resolver decides");
      } else if (status === RequestStatus.Settled) {
        const ours = entry.stage === "finalizing" || entry.stage === "submitted";
        if (ours) this.metrics.requestsSettled.inc();
        this.finish(
          entry,
          ours ? "settled" : "skipped",
          ours ? undefined : "settled by someone else",
        );
      } else if (status === RequestStatus.Refunded) {
        this.finish(entry, "refunded");
      } else {
        const ours = entry.failure !== undefined;
        this.finish(
          entry,
          ours ? "failed" : "skipped",
          ours ? entry.note : "closed as failed by someone else",
        );
      }
    });
  }

  /** Everything a reorg may have undone: unfinished requests and any seen after the fork. */
  private async afterReorg(rewoundTo: number): Promise<void> {
    const touched = [...this.journal.entries()].filter(
      (entry) => !TERMINAL_STAGES.has(entry.stage) || entry.blockNumber > rewoundTo,
    );
    for (const entry of touched) this.active.set(key(entry.request), entry);
    await this.reconcile(
      touched.filter((entry) => entry.input !== "0x" || !TERMINAL_STAGES.has(entry.stage)),
    );
  }

  // ---------------------------------------------------------------- bookkeeping

  private abandon(entry: JournalEntry, note: string, why: string): void {
    this.metrics.requestsAbandoned.inc({ why });
    this.update({ ...entry, stage: "abandoned", note, txHash: undefined });
  }

  private finish(entry: JournalEntry, stage: Stage, note?: string): void {
    if (stage === "skipped") this.metrics.requestsSkipped.inc();
    this.update({ ...entry, stage, note: note ?? entry.note, txHash: undefined });
  }

  private update(entry: JournalEntry): void {
    const id = key(entry.request);
    this.journal.put(entry);
    if (TERMINAL_STAGES.has(entry.stage)) {
      this.active.delete(id);
      this.attempts.delete(id);
      this.retryAtMs.delete(id);
    } else {
      this.active.set(id, entry);
    }
  }

  /** The latest state of an entry that may have moved on while we awaited. */
  private current(entry: JournalEntry): JournalEntry {
    return this.active.get(key(entry.request)) ?? entry;
  }

  private due(id: string): boolean {
    return (this.retryAtMs.get(id) ?? 0) <= Date.now();
  }

  /**
   * Chain time now: the head's timestamp plus the wall-clock time since that block was first
   * seen. Nodes stamp a new block with their clock, so the next block's timestamp is at least
   * this; counting from the read of the head instead would stop the clock on an idle chain,
   * where no deadline would then ever pass. Capped at MAX_CHAIN_TIME_AHEAD_S past the head.
   */
  private chainNow(): number {
    if (!this.head) return Math.floor(Date.now() / 1000);
    const aheadS = Math.floor((Date.now() - this.head.readAtMs) / 1000);
    return this.head.timestamp + Math.min(aheadS, MAX_CHAIN_TIME_AHEAD_S);
  }

  private async updateBalances(): Promise<void> {
    this.lastBalanceMs = Date.now();
    const [balance, credited] = await Promise.all([
      this.rpc.request<string>("eth_getBalance", [this.address, "latest"]),
      this.reader.view<bigint>(this.reader.hub, hubInterface, "balanceOf", [this.address]),
    ]);
    this.metrics.balanceEth.set(Number(BigInt(balance)) / 1e18);
    this.metrics.withdrawableEth.set(Number(credited) / 1e18);
  }

  private idle(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const timer = setTimeout(done, ms);
      function done() {
        clearTimeout(timer);
        resolve();
      }
      this.wake = done;
    });
  }

  /** On stop: let running inference finish, send what is ready, wait briefly for it to be mined. */
  private async drain(): Promise<void> {
    const until = Date.now() + STOP_GRACE_MS;
    while (this.serving.size > 0 && Date.now() < until) await sleep(10);
    this.stopping = false; // let pump send once more
    try {
      await this.pump();
      while (this.tx.pending > 0 && Date.now() < until) {
        await this.collect();
        await sleep(50);
      }
    } catch (error) {
      this.log.warn(
        { err: describeError(error) },
        "could not finish in-flight work; it stays journaled",
      );
    } finally {
      this.stopping = true;
      await this.journal.flush();
    }
    this.log.info(
      { unfinished: this.active.size, pendingTransactions: this.tx.pending },
      "journal flushed",
    );
  }
}

function key(request: Request): string {
  return String(request.id);
}

function same(a: string, b: string): boolean {
  return a.toLowerCase() === b.toLowerCase();
}

function isInTransaction(stage: Stage): boolean {
  return stage === "sent" || stage === "finalizing" || stage === "refunding";
}

/**
 * The worker's ZK side: artifacts by model, and one prover thread. @verity/zk (snarkjs, circom)
 * is loaded on first use, so a worker that serves no ZK request never pays for it.
 */
class ZkSupport {
  private proverThread: Promise<ZkProver> | undefined;
  private readonly loaded = new Map<string, Promise<ZkModelArtifacts>>();

  constructor(private readonly artifactsDir: string) {}

  prover(): Promise<ZkProver> {
    this.proverThread ??= import("@verity/zk").then(({ ZkProver }) => new ZkProver());
    return this.proverThread;
  }

  artifacts(modelId: string): Promise<ZkModelArtifacts> {
    let found = this.loaded.get(modelId);
    if (!found) {
      found = import("@verity/zk")
        .then(({ loadZkArtifacts }) => loadZkArtifacts(this.artifactsDir, modelId))
        .then((artifacts) => {
          if (artifacts) return artifacts;
          throw new ZkArtifactsMissingError(
            `no ZK artifacts for model ${modelId} in ${this.artifactsDir}: build them with ` +
              `buildZkArtifacts (@verity/zk, see docs/zk.md) before serving its ZK requests`,
          );
        });
      found.catch(() => this.loaded.delete(modelId));
      this.loaded.set(modelId, found);
    }
    return found;
  }

  /** Proves `request` on `input` (hex tensor bytes), valid for `job.worker` on `job.hub` alone. */
  async prove(
    request: Request,
    input: string,
    job: { worker: string; chainId: bigint; hub: string },
  ): Promise<{ output: string; proof: string; proveMs: number }> {
    const artifacts = await this.artifacts(request.modelId);
    const proved = await (
      await this.prover()
    ).prove(artifacts, { request, input: getBytes(input), ...job });
    return { output: hexlify(proved.output), proof: proved.proof, proveMs: proved.proveMs };
  }

  async close(): Promise<void> {
    if (this.proverThread) await (await this.proverThread).close();
  }
}

class ZkArtifactsMissingError extends Error {
  override name = "ZkArtifactsMissingError";
}

/** What a proving error says about the input, or undefined when it is not the input's fault. */
function zkFailureReason(error: unknown): FailureReason | undefined {
  // By name: the prover thread rebuilds these classes, and @verity/zk is loaded lazily.
  switch ((error as Error | undefined)?.name) {
    case "MalformedTensorError":
      return FailureReason.InputUndecodable;
    case "ZkInputError":
      return FailureReason.InputShapeMismatch;
    case "ZkRangeError":
      return FailureReason.InputOutOfRange;
    default:
      return undefined;
  }
}
