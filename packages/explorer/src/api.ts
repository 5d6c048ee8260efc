/**
 * What the explorer's server gives the page: its configuration, what the workers' metrics
 * endpoints say, the bytes the page verifies with (the executor's `.wasm`, model files by id),
 * and server-side verification receipts. Both sides import these types and paths.
 */
import type { VerificationReceipt } from "@verity/sdk";

/**
 * `GET executor/ort-wasm-simd-threaded.wasm`: the canonical executor's binary, as installed with
 * onnxruntime-web. The page refuses it unless its SHA-256 is the pinned one.
 */
export const EXECUTOR_WASM_PATH = "executor/ort-wasm-simd-threaded.wasm";

/**
 * `GET api/models/<modelId>`: the relay. The registered model's bytes, fetched by the server from
 * the model's uri (a page cannot read `file://`, and may not reach the host), served only when
 * they hash to `<modelId>`. The page hashes them again and trusts nothing but that.
 */
export const MODEL_RELAY_PATH = "api/models/";

/** `GET api/config`: where the page reads the chain from. */
export interface ExplorerConfig {
  /** The JSON-RPC endpoint the page talks to. */
  rpcUrl: string;
  /**
   * Where the page fetches `ipfs://` models (`<gateway><cid>/<path>`); absent: through the relay.
   * The gateway must send CORS headers.
   */
  ipfsGateway?: string;
  /** The InferenceHub; absent when the server could not find one (see `problem`). */
  hubAddress?: string;
  /** The chain the explorer expects, when it was told one; another chain is an error. */
  chainId?: string;
  /** First block searched for events. */
  fromBlock: number;
  /** How often the page polls for new blocks, in ms. */
  pollIntervalMs: number;
  /** Why no hub address could be found (no deployment recorded for the node's chain). */
  problem?: Problem;
}

/** Something the user must fix, said as the SDK's errors say it. */
export interface Problem {
  title: string;
  message: string;
  fix?: string;
}

/** Whether a thrown value is a `Problem` (the server and the page throw them as they are). */
export function isProblem(value: unknown): value is Problem {
  return typeof value === "object" && value !== null && "title" in value && "message" in value;
}

/** `GET api/workers`: one entry per configured worker metrics endpoint. */
export interface WorkerEndpointReport {
  /** The worker's address, when the endpoint was configured with one. */
  address?: string;
  /** Base URL of the worker's `/healthz` and `/metrics`. */
  url: string;
  reachable: boolean;
  /** Why it could not be read. */
  error?: string;
  /** `/healthz`: ok, polling, ineligible, headBlock, ... */
  health?: Record<string, unknown>;
  metrics?: WorkerMetricsSummary;
}

/** The worker metrics the explorer shows (docs/worker.md, "Metrics"). */
export interface WorkerMetricsSummary {
  uptimeSeconds?: number;
  requestsSeen?: number;
  requestsSettled?: number;
  requestsFailed?: number;
  requestsAbandoned?: number;
  requestsSkipped?: number;
  requestsInFlight?: number;
  rpcErrors?: number;
  /** Mean onnxruntime time per request. */
  inferenceSecondsMean?: number;
  /** Mean time from request seen to settling transaction mined. */
  endToEndSecondsMean?: number;
  balanceEth?: number;
  withdrawableEth?: number;
  headBlock?: number;
  checkpointBlock?: number;
}

/**
 * `POST api/verify/:id`: verification on the server (the SDK's `verifyResult` in Node), for
 * scripts; the page's button verifies in the page. The receipt with every bigint as a decimal
 * string, or what stopped the verification.
 */
export type VerifyResponse = { receipt: JsonReceipt } | { problem: Problem };

/** A receipt as JSON: the SDK's `VerificationReceipt` with its bigints as decimal strings. */
export type JsonReceipt = Omit<VerificationReceipt, "requestId" | "chainId" | "environment"> & {
  requestId: string;
  chainId: string;
  environment: Omit<VerificationReceipt["environment"], "local"> & {
    local: { id: string; description: string };
  };
  /** How long the verification took on the server. */
  elapsedMs: number;
};
