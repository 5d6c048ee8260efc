/**
 * Worker benchmark: a `hardhat node` process, Verity deployed, the tabular sample model registered,
 * one `verity-worker` process, and N ATTESTED requests with a zero challenge window. Writes
 * `reports/worker-bench.json` and prints it.
 *
 *   pnpm bench:worker                              2,000 requests as fast as they can be sent,
 *                                                  then 10 s paced at 100 requests a second
 *   VERITY_BENCH_REQUESTS=5000 VERITY_BENCH_RATE=200 pnpm bench:worker
 *
 * Two phases, because they answer two questions:
 * - throughput: every request fired at once (pre-signed, JSON-RPC batches of 100); the worker's
 *   `settledPerSecond` is the requests divided by the time from the first request mined to the
 *   last one settled.
 * - latency: requests paced at a steady rate below capacity; each request's latency runs from the
 *   moment its transaction is mined (the node answers a send only once it has mined it) to the
 *   moment its `RequestSettled` log is seen (the harness polls every 5 ms).
 * CPU and memory are the worker process's own (its Prometheus process metrics), and the raw
 * onnxruntime time is measured here on the same model with the same session settings.
 */
import { mkdir, writeFile } from "node:fs/promises";
import { cpus } from "node:os";
import { Wallet, ZeroAddress } from "ethers";
import { ProofMode, encodeTensor, quantize } from "@verity/contracts";
import { ACCOUNTS, devAccount, spawnWorker, startDevnet, type Devnet } from "@verity/devnet";
import { sampleModel } from "@verity/models";
import { CANONICAL_EXECUTOR, openCanonicalSession } from "@verity/runtime";

const REQUESTS = Number(process.env.VERITY_BENCH_REQUESTS ?? 2_000);
const RATE = Number(process.env.VERITY_BENCH_RATE ?? 100);
const PACED_SECONDS = Number(process.env.VERITY_BENCH_PACED_SECONDS ?? 10);
const SENDERS = 8;
const REPORT = new URL("../reports/worker-bench.json", import.meta.url);
const MODEL = "credit-risk" as const;

/** Pre-signs requestInference transactions across several accounts and fires them in batches. */
class Sender {
  private readonly nonces: number[];
  private nextId: bigint;
  private seed = 0;

  private constructor(
    private readonly devnet: Devnet,
    private readonly wallets: Wallet[],
    nonces: number[],
    firstId: bigint,
    private readonly value: bigint,
    private readonly hub: string,
  ) {
    this.nonces = nonces;
    this.nextId = firstId;
  }

  static async create(devnet: Devnet): Promise<Sender> {
    const wallets = Array.from(
      { length: SENDERS },
      (_, i) => new Wallet(devAccount(ACCOUNTS.requester + i).privateKey),
    );
    const nonces = await Promise.all(
      wallets.map((w) => devnet.provider.getTransactionCount(w.address, "pending")),
    );
    const value = await devnet.hub.quote(devnet.models[MODEL].modelId, 0);
    return new Sender(
      devnet,
      wallets,
      nonces,
      await devnet.hub.nextRequestId(),
      value,
      await devnet.hub.getAddress(),
    );
  }

  /** `count` signed transactions, each with the request id it will get (ids follow mining order). */
  sign(count: number): { id: bigint; raw: Promise<string> }[] {
    const model = sampleModel(MODEL);
    const deadline = Math.floor(Date.now() / 1000) + 24 * 3600 - 60;
    return Array.from({ length: count }, () => {
      const input = encodeTensor(
        model.inputShape,
        quantize(model.sampleInput(this.seed++), model.decimals),
      );
      const data = this.devnet.hub.interface.encodeFunctionData("requestInference", [
        this.devnet.models[MODEL].modelId,
        input,
        ProofMode.ATTESTED,
        ZeroAddress,
        ZeroAddress,
        0,
        deadline,
      ]);
      const which = this.seed % SENDERS;
      const raw = this.wallets[which].signTransaction({
        type: 2,
        chainId: this.devnet.chainId,
        nonce: this.nonces[which]++,
        to: this.hub,
        data,
        value: this.value,
        gasLimit: 200_000n,
        maxFeePerGas: 20_000_000_000n,
        maxPriorityFeePerGas: 1_000_000_000n,
      });
      return { id: this.nextId++, raw };
    });
  }

  /** Sends in JSON-RPC batches of 100; returns when each request was mined (its send answered). */
  async fire(signed: { id: bigint; raw: Promise<string> }[]): Promise<Map<bigint, number>> {
    const mined = new Map<bigint, number>();
    for (let i = 0; i < signed.length; i += 100) {
      const chunk = signed.slice(i, i + 100);
      const raws = await Promise.all(chunk.map((s) => s.raw));
      const response = await fetch(this.devnet.node.url, {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify(
          raws.map((raw, j) => ({
            jsonrpc: "2.0",
            id: j,
            method: "eth_sendRawTransaction",
            params: [raw],
          })),
        ),
      });
      const answers = (await response.json()) as { error?: { message: string } }[];
      const at = Date.now();
      const failed = answers.find((a) => a.error);
      if (failed) throw new Error(`request not accepted: ${failed.error!.message}`);
      for (const s of chunk) mined.set(s.id, at);
    }
    return mined;
  }
}

/** Polls RequestSettled logs every 5 ms and notes when each request was first seen settled. */
class SettlementWatcher {
  settledAt = new Map<bigint, number>();
  private running = false;
  private fromBlock = 0;
  private loop: Promise<void> | undefined;

  constructor(private readonly devnet: Devnet) {}

  start() {
    this.running = true;
    const topic = this.devnet.hub.interface.getEvent("RequestSettled").topicHash;
    this.loop = (async () => {
      const hub = await this.devnet.hub.getAddress();
      while (this.running) {
        const logs = await this.devnet.node.rpc<{ topics: string[]; blockNumber: string }[]>(
          "eth_getLogs",
          [
            {
              address: hub,
              topics: [topic],
              fromBlock: `0x${this.fromBlock.toString(16)}`,
              toBlock: "latest",
            },
          ],
        );
        const at = Date.now();
        for (const log of logs) {
          const id = BigInt(log.topics[1]);
          if (!this.settledAt.has(id)) this.settledAt.set(id, at);
          this.fromBlock = Math.max(this.fromBlock, Number(log.blockNumber) + 1);
        }
        await new Promise((resolve) => setTimeout(resolve, 5));
      }
    })();
  }

  reset() {
    this.settledAt = new Map();
  }

  async waitFor(count: number, timeoutMs = 600_000) {
    const until = Date.now() + timeoutMs;
    while (this.settledAt.size < count) {
      if (Date.now() > until)
        throw new Error(`only ${this.settledAt.size} of ${count} requests settled`);
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
  }

  stop() {
    this.running = false;
    return this.loop;
  }
}

function latencies(mined: Map<bigint, number>, settled: Map<bigint, number>) {
  const values = [...mined].map(([id, at]) => settled.get(id)! - at).sort((a, b) => a - b);
  const pick = (q: number) => values[Math.min(values.length - 1, Math.floor(q * values.length))];
  return { p50: pick(0.5), p95: pick(0.95), p99: pick(0.99), max: values[values.length - 1] };
}

async function processMetrics(url: string) {
  const text = await (await fetch(url)).text();
  const read = (name: string) =>
    Number(new RegExp(`^${name} ([0-9.e+-]+)`, "m").exec(text)?.[1] ?? NaN);
  return {
    cpuSeconds: read("verity_worker_process_cpu_seconds_total"),
    rssBytes: read("verity_worker_process_resident_memory_bytes"),
  };
}

/** Raw canonical-executor time per call on the same model, in this process, batch 1. */
async function executorMicroseconds(): Promise<number> {
  const model = sampleModel(MODEL);
  const session = await openCanonicalSession(model.bytes);
  const input = Float32Array.from(model.sampleInput(1));
  for (let i = 0; i < 500; i++) await session.run(input, model.inputShape);
  const runs = 5_000;
  const start = process.hrtime.bigint();
  for (let i = 0; i < runs; i++) await session.run(input, model.inputShape);
  const us = Number(process.hrtime.bigint() - start) / 1000 / runs;
  await session.release();
  return us;
}

function round(value: number, digits = 1) {
  const scale = 10 ** digits;
  return Math.round(value * scale) / scale;
}

async function main(): Promise<number> {
  const devnet = await startDevnet({ models: [MODEL] });
  const worker = await spawnWorker(devnet, {
    settings: { pollIntervalMs: 10, logLevel: "warn", maxBatchSize: 64, maxPendingTxs: 4 },
  });
  let exitCode = 0;
  try {
    await worker.httpUrl();
    const metricsUrl = `${await worker.httpUrl()}/metrics`;
    const sender = await Sender.create(devnet);
    const watcher = new SettlementWatcher(devnet);
    watcher.start();

    // Warm up: the model download and session creation are not what we measure.
    await sender.fire(sender.sign(20));
    await watcher.waitFor(20);
    watcher.reset();

    const before = await processMetrics(metricsUrl);
    const burst = sender.sign(REQUESTS);
    const burstMined = await sender.fire(burst);
    const fireMs = Math.max(...burstMined.values()) - Math.min(...burstMined.values());
    await watcher.waitFor(REQUESTS);
    const after = await processMetrics(metricsUrl);
    const firstMined = Math.min(...burstMined.values());
    const lastSettled = Math.max(...watcher.settledAt.values());
    const settledPerSecond = REQUESTS / ((lastSettled - firstMined) / 1000);
    const workerCpuMsPerRequest = ((after.cpuSeconds - before.cpuSeconds) * 1000) / REQUESTS;
    const burstLatency = latencies(burstMined, watcher.settledAt);
    watcher.reset();

    const pacedCount = RATE * PACED_SECONDS;
    const paced = sender.sign(pacedCount);
    const pacedMined = new Map<bigint, number>();
    const batch = Math.max(1, Math.round(RATE / 50)); // a batch every 20 ms
    for (let i = 0; i < paced.length; i += batch) {
      const startedAt = Date.now();
      for (const [id, at] of await sender.fire(paced.slice(i, i + batch))) pacedMined.set(id, at);
      const wait = (batch / RATE) * 1000 - (Date.now() - startedAt);
      if (wait > 0) await new Promise((resolve) => setTimeout(resolve, wait));
    }
    await watcher.waitFor(pacedCount);
    const pacedLatency = latencies(pacedMined, watcher.settledAt);
    watcher.stop();

    const rawUs = await executorMicroseconds();
    const report = {
      when: new Date().toISOString(),
      machine: { cpus: cpus().length, node: process.version },
      model: MODEL,
      proofMode: "ATTESTED",
      challengeWindowSeconds: 0,
      worker: { pollIntervalMs: 10, maxBatchSize: 64, maxPendingTxs: 4 },
      burst: { requests: REQUESTS, sendMs: fireMs, latencyMs: burstLatency },
      paced: { requestsPerSecond: RATE, requests: pacedCount, latencyMs: pacedLatency },
      settledPerSecond: round(settledPerSecond),
      latencyMs: pacedLatency,
      workerCpuMsPerRequest: round(workerCpuMsPerRequest, 3),
      workerCpuMsPerRequestBeyondInference: round(workerCpuMsPerRequest - rawUs / 1000, 3),
      rssMb: round(after.rssBytes / 2 ** 20),
      executorUsPerInference: round(rawUs, 1),
      executor: CANONICAL_EXECUTOR,
    };
    await mkdir(new URL(".", REPORT), { recursive: true });
    await writeFile(REPORT, JSON.stringify(report, null, 2) + "\n");
    console.log(JSON.stringify(report, null, 2));
    console.log(`\nwrote ${REPORT.pathname}`);
  } catch (error) {
    console.error(error);
    console.error(worker.stderr());
    exitCode = 1;
  } finally {
    await worker.stop();
    await devnet.stop();
  }
  return exitCode;
}

process.exit(await main());
