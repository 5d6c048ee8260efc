import { mkdir, open, readFile, rename } from "node:fs/promises";
import type { FileHandle } from "node:fs/promises";
import { join } from "node:path";
import type { FailureReason, Request, Submission } from "@verity/contracts";

/**
 * Where a request is in the worker's hands.
 *
 *   queued ──▶ ready ──▶ sent ──▶ settled | submitted ──▶ finalizing ──▶ settled
 *     │  ▲                 │            (challenge window)
 *     ▼  │ (grace over)    └──▶ failed (our failure report landed)
 *   waiting                    skipped (someone else answered first)
 *     abandoned ──▶ refunding ──▶ refunded (we could not serve it; refunded after its deadline)
 *     dropped (the request no longer exists on-chain: a reorg took it)
 *     unsendable (a refund or finalize no transaction can carry: the hub would need more gas
 *                 than one transaction may use; nothing more is tried, the note says why)
 */
export type Stage =
  | "queued"
  | "waiting"
  | "ready"
  | "sent"
  | "submitted"
  | "finalizing"
  | "abandoned"
  | "refunding"
  | "settled"
  | "failed"
  | "skipped"
  | "refunded"
  | "dropped"
  | "unsendable";

export const TERMINAL_STAGES: ReadonlySet<Stage> = new Set([
  "settled",
  "failed",
  "skipped",
  "refunded",
  "dropped",
  "unsendable",
]);

export interface JournalEntry {
  request: Request;
  /** keccak256(abi.encode(request)): tells a request from another one that a reorg put at its id. */
  requestHash: string;
  input: string;
  /** Block of the InferenceRequested event: a reorg below it puts the entry in question. */
  blockNumber: number;
  stage: Stage;
  /** Unix seconds (chain time) before which nothing is done: the end of another worker's grace. */
  notBefore?: number;
  /** The answer, once computed: an output and its signature, or a failure reason and its signature. */
  output?: string;
  failure?: FailureReason;
  signature?: string;
  submission?: Submission;
  /** The transaction that carries the current action (stage sent, finalizing or refunding). */
  txHash?: string;
  /** Why it is abandoned, failed or skipped, for operators. */
  note?: string;
  /** Wall-clock ms when the request's block was first seen, for the end-to-end latency metric. */
  seenAtMs: number;
}

/** A signed transaction we sent, kept until mined so that a restart re-sends it, never a new one. */
export interface SentTx {
  hash: string;
  nonce: number;
  raw: string;
  requestIds: string[];
  kind:
    | "submit"
    | "fail"
    | "finalize"
    | "refund"
    | "register"
    // quorum.ts and watch.ts: rounds, challenges and disputes
    | "commit"
    | "reveal"
    | "close"
    | "challenge"
    | "escalate"
    | "resolve";
  sentAtMs: number;
  /** Fees it was signed with, to bump from. */
  maxFeePerGas: string;
  maxPriorityFeePerGas: string;
}

export interface Checkpoint {
  /** Every event up to and including this block is in the journal. */
  block: number;
  hash: string;
}

type Line =
  | { t: "entry"; e: JournalEntry }
  | { t: "tx"; x: SentTx }
  | { t: "txDone"; hash: string }
  | { t: "checkpoint"; c: Checkpoint };

const FILE = "journal.jsonl";
/** Settled requests remembered after a compaction, so a backfill does not look at them again. */
const KEPT_TERMINAL = 50_000;

/**
 * The worker's durable memory: an append-only log of JSON lines, one per change, fsynced before
 * the worker acts on what it records. A `kill -9` can only cut the last line short, which is
 * ignored on reading; everything before it is replayed. Opening compacts the log to one line per
 * live request.
 */
export class Journal {
  private readonly requests = new Map<string, JournalEntry>();
  private readonly txs = new Map<string, SentTx>();
  private lastCheckpoint: Checkpoint | undefined;
  private buffer: string[] = [];
  private flushing: Promise<void> | undefined;

  private constructor(
    private file: FileHandle,
    private readonly path: string,
  ) {}

  static async open(dir: string): Promise<Journal> {
    await mkdir(dir, { recursive: true });
    const path = join(dir, FILE);
    const journal = new Journal(undefined as unknown as FileHandle, path);
    journal.replay(await readFile(path, "utf8").catch(() => ""));
    await journal.compact();
    return journal;
  }

  get checkpoint(): Checkpoint | undefined {
    return this.lastCheckpoint;
  }

  get(id: bigint | string): JournalEntry | undefined {
    return this.requests.get(String(id));
  }

  entries(): IterableIterator<JournalEntry> {
    return this.requests.values();
  }

  sentTxs(): IterableIterator<SentTx> {
    return this.txs.values();
  }

  /** Records an entry's new state; durable after the next `flush`. */
  put(entry: JournalEntry): void {
    this.requests.set(String(entry.request.id), entry);
    this.append({ t: "entry", e: entry });
  }

  putTx(tx: SentTx): void {
    this.txs.set(tx.hash, tx);
    this.append({ t: "tx", x: tx });
  }

  removeTx(hash: string): void {
    if (this.txs.delete(hash)) this.append({ t: "txDone", hash });
  }

  setCheckpoint(checkpoint: Checkpoint): void {
    this.lastCheckpoint = checkpoint;
    this.append({ t: "checkpoint", c: checkpoint });
  }

  /** Writes and fsyncs everything recorded so far. Concurrent callers share one write. */
  async flush(): Promise<void> {
    while (this.flushing) await this.flushing;
    if (this.buffer.length === 0) return;
    const chunk = this.buffer.join("");
    this.buffer = [];
    this.flushing = (async () => {
      await this.file.appendFile(chunk);
      await this.file.datasync();
    })();
    try {
      await this.flushing;
    } finally {
      this.flushing = undefined;
    }
  }

  async close(): Promise<void> {
    await this.flush();
    await this.file.close();
  }

  private append(line: Line): void {
    this.buffer.push(JSON.stringify(line, bigintReplacer) + "\n");
  }

  private replay(text: string): void {
    for (const raw of text.split("\n")) {
      if (raw === "") continue;
      let line: Line;
      try {
        line = JSON.parse(raw, bigintReviver) as Line;
      } catch {
        continue; // the tail of a write cut short by a crash
      }
      if (line.t === "entry") this.requests.set(String(line.e.request.id), line.e);
      else if (line.t === "tx") this.txs.set(line.x.hash, line.x);
      else if (line.t === "txDone") this.txs.delete(line.hash);
      else if (line.t === "checkpoint") this.lastCheckpoint = line.c;
    }
  }

  /** Rewrites the log as its current state, atomically (write, fsync, rename). */
  private async compact(): Promise<void> {
    const live = [...this.requests.values()];
    const terminal = live.filter((entry) => TERMINAL_STAGES.has(entry.stage));
    for (const old of terminal.slice(0, Math.max(0, terminal.length - KEPT_TERMINAL))) {
      this.requests.delete(String(old.request.id));
    }
    for (const [id, entry] of this.requests) {
      // A finished request is kept only to be recognised: its payload is not needed again.
      const kept = TERMINAL_STAGES.has(entry.stage)
        ? { ...entry, input: "0x", output: undefined, signature: undefined }
        : entry;
      this.requests.set(id, kept);
      this.append({ t: "entry", e: kept });
    }
    for (const tx of this.txs.values()) this.append({ t: "tx", x: tx });
    if (this.lastCheckpoint) this.append({ t: "checkpoint", c: this.lastCheckpoint });
    const tmp = `${this.path}.tmp`;
    const handle = await open(tmp, "w");
    await handle.writeFile(this.buffer.join(""));
    await handle.datasync();
    await handle.close();
    await rename(tmp, this.path);
    this.buffer = [];
    this.file = await open(this.path, "a");
  }
}

// Requests carry uint256s: stored as {"$n": "123"} so they come back as bigints.
function bigintReplacer(_key: string, value: unknown): unknown {
  return typeof value === "bigint" ? { $n: value.toString() } : value;
}

function bigintReviver(_key: string, value: unknown): unknown {
  if (typeof value === "object" && value !== null && "$n" in value) {
    return BigInt((value as { $n: string }).$n);
  }
  return value;
}
