import type { Request } from "@verity/contracts";
import type { Logger } from "pino";
import { TOPICS, decodeRequested, type RawLog } from "./abi.js";
import type { Checkpoint, Journal } from "./journal.js";
import type { RpcClient } from "./rpc.js";

export interface Head {
  number: number;
  hash: string;
  /** Block timestamp, unix seconds. */
  timestamp: number;
  baseFeePerGas: bigint;
  gasLimit: bigint;
  /**
   * Wall-clock ms when this block was first seen as head: chain time now is about timestamp +
   * elapsed, also while no block is mined (the next block's timestamp will be that, or later).
   */
  readAtMs: number;
}

export interface RequestEvent {
  request: Request;
  input: string;
  blockNumber: number;
}

export interface Poll {
  head: Head;
  events: RequestEvent[];
  /** Set when the chain reorganised below our checkpoint: the block we rewound to. */
  rewoundTo?: number;
  /** More blocks are waiting than one poll takes: poll again at once. */
  behind: boolean;
  /** To record with `journal.setCheckpoint` once `events` are journaled, never before. */
  checkpoint?: Checkpoint;
}

export interface WatcherOptions {
  hub: string;
  confirmations: number;
  logChunkBlocks: number;
  startBlock?: number;
  backfillBlocks: number;
}

interface RawBlock {
  number: string;
  hash: string;
  timestamp: string;
  baseFeePerGas?: string;
  gasLimit?: string;
}

/** How far back to rescan when the chain reorganises under the checkpoint. */
export const REORG_REWIND_BLOCKS = 64;

/**
 * Turns the chain into a stream of `InferenceRequested` events, at most once per block range: it
 * scans from the journal's checkpoint to `confirmations` blocks behind head, and hands back the new
 * checkpoint (block number and hash) for the caller to record after what it returned. When the
 * block under the checkpoint changes hash, or head falls below it, the chain has reorganised: it
 * rewinds and rescans, and the caller re-checks what it had.
 */
export class Watcher {
  private lastHead = Number.MAX_SAFE_INTEGER;
  /** The head block last seen and when it was first seen. */
  private firstSeen: { hash: string; atMs: number } | undefined;

  constructor(
    private readonly rpc: RpcClient,
    private readonly journal: Journal,
    private readonly options: WatcherOptions,
    private readonly logger: Logger,
  ) {}

  async poll(): Promise<Poll> {
    const checkpoint = this.journal.checkpoint;
    const nearHead =
      checkpoint !== undefined &&
      checkpoint.block >= 0 &&
      this.lastHead - checkpoint.block < this.options.logChunkBlocks;
    if (this.options.confirmations === 0 && nearHead) {
      const poll = await this.pollHead(checkpoint);
      if (poll) return poll;
    }
    return this.pollRange();
  }

  /**
   * The common case, following head with no confirmations: head and the checkpoint's block in
   * one JSON-RPC batch, then the logs of the new blocks, if there are any. The log range is
   * bounded by the head just read: a node may refuse a range that starts past its head (anvil
   * does) rather than answer it with nothing. Returns undefined when the checkpoint's block
   * changed: the full path then handles the reorg.
   */
  private async pollHead(checkpoint: Checkpoint): Promise<Poll | undefined> {
    const [latest, atCheckpoint] = await this.rpc.batch<[RawBlock, RawBlock | null]>([
      { method: "eth_getBlockByNumber", params: ["latest", false] },
      { method: "eth_getBlockByNumber", params: [hex(checkpoint.block), false] },
    ]);
    const head = this.toHead(latest);
    this.lastHead = head.number;
    if (atCheckpoint?.hash !== checkpoint.hash || head.number < checkpoint.block) return undefined;
    if (head.number === checkpoint.block) return { head, events: [], behind: false };
    const logs = await this.rpc.request<RawLog[]>("eth_getLogs", [
      {
        address: this.options.hub,
        topics: [TOPICS.InferenceRequested],
        fromBlock: hex(checkpoint.block + 1),
        toBlock: hex(head.number),
      },
    ]);
    const events = logs.filter((log) => !log.removed).map(parseRequested);
    return { head, events, behind: false, checkpoint: { block: head.number, hash: head.hash } };
  }

  /** Head first, then the range to scan: needed with confirmations, when behind, and on reorgs. */
  private async pollRange(): Promise<Poll> {
    const head = this.toHead(
      await this.rpc.request<RawBlock>("eth_getBlockByNumber", ["latest", false]),
    );
    this.lastHead = head.number;
    const target = head.number - this.options.confirmations;
    let checkpoint = this.journal.checkpoint ?? (await this.initialCheckpoint(head));

    let rewoundTo: number | undefined;
    const stillThere =
      checkpoint.block < 0 ||
      (checkpoint.block <= head.number &&
        (checkpoint.block === head.number
          ? head.hash === checkpoint.hash
          : (await this.blockHash(checkpoint.block)) === checkpoint.hash));
    if (!stillThere) {
      rewoundTo = Math.max(-1, Math.min(checkpoint.block, head.number) - REORG_REWIND_BLOCKS);
      this.logger.warn(
        { checkpoint: checkpoint.block, head: head.number, rewoundTo },
        "chain reorganised under the checkpoint; rescanning",
      );
      checkpoint = { block: rewoundTo, hash: rewoundTo < 0 ? "" : await this.blockHash(rewoundTo) };
      this.journal.setCheckpoint(checkpoint);
    }

    const from = checkpoint.block + 1;
    if (target < from) return { head, events: [], rewoundTo, behind: false };
    const to = Math.min(target, from + this.options.logChunkBlocks - 1);
    const [logs, toHash] = await Promise.all([
      this.rpc.request<RawLog[]>("eth_getLogs", [
        {
          address: this.options.hub,
          topics: [TOPICS.InferenceRequested],
          fromBlock: hex(from),
          toBlock: hex(to),
        },
      ]),
      to === head.number ? head.hash : this.blockHash(to),
    ]);
    const events = logs.filter((log) => !log.removed).map(parseRequested);
    return {
      head,
      events,
      rewoundTo,
      behind: to < target,
      checkpoint: { block: to, hash: toHash },
    };
  }

  private toHead(block: RawBlock): Head {
    if (this.firstSeen?.hash !== block.hash)
      this.firstSeen = { hash: block.hash, atMs: Date.now() };
    return {
      number: Number(block.number),
      hash: block.hash,
      timestamp: Number(block.timestamp),
      baseFeePerGas: BigInt(block.baseFeePerGas ?? 0),
      gasLimit: BigInt(block.gasLimit ?? 0),
      readAtMs: this.firstSeen.atMs,
    };
  }

  private async initialCheckpoint(head: Head) {
    const start = this.options.startBlock ?? Math.max(0, head.number - this.options.backfillBlocks);
    this.logger.info({ startBlock: start }, "no checkpoint: scanning from start block");
    const block = start - 1;
    return { block, hash: block < 0 ? "" : await this.blockHash(block) };
  }

  private async blockHash(number: number): Promise<string> {
    const block = await this.rpc.request<RawBlock | null>("eth_getBlockByNumber", [
      hex(number),
      false,
    ]);
    return block?.hash ?? "";
  }
}

function parseRequested(log: RawLog): RequestEvent {
  return { ...decodeRequested(log), blockNumber: Number(log.blockNumber) };
}

const hex = (n: number) => `0x${n.toString(16)}`;
