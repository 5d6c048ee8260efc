import { readFile } from "node:fs/promises";
import { createServer, type Server } from "node:http";
import { join } from "node:path";
import type { AddressInfo, Socket } from "node:net";
import type { NonceManager } from "ethers";
import { ZeroAddress, sha256, type Signer } from "ethers";
import {
  ProofMode,
  RequestStatus,
  encodeTensor,
  parseRequestedEvent,
  type Request,
  dequantize,
  quantize,
} from "@verity/contracts";
import { ACCOUNTS, registerLikeSample, type Devnet, type WorkerProcess } from "@verity/devnet";
import { runFloat, sampleModel, type SampleModelName } from "@verity/models";

/** The fixed-point input a sample model's `sampleInput(seed)` gives, encoded for the hub. */
export function sampleInput(name: SampleModelName, seed: number): string {
  const model = sampleModel(name);
  return encodeTensor(model.inputShape, quantize(model.sampleInput(seed), model.decimals));
}

/** What an honest worker must answer: the float64 reference forward pass, quantized. */
export function expectedOutput(name: SampleModelName, input: readonly number[]): number[] {
  const model = sampleModel(name);
  const real = dequantize(input, model.decimals);
  return quantize(Array.from(runFloat(model.graph, Float32Array.from(real))), model.decimals);
}

export interface RequestOptions {
  modelId?: string;
  proofMode?: ProofMode;
  deadlineSeconds?: number;
  assignee?: string;
  from?: Signer;
}

/** Sends `requestInference` for `input` (hex tensor bytes) and returns the request as committed. */
export async function request(
  devnet: Devnet,
  model: SampleModelName,
  input: string,
  options: RequestOptions = {},
): Promise<Request> {
  const modelId = options.modelId ?? devnet.models[model].modelId;
  const hub = devnet.hub.connect(options.from ?? devnet.signer(ACCOUNTS.requester));
  const now = (await devnet.provider.getBlock("latest"))!.timestamp;
  const value = await hub.quote(modelId, 0);
  const send = hub.requestInference(
    modelId,
    input,
    options.proofMode ?? ProofMode.ATTESTED,
    options.assignee ?? ZeroAddress,
    ZeroAddress,
    0,
    now + (options.deadlineSeconds ?? 3600),
    { value },
  );
  // A send the node refuses consumed no nonce: tell the nonce manager, or every later send fails.
  const tx = await send.catch((error: unknown) => {
    (hub.runner as NonceManager).reset();
    throw error;
  });
  const receipt = await tx.wait();
  return parseRequestedEvent(receipt!, hub).request;
}

/**
 * Sends one request per input, one after another: a node that mines on arrival refuses a nonce
 * that overtakes an earlier one, which concurrent sends from one account would do.
 */
export async function requestAll(
  devnet: Devnet,
  model: SampleModelName,
  inputs: readonly string[],
  options: RequestOptions = {},
): Promise<Request[]> {
  const requests: Request[] = [];
  for (const input of inputs) requests.push(await request(devnet, model, input, options));
  return requests;
}

/** Polls the hub until every id has one of `statuses`; returns their statuses. */
export async function waitForStatus(
  devnet: Devnet,
  ids: readonly bigint[],
  statuses: readonly RequestStatus[],
  timeoutMs = 30_000,
): Promise<RequestStatus[]> {
  const until = Date.now() + timeoutMs;
  for (;;) {
    const now = await Promise.all(ids.map((id) => devnet.hub.requestStatus(id)));
    const asNumbers = now.map((status) => Number(status) as RequestStatus);
    if (asNumbers.every((status) => statuses.includes(status))) return asNumbers;
    if (Date.now() > until) {
      throw new Error(`requests ${ids.join(", ")} still in statuses ${asNumbers.join(", ")}`);
    }
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

/** The hub's events about `id`, by name: how many times each happened. */
export async function eventCounts(devnet: Devnet, id: bigint): Promise<Record<string, number>> {
  const counts: Record<string, number> = {};
  for (const name of [
    "RequestSettled",
    "RequestFailed",
    "RequestRefunded",
    "ResultSubmitted",
    "ResultSkipped",
  ] as const) {
    const filter = devnet.hub.filters[name](id);
    counts[name] = (await devnet.hub.queryFilter(filter, 0, "latest")).length;
  }
  return counts;
}

/** The output bytes the hub settled `id` with (from RequestSettled's transaction). */
export async function settledOutput(devnet: Devnet, id: bigint): Promise<string> {
  const [event] = await devnet.hub.queryFilter(devnet.hub.filters.ResultSubmitted(id), 0, "latest");
  if (!event) throw new Error(`request ${id} has no ResultSubmitted event`);
  return event.args.output;
}

/** Advances the chain's clock and mines a block, so deadlines pass. */
export async function advanceTime(devnet: Devnet, seconds: number): Promise<void> {
  await devnet.node.rpc("evm_increaseTime", [seconds]);
  await devnet.node.rpc("evm_mine");
}

/**
 * Registers `bytes` as a model (id = its SHA-256) with `uri`, which need not serve those bytes:
 * the way to test what a worker does with a model it cannot get or cannot trust.
 */
export async function registerModel(
  devnet: Devnet,
  bytes: Uint8Array,
  uri: string,
  like: SampleModelName = "credit-risk",
): Promise<string> {
  const modelId = sha256(bytes);
  await registerLikeSample(
    devnet.modelRegistry.connect(devnet.signer(ACCOUNTS.modelOwner)),
    like,
    modelId,
    uri,
  );
  return modelId;
}

/** A local HTTP server with one handler per path, for model uris that misbehave. */
export async function startModelServer(
  routes: Record<string, (respond: (status: number, body?: Uint8Array) => void) => void>,
): Promise<{ url: string; server: Server; close(): Promise<void> }> {
  const open = new Set<Socket>();
  const server = createServer((req, res) => {
    const route = routes[req.url ?? ""];
    if (!route) return void res.writeHead(404).end();
    route((status, body) => res.writeHead(status).end(body));
  });
  server.on("connection", (socket) => {
    open.add(socket);
    socket.on("close", () => open.delete(socket));
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    server,
    close: () =>
      new Promise<void>((resolve) => {
        for (const socket of open) socket.destroy();
        server.close(() => resolve());
      }),
  };
}

export const SETTLED = [RequestStatus.Settled];

/**
 * Asks `/healthz` every `everyMs` until stopped; `statuses` has every answer (0: no answer) from
 * the first 200 on, so that a worker still starting up does not count. For asserting that health
 * stayed steady through something, not only that it is fine at the end.
 */
export function sampleHealth(
  url: string,
  everyMs = 100,
): { statuses: number[]; stop(): Promise<void> } {
  const statuses: number[] = [];
  let running = true;
  const loop = (async () => {
    while (running) {
      const status = await fetch(`${url}/healthz`).then(
        (r) => r.status,
        () => 0,
      );
      if (status === 200 || statuses.length > 0) statuses.push(status);
      await new Promise((resolve) => setTimeout(resolve, everyMs));
    }
  })();
  return {
    statuses,
    stop: async () => {
      running = false;
      await loop;
    },
  };
}

/** The worker's journal as it would replay: the last state of each request, by id. */
export async function journalEntries(
  dataDir: string,
): Promise<Map<string, Record<string, unknown>>> {
  const text = await readFile(join(dataDir, "journal.jsonl"), "utf8");
  const entries = new Map<string, Record<string, unknown>>();
  for (const line of text.split("\n")) {
    if (line === "") continue;
    const parsed = JSON.parse(line) as { t: string; e?: { request: { id: { $n: string } } } };
    if (parsed.t === "entry" && parsed.e) entries.set(parsed.e.request.id.$n, parsed.e);
  }
  return entries;
}

/** Log lines at pino's error level or above. */
export function errorLines(worker: WorkerProcess): Record<string, unknown>[] {
  return worker.logs.filter((line) => Number(line.level) >= 50);
}
