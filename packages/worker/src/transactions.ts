import { parseUnits } from "ethers";
import type { Logger } from "pino";
import type { Journal, SentTx } from "./journal.js";
import { keccakHex } from "./keccak.js";
import { encodeRlp, quantity, type RlpItem } from "./rlp.js";
import type { DigestSigner } from "./signer.js";
import type { Metrics } from "./metrics.js";
import { GasCapError, TX_GAS_CAP, classifyFailure } from "./limits.js";
import { RpcError, type RpcClient } from "./rpc.js";

export interface RawReceipt {
  transactionHash: string;
  status: string;
  blockNumber: string;
  gasUsed: string;
  logs: { address: string; topics: string[]; data: string }[];
}

export interface TxSenderOptions {
  chainId: bigint;
  gasBumpAfterMs: number;
  gasBumpPercent: number;
  maxFeePerGasGwei: number;
}

/**
 * Sends the worker's transactions and sees them mined. It owns the account's nonce: it counts
 * locally (so several transactions can be in flight), journals each signed transaction before it
 * leaves (so a restart re-sends the same bytes rather than a second transaction), re-signs a stuck
 * one with higher fees under the same nonce, and resynchronises when the node says the nonce is off.
 */
export class TxSender {
  private nonce = 0;
  private tip: { value: bigint; atMs: number } | undefined;
  private baseFee = 0n;
  private blockGasLimit = TX_GAS_CAP;
  private readonly lastResendCheckMs = new Map<string, number>();

  constructor(
    private readonly rpc: RpcClient,
    private readonly account: { address: string; signer: DigestSigner },
    private readonly journal: Journal,
    private readonly options: TxSenderOptions,
    private readonly metrics: Metrics,
    private readonly logger: Logger,
  ) {}

  get address(): string {
    return this.account.address;
  }

  /** Transactions sent and not yet seen mined. */
  get pending(): number {
    return new Set([...this.journal.sentTxs()].map((tx) => tx.nonce)).size;
  }

  async init(): Promise<void> {
    await this.syncNonce();
  }

  /** The base fee of the latest block, kept fresh by the caller's head polling. */
  setBaseFee(baseFee: bigint): void {
    this.baseFee = baseFee;
  }

  /** The latest block's gas limit: with the per-transaction cap, the most one transaction gets. */
  setBlockGasLimit(gasLimit: bigint): void {
    if (gasLimit > 0n) this.blockGasLimit = gasLimit;
  }

  /** The most gas one transaction of ours may ask for. */
  get gasCap(): bigint {
    return this.blockGasLimit < TX_GAS_CAP ? this.blockGasLimit : TX_GAS_CAP;
  }

  /**
   * The gas limit to send `data` with. Throws what the node said when it cannot be sent (a
   * revert, or a `GasCapError` when it needs more than a transaction may carry).
   */
  async estimateGas(to: string, data: string, value = 0n): Promise<bigint> {
    let estimate: bigint;
    try {
      estimate = BigInt(
        await this.rpc.request<string>("eth_estimateGas", [
          { from: this.account.address, to, data, value: `0x${value.toString(16)}` },
        ]),
      );
    } catch (error) {
      if (classifyFailure(error).kind !== "gas") throw error;
      estimate = await this.searchGas(to, data, value);
    }
    const cap = this.gasCap;
    if (estimate > cap) {
      throw new GasCapError(`needs ${estimate} gas, over the ${cap} one transaction may use`);
    }
    // Headroom for state that moves between simulation and inclusion (a cold slot turned warm).
    const padded = (estimate * 6n) / 5n + 10_000n;
    return padded < cap ? padded : cap;
  }

  /**
   * Some nodes refuse to estimate a call in which an inner call runs out of gas whatever the
   * limit (Hardhat does, by design, for a consumer callback that burns all it is given; the hub
   * contains that, so the transaction itself succeeds). Simulating at the cap tells whether the
   * call can succeed at all, and two batches of simulations at spaced limits find about the
   * least it needs.
   */
  private async searchGas(to: string, data: string, value: bigint): Promise<bigint> {
    const cap = this.gasCap;
    const call = (gas: bigint) => ({
      method: "eth_call",
      params: [
        {
          from: this.account.address,
          to,
          data,
          value: `0x${value.toString(16)}`,
          gas: `0x${gas.toString(16)}`,
        },
        "pending",
      ],
    });
    const [atCap] = await this.rpc.batchSettled([call(cap)]);
    if (!atCap.ok) throw atCap.error;
    let low = 21_000n;
    let high = cap;
    for (let round = 0; round < 2; round++) {
      const step = (high - low) / BigInt(SEARCH_POINTS + 1);
      if (step < 1_000n) break;
      const limits = Array.from({ length: SEARCH_POINTS }, (_, i) => low + step * BigInt(i + 1));
      const results = await this.rpc.batchSettled(limits.map(call));
      const first = results.findIndex((result) => result.ok);
      if (first >= 0) high = limits[first];
      if (first !== 0) low = limits[first < 0 ? limits.length - 1 : first - 1];
    }
    this.logger.info({ to, gas: String(high) }, "node would not estimate; gas found by simulation");
    return high;
  }

  /** Signs, journals (durably), then sends. Returns the journaled transaction. */
  async send(
    kind: SentTx["kind"],
    to: string,
    data: string,
    gasLimit: bigint,
    requestIds: string[],
    /** Records what the transaction carries; runs before the journal is flushed and it is sent. */
    record: (tx: SentTx) => void = () => {},
    value = 0n,
  ): Promise<SentTx> {
    const { maxFeePerGas, maxPriorityFeePerGas } = await this.fees();
    const nonce = this.nonce++;
    const tx = this.sign(
      { to, data, gasLimit, nonce, maxFeePerGas, maxPriorityFeePerGas, value },
      kind,
      requestIds,
    );
    record(tx);
    await this.journal.flush();
    await this.broadcast(tx);
    this.metrics.transactions.inc({ kind, outcome: "sent" });
    this.logger.info(
      { kind, hash: tx.hash, nonce, requests: requestIds.length },
      "sent transaction",
    );
    return tx;
  }

  /** Sends a one-off transaction (registration) and waits until it is mined; throws if it reverts. */
  async sendAndWait(kind: SentTx["kind"], to: string, data: string, value = 0n): Promise<void> {
    const gasLimit = await this.estimateGas(to, data, value);
    const tx = await this.send(kind, to, data, gasLimit, [], undefined, value);
    for (;;) {
      const receipt = await this.rpc.request<RawReceipt | null>("eth_getTransactionReceipt", [
        tx.hash,
      ]);
      if (receipt) {
        this.settle(tx);
        await this.journal.flush();
        if (receipt.status !== "0x1") throw new Error(`${kind} transaction ${tx.hash} reverted`);
        return;
      }
      await new Promise((resolve) => setTimeout(resolve, 200));
    }
  }

  /**
   * Looks for receipts of everything in flight; bumps what has waited too long. Returns the mined
   * transactions with their receipts, already removed from the journal (with any same-nonce
   * replacements) once the caller has recorded their effects and flushed.
   */
  async poll(): Promise<{ mined: { tx: SentTx; receipt: RawReceipt }[]; lost: SentTx[] }> {
    const inFlight = [...this.journal.sentTxs()];
    if (inFlight.length === 0) return { mined: [], lost: [] };
    const receipts = await this.rpc.batch<(RawReceipt | null)[]>(
      inFlight.map((tx) => ({ method: "eth_getTransactionReceipt", params: [tx.hash] })),
    );
    const mined: { tx: SentTx; receipt: RawReceipt }[] = [];
    const minedNonces = new Set<number>();
    inFlight.forEach((tx, i) => {
      const receipt = receipts[i];
      if (receipt) {
        mined.push({ tx, receipt });
        minedNonces.add(tx.nonce);
      }
    });
    const lost: SentTx[] = [];
    for (const tx of inFlight) {
      if (minedNonces.has(tx.nonce) || !this.isNewest(tx)) continue;
      const waitedMs = Date.now() - tx.sentAtMs;
      if (waitedMs >= this.options.gasBumpAfterMs) await this.bump(tx);
      else if (
        waitedMs >= RESEND_CHECK_MS &&
        this.dueForResendCheck(tx) &&
        !(await this.resendIfUnknown(tx))
      ) {
        lost.push(tx);
      }
    }
    return { mined, lost };
  }

  /** Forgets a mined transaction and every replacement that shared its nonce. */
  settle(tx: SentTx): void {
    for (const other of [...this.journal.sentTxs()]) {
      if (other.nonce !== tx.nonce) continue;
      this.journal.removeTx(other.hash);
      this.lastResendCheckMs.delete(other.hash);
    }
  }

  /**
   * After a restart: each journaled transaction is either known to the node (wait for it) or
   * re-sent byte for byte. A nonce the chain has already used means another of our transactions
   * took it: the caller re-checks the requests it carried.
   */
  async recover(): Promise<SentTx[]> {
    const lost: SentTx[] = [];
    for (const tx of [...this.journal.sentTxs()]) {
      if (!(await this.resendIfUnknown(tx))) lost.push(tx);
    }
    await this.syncNonce();
    return lost;
  }

  /**
   * Re-sends a transaction the node does not know (it restarted, or the send never arrived).
   * Returns false when the node refuses it: its nonce is taken, so it will never be mined.
   */
  private async resendIfUnknown(tx: SentTx): Promise<boolean> {
    const known = await this.rpc.request<unknown>("eth_getTransactionByHash", [tx.hash]);
    if (known) return true;
    const receipt = await this.rpc.request<unknown>("eth_getTransactionReceipt", [tx.hash]);
    if (receipt) return true;
    try {
      await this.broadcast(tx);
      this.journal.putTx({ ...tx, sentAtMs: Date.now() });
      this.logger.info(
        { hash: tx.hash, nonce: tx.nonce, kind: tx.kind },
        "re-sent a transaction the node did not know",
      );
      return true;
    } catch (error) {
      if (error instanceof RpcError) return false;
      throw error;
    }
  }

  private dueForResendCheck(tx: SentTx): boolean {
    const last = this.lastResendCheckMs.get(tx.hash) ?? 0;
    if (Date.now() - last < RESEND_CHECK_MS) return false;
    this.lastResendCheckMs.set(tx.hash, Date.now());
    return true;
  }

  private isNewest(tx: SentTx): boolean {
    return ![...this.journal.sentTxs()].some(
      (other) => other.nonce === tx.nonce && other.sentAtMs > tx.sentAtMs,
    );
  }

  private async bump(tx: SentTx): Promise<void> {
    const raise = (wei: string) => (BigInt(wei) * BigInt(100 + this.options.gasBumpPercent)) / 100n;
    const cap = parseUnits(String(this.options.maxFeePerGasGwei), "gwei");
    const maxFeePerGas = raise(tx.maxFeePerGas);
    if (maxFeePerGas > cap) {
      this.logger.error(
        { hash: tx.hash, nonce: tx.nonce, capGwei: this.options.maxFeePerGasGwei },
        "transaction stuck at the fee cap; raise maxFeePerGasGwei to bump it",
      );
      return;
    }
    const decoded = await this.rpc.request<{
      to: string;
      input: string;
      gas: string;
      value: string;
    } | null>("eth_getTransactionByHash", [tx.hash]);
    if (decoded === null) return; // dropped by the node: recover() re-sends it on the next start
    const replacement = this.sign(
      {
        value: BigInt(decoded.value),
        to: decoded.to,
        data: decoded.input,
        gasLimit: BigInt(decoded.gas),
        nonce: tx.nonce,
        maxFeePerGas,
        maxPriorityFeePerGas: raise(tx.maxPriorityFeePerGas),
      },
      tx.kind,
      tx.requestIds,
    );
    await this.journal.flush();
    try {
      await this.broadcast(replacement);
    } catch (error) {
      // Most likely the original was mined meanwhile; the next poll sees its receipt.
      if (!(error instanceof RpcError)) throw error;
      this.logger.info({ hash: tx.hash, reason: error.message }, "gas bump refused by the node");
      return;
    }
    this.logger.warn(
      { hash: tx.hash, replacement: replacement.hash, nonce: tx.nonce },
      "gas bump: transaction not mined in time",
    );
    this.metrics.transactions.inc({ kind: tx.kind, outcome: "bumped" });
  }

  /**
   * Signs an EIP-1559 transaction and journals it. Written out (RLP on hex, js-sha3, the digest
   * signer) rather than through ethers' Wallet: a 64-result batch is ~100 KB of calldata, hashed
   * twice, and ethers' generic path cost several milliseconds per batch.
   */
  private sign(
    fields: {
      to: string;
      data: string;
      value: bigint;
      gasLimit: bigint;
      nonce: number;
      maxFeePerGas: bigint;
      maxPriorityFeePerGas: bigint;
    },
    kind: SentTx["kind"],
    requestIds: string[],
  ): SentTx {
    const body: RlpItem[] = [
      quantity(this.options.chainId),
      quantity(fields.nonce),
      quantity(fields.maxPriorityFeePerGas),
      quantity(fields.maxFeePerGas),
      quantity(fields.gasLimit),
      fields.to.slice(2).toLowerCase(),
      quantity(fields.value),
      fields.data.slice(2),
      [], // access list
    ];
    const signature = this.account.signer.sign(keccakHex(`0x02${encodeRlp(body)}`)).slice(2);
    const r = BigInt(`0x${signature.slice(0, 64)}`);
    const s = BigInt(`0x${signature.slice(64, 128)}`);
    const yParity = parseInt(signature.slice(128), 16) - 27;
    const raw = `0x02${encodeRlp([...body, quantity(yParity), quantity(r), quantity(s)])}`;
    const tx: SentTx = {
      hash: keccakHex(raw),
      nonce: fields.nonce,
      raw,
      requestIds,
      kind,
      sentAtMs: Date.now(),
      maxFeePerGas: fields.maxFeePerGas.toString(),
      maxPriorityFeePerGas: fields.maxPriorityFeePerGas.toString(),
    };
    this.journal.putTx(tx);
    return tx;
  }

  private async broadcast(tx: SentTx): Promise<void> {
    try {
      await this.rpc.request<string>("eth_sendRawTransaction", [tx.raw]);
    } catch (error) {
      if (!(error instanceof RpcError)) throw error;
      // A node that mines on arrival reports a revert as a send error, but the transaction is in
      // a block; "already known" means an earlier attempt arrived. Either way the receipt decides.
      if (/already known|reverted|known transaction/i.test(error.message)) return;
      // Refused (underfunded, nonce off): it never existed, and the next nonce is the chain's.
      this.journal.removeTx(tx.hash);
      await this.syncNonce();
      throw error;
    }
  }

  private async syncNonce(): Promise<void> {
    const onChain = Number(
      await this.rpc.request<string>("eth_getTransactionCount", [this.account.address, "pending"]),
    );
    const journaled = [...this.journal.sentTxs()].map((tx) => tx.nonce + 1);
    this.nonce = Math.max(onChain, ...journaled);
  }

  private async fees(): Promise<{ maxFeePerGas: bigint; maxPriorityFeePerGas: bigint }> {
    if (this.tip === undefined || Date.now() - this.tip.atMs > 10_000) {
      const tip = await this.rpc
        .request<string>("eth_maxPriorityFeePerGas")
        .catch(() => "0x3b9aca00");
      this.tip = { value: BigInt(tip), atMs: Date.now() };
    }
    const cap = parseUnits(String(this.options.maxFeePerGasGwei), "gwei");
    const maxPriorityFeePerGas = this.tip.value < cap ? this.tip.value : cap;
    // Twice the base fee survives six full blocks of base-fee growth before a bump is needed.
    const wanted = this.baseFee * 2n + maxPriorityFeePerGas;
    return { maxFeePerGas: wanted < cap ? wanted : cap, maxPriorityFeePerGas };
  }
}

/** Simulations per batch when the node will not estimate: two batches land within cap / 289. */
const SEARCH_POINTS = 16;

/** How long a sent transaction may be missing from the node before it is re-sent. */
const RESEND_CHECK_MS = 3_000;
