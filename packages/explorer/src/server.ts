import { createReadStream } from "node:fs";
import { stat } from "node:fs/promises";
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { extname, join, normalize } from "node:path";
import { findHubAddress } from "@verity/contracts/deployments";
import { canonicalWasmPath } from "@verity/runtime";
import { BaseError, DEFAULT_RPC_URL, verifyResult, type VerificationReceipt } from "@verity/sdk";
import { createModelRunner } from "@verity/runtime";
import type { ModelRunner } from "@verity/contracts";
import {
  EXECUTOR_WASM_PATH,
  MODEL_RELAY_PATH,
  isProblem,
  type ExplorerConfig,
  type JsonReceipt,
  type Problem,
  type VerifyResponse,
} from "./api.js";
import { DEFAULT_DIST_DIR, buildApp } from "./build.js";
import { createConnection, type Connection } from "./connection.js";
import { readWorkerEndpoint, type WorkerEndpoint } from "./metrics.js";
import { createModelRelay } from "./relay.js";

/** The port `npm run explorer` listens on unless told otherwise: next to a node's 8545. */
export const DEFAULT_EXPLORER_PORT = 8555;

export interface ExplorerOptions {
  /** JSON-RPC endpoint the page reads; default `VERITY_RPC_URL` or `http://127.0.0.1:8545`. */
  rpcUrl?: string;
  /** The InferenceHub; default `VERITY_HUB_ADDRESS`, else the Ignition deployment of the node's chain. */
  hubAddress?: string;
  /** Refuse any other chain. */
  chainId?: bigint | number;
  /** First block searched for events; default 0. */
  fromBlock?: number;
  /** How often the page polls, in ms; default 1000. */
  pollIntervalMs?: number;
  /** Workers' `/healthz` + `/metrics` base URLs; default the worker's default, 127.0.0.1:9464. */
  workerEndpoints?: readonly WorkerEndpoint[];
  /**
   * An IPFS gateway that sends CORS headers: the page fetches `ipfs://` models from it directly
   * (and the CSP allows it). Default `VERITY_IPFS_GATEWAY`; without one, `ipfs://` models come
   * through the relay, which uses `http://127.0.0.1:8080/ipfs/`.
   */
  ipfsGateway?: string;
  /** Port on 127.0.0.1; 0 picks a free one. Default 8555. */
  port?: number;
  /** Where the built page is; built there first when missing or stale. */
  distDir?: string;
}

/** A running explorer. */
export interface Explorer {
  /** `http://127.0.0.1:<port>/` */
  url: string;
  server: Server;
  close(): Promise<void>;
}

const CONTENT_TYPES: Record<string, string> = {
  ".html": "text/html; charset=utf-8",
  ".js": "text/javascript; charset=utf-8",
  ".css": "text/css; charset=utf-8",
  ".svg": "image/svg+xml",
  ".png": "image/png",
  ".ico": "image/x-icon",
  ".wasm": "application/wasm",
};

/** The relay's gateway for `ipfs://` uris when none is configured: a local IPFS node's. */
const LOCAL_IPFS_GATEWAY = "http://127.0.0.1:8080/ipfs/";

/**
 * Starts the explorer: builds the page if needed and serves it on 127.0.0.1, with
 * - `GET api/config`: the RPC URL and hub the page reads (the page talks to that node directly);
 * - `GET api/workers`: each configured worker's `/healthz` and `/metrics`, read here because a
 *   page may not fetch another origin that sends no CORS headers;
 * - `GET executor/ort-wasm-simd-threaded.wasm` and `GET api/models/<modelId>` (the relay,
 *   `relay.ts`): the bytes the page verifies with. "Verify independently" runs in the page: it
 *   checks the `.wasm` and each model file against their pinned hashes itself, so the verdict
 *   trusts neither this server nor the hosts the bytes come from;
 * - `POST api/verify/:id`: the same verification on this server (the SDK's `verifyResult` in
 *   Node), for scripts that want a receipt without a browser.
 *
 * @example
 * const explorer = await startExplorer({ rpcUrl: devnet.node.url, hubAddress });
 * console.log(`open ${explorer.url}`);
 * await explorer.close();
 */
export async function startExplorer(options: ExplorerOptions = {}): Promise<Explorer> {
  const rpcUrl = options.rpcUrl ?? process.env.VERITY_RPC_URL ?? DEFAULT_RPC_URL;
  const configuredHub = options.hubAddress ?? process.env.VERITY_HUB_ADDRESS;
  const distDir = options.distDir ?? DEFAULT_DIST_DIR;
  const endpoints = options.workerEndpoints ?? [{ url: "http://127.0.0.1:9464" }];
  const ipfsGateway = options.ipfsGateway ?? process.env.VERITY_IPFS_GATEWAY;
  await buildApp({ outDir: distDir });

  const connection = createConnection({
    rpcUrl,
    chainId: options.chainId,
    fromBlock: options.fromBlock,
    hub: () => resolveHub(rpcUrl, configuredHub),
  });
  const verifier = createVerifier(connection);
  const relay = createModelRelay({ connection, ipfsGateway: ipfsGateway ?? LOCAL_IPFS_GATEWAY });
  const csp = contentSecurityPolicy(rpcUrl, ipfsGateway);

  const config = async (): Promise<ExplorerConfig> => {
    const hub = await resolveHub(rpcUrl, configuredHub);
    return {
      rpcUrl,
      ipfsGateway,
      hubAddress: hub.address,
      chainId: options.chainId === undefined ? undefined : String(options.chainId),
      fromBlock: options.fromBlock ?? 0,
      pollIntervalMs: options.pollIntervalMs ?? 1_000,
      problem: hub.problem,
    };
  };

  const server = createServer((req, res) => {
    handle(req, res).catch((error: unknown) => {
      if (!res.headersSent) sendJson(res, 500, { problem: toProblem(error) });
      else res.destroy();
    });
  });

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const path = decodeURIComponent(new URL(req.url ?? "/", "http://localhost").pathname);
    if (path === "/api/config" && req.method === "GET") {
      return sendJson(res, 200, await config());
    }
    if (path === "/api/workers" && req.method === "GET") {
      return sendJson(res, 200, await Promise.all(endpoints.map((e) => readWorkerEndpoint(e))));
    }
    if (path.startsWith(`/${MODEL_RELAY_PATH}`) && req.method === "GET") {
      const modelId = path.slice(MODEL_RELAY_PATH.length + 1);
      if (!/^0x[0-9a-fA-F]{64}$/.test(modelId)) {
        return sendJson(res, 404, {
          problem: { title: "Not a model id", message: `${path}: expected 0x and 64 hex digits` },
        });
      }
      return relay(modelId.toLowerCase(), res);
    }
    if (path === `/${EXECUTOR_WASM_PATH}` && (req.method === "GET" || req.method === "HEAD")) {
      return sendStatic(res, canonicalWasmPath(), path, csp);
    }
    const verify = /^\/api\/verify\/(\d+)$/.exec(path);
    if (verify && req.method === "POST") {
      // Only the explorer's own page may start a (CPU-bound) re-execution.
      const origin = req.headers.origin;
      if (origin !== undefined && origin !== `http://${req.headers.host}`) {
        return sendJson(res, 403, { problem: { title: "Forbidden", message: "cross-origin" } });
      }
      return sendJson(res, 200, await verifier.verify(BigInt(verify[1])));
    }
    if (path.startsWith("/api/")) {
      return sendJson(res, 404, { problem: { title: "Not found", message: `no ${path}` } });
    }
    if (path === "/favicon.ico") {
      res.writeHead(204).end();
      return;
    }
    if (req.method !== "GET" && req.method !== "HEAD") {
      res.writeHead(405, { allow: "GET, HEAD" }).end();
      return;
    }
    await sendFile(res, distDir, path === "/" ? "/index.html" : path, csp);
  }

  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(options.port ?? DEFAULT_EXPLORER_PORT, "127.0.0.1", resolve);
  });
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}/`,
    server,
    close: async () => {
      server.closeAllConnections();
      await new Promise((resolve) => server.close(resolve));
      await verifier.close();
      connection.close();
    },
  };
}

/** The hub to read: the configured one, else the Ignition deployment of the node's chain. */
async function resolveHub(
  rpcUrl: string,
  configured: string | undefined,
): Promise<{ address?: string; problem?: Problem }> {
  if (configured !== undefined) return { address: configured };
  let chainId: bigint;
  try {
    const response = await fetch(rpcUrl, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ jsonrpc: "2.0", id: 1, method: "eth_chainId", params: [] }),
      signal: AbortSignal.timeout(3_000),
    });
    chainId = BigInt(((await response.json()) as { result: string }).result);
  } catch {
    return {}; // no node: the page connects itself and says so, with the SDK's words
  }
  try {
    return { address: findHubAddress(chainId, rpcUrl).address };
  } catch (error) {
    return {
      problem: {
        title: "No Verity deployment known for this chain",
        message: `The node at ${rpcUrl} is chain ${chainId}, and no InferenceHub is recorded for it.`,
        fix:
          "start the explorer with --hub-address (or VERITY_HUB_ADDRESS) set to the hub that " +
          `\`verity devnet\` printed, or deploy Verity there. (${String((error as Error).message).split(":")[0]})`,
      },
    };
  }
}

/**
 * Runs `verifyResult` on the server, for `POST api/verify/:id`: one model runner (an onnxruntime
 * host process), made on first use and kept, and one verification at a time.
 */
function createVerifier(connection: Connection) {
  let runner: ModelRunner | undefined;
  let queue: Promise<unknown> = Promise.resolve();

  async function verify(requestId: bigint): Promise<VerifyResponse> {
    const started = performance.now();
    try {
      const client = await connection.client();
      runner ??= await createModelRunner();
      const receipt = await verifyResult(client, { requestId, runner });
      return { receipt: toJsonReceipt(receipt, performance.now() - started) };
    } catch (error) {
      connection.reset();
      return { problem: isProblem(error) ? error : toProblem(error) };
    }
  }

  return {
    verify: (requestId: bigint): Promise<VerifyResponse> => {
      const next = queue.then(() => verify(requestId));
      queue = next.catch(() => undefined);
      return next;
    },
    close: async () => {
      await queue;
      await runner?.close();
    },
  };
}

function toJsonReceipt(receipt: VerificationReceipt, elapsedMs: number): JsonReceipt {
  return {
    ...receipt,
    requestId: String(receipt.requestId),
    chainId: String(receipt.chainId),
    environment: {
      ...receipt.environment,
      local: {
        id: receipt.environment.local.id,
        description: receipt.environment.local.description,
      },
    },
    elapsedMs: Math.round(elapsedMs),
  };
}

/** An error as the page shows it: the SDK's short message and fix when it is one of its own. */
export function toProblem(error: unknown): Problem {
  if (error instanceof BaseError) {
    return { title: error.name, message: error.shortMessage, fix: error.fix };
  }
  return { title: "Error", message: error instanceof Error ? error.message : String(error) };
}

function sendJson(res: ServerResponse, status: number, body: unknown): void {
  res.writeHead(status, { "content-type": "application/json", "cache-control": "no-store" });
  res.end(JSON.stringify(body));
}

/**
 * What the page may load and talk to. Scripts only from here, plus compiling WebAssembly
 * (`'wasm-unsafe-eval'`: the canonical executor; no JavaScript eval). Connections to this server
 * (config, workers, the `.wasm`, the relay), the one RPC node, the IPFS gateway when one is
 * configured, and https model hosts: a model at an https uri is fetched from it directly (the
 * page hashes what it gets). A cleartext http uri comes through the relay instead.
 */
function contentSecurityPolicy(rpcUrl: string, ipfsGateway: string | undefined): string {
  const connect = ["'self'", new URL(rpcUrl).origin];
  if (ipfsGateway !== undefined) connect.push(new URL(ipfsGateway).origin);
  connect.push("https:");
  return (
    `default-src 'self'; script-src 'self' 'wasm-unsafe-eval'; connect-src ${connect.join(" ")}; ` +
    "img-src 'self' data:; style-src 'self'; object-src 'none'; base-uri 'none'"
  );
}

async function sendFile(
  res: ServerResponse,
  distDir: string,
  path: string,
  csp: string,
): Promise<void> {
  const file = normalize(join(distDir, path));
  if (!file.startsWith(normalize(distDir))) {
    res.writeHead(404).end();
    return;
  }
  await sendStatic(res, file, path, csp);
}

async function sendStatic(
  res: ServerResponse,
  file: string,
  path: string,
  csp: string,
): Promise<void> {
  try {
    if (!(await stat(file)).isFile()) throw new Error("not a file");
  } catch {
    res.writeHead(404, { "content-type": "text/plain" }).end(`not found: ${path}\n`);
    return;
  }
  res.writeHead(200, {
    "content-type": CONTENT_TYPES[extname(file)] ?? "application/octet-stream",
    "content-security-policy": csp,
    "cache-control": path === "/index.html" ? "no-store" : "max-age=3600",
  });
  createReadStream(file).pipe(res);
}
