/**
 * "Verify independently", computed in this page: the SDK's `verifyResult` with a runner made of
 * @verity/runtime's `Runner` and `PageModels`. The page reads the request, the result and the
 * registry from the RPC node itself, fetches the canonical executor's `.wasm` and the model file,
 * refuses either unless its SHA-256 is the pinned one (the model's id), re-runs the model in
 * onnxruntime-web's WebAssembly build (or the circuit arithmetic of a ZK model), and checks the
 * proof with calls to the chain. The explorer's server computes nothing of the verdict; the bytes
 * it relays are checked here.
 */
import {
  CANONICAL_EXECUTOR,
  PageModels,
  Runner,
  currentEnvironment,
  ipfsGatewayUrl,
  type ModelLocation,
  type RegisteredModel,
} from "@verity/runtime/browser";
import type { ModelRunner } from "@verity/contracts";
import { getModel, verifyResult, type VerificationReceipt, type VerityClient } from "@verity/sdk";
import { EXECUTOR_WASM_PATH, MODEL_RELAY_PATH, type ExplorerConfig } from "../src/api.js";

/** A verification made here, and how long it took in this page. */
export interface PageVerification {
  receipt: VerificationReceipt;
  elapsedMs: number;
  /** What re-ran the model: the executor's build and hash, or the circuit arithmetic. */
  executor: string;
}

/** Per run; the page cannot stop a run that overruns it (see `PageModels`). */
const RUN_TIMEOUT_MS = 5_000;

let shared: ModelRunner | undefined;

/**
 * Verifies request `requestId` in this page.
 *
 * @throws the SDK's errors (no result yet, the node went away); the runtime's
 * ExecutorFetchError or ExecutorMismatchError when the `.wasm` cannot be had or is not the pinned one.
 */
export async function verifyInPage(
  client: VerityClient,
  config: Pick<ExplorerConfig, "ipfsGateway">,
  requestId: bigint,
): Promise<PageVerification> {
  shared ??= pageRunner(config);
  const started = performance.now();
  const receipt = await verifyResult(client, { requestId, runner: shared });
  const elapsedMs = performance.now() - started;
  // As verifyResult decides it: a model with a ZK commitment is answered by its circuit.
  const { proofModes } = await getModel(client, receipt.model.modelId);
  return {
    receipt,
    elapsedMs,
    executor: proofModes.includes("ZK")
      ? "the model's circuit arithmetic (exact integers, BigInt)"
      : `${CANONICAL_EXECUTOR.runtime} ${CANONICAL_EXECUTOR.version} WebAssembly ` +
        `(${CANONICAL_EXECUTOR.wasmFile}, SHA-256 ${CANONICAL_EXECUTOR.wasmSha256.slice(0, 12)}…, ` +
        `${CANONICAL_EXECUTOR.numThreads} thread)`,
  };
}

/** One runner for the page's lifetime: the executor loads once and sessions are kept. */
function pageRunner(config: Pick<ExplorerConfig, "ipfsGateway">): ModelRunner {
  const models = new PageModels({
    wasmUrl: new URL(EXECUTOR_WASM_PATH, document.baseURI),
    locate: (model) => modelLocations(model, config.ipfsGateway),
  });
  const runner = new Runner(models, { timeoutMs: RUN_TIMEOUT_MS });
  return {
    environment: currentEnvironment(),
    run: (model, input) => runner.run(model, input),
    load: (model) => models.load(model),
    close: () => models.close(),
  };
}

/**
 * Where the page fetches a model's bytes, first to last:
 * - an https uri: from the uri itself (its host must send `Access-Control-Allow-Origin`), then
 *   the relay;
 * - `ipfs://`: from the configured gateway (which must send CORS headers too), then the relay;
 * - `file://`, which a page cannot read, and cleartext `http://`, which the page's CSP does not
 *   allow: the relay only.
 * Wherever they come from, the bytes are hashed in the page and refused unless they are the
 * model id, so none of these is trusted for the verdict.
 */
export function modelLocations(
  model: RegisteredModel,
  ipfsGateway: string | undefined,
): ModelLocation[] {
  const relay: ModelLocation = {
    url: new URL(`${MODEL_RELAY_PATH}${model.modelId}`, document.baseURI),
    label: "the explorer's relay",
  };
  let uri: URL;
  try {
    uri = new URL(model.uri);
  } catch {
    return [relay];
  }
  if (uri.protocol === "https:") return [{ url: uri, label: "the model's uri" }, relay];
  if (uri.protocol === "ipfs:" && ipfsGateway !== undefined) {
    try {
      return [
        { url: ipfsGatewayUrl(model.uri, uri, ipfsGateway), label: "the IPFS gateway" },
        relay,
      ];
    } catch {
      return [relay];
    }
  }
  return [relay];
}
