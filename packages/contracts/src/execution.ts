/**
 * What running a registered model means, for everyone who runs one: the worker, a verifier in
 * Node, a web page. The implementations live in `@verity/runtime` (the canonical executor, heavy);
 * these shapes live here so that the light SDK can take a runner without depending on it.
 */
import type { FailureReason } from "./enums.js";

/** What the worker knows of a model from the ModelRegistry. */
export interface RegisteredModel {
  /** 0x-prefixed SHA-256 of the ONNX bytes. */
  modelId: string;
  uri: string;
  inputShape: readonly number[];
  outputShape: readonly number[];
  decimals: number;
  /**
   * Answered by the circuit's integer arithmetic instead of the float executor: true for a model
   * with a ZK commitment, whose results a proof of that arithmetic decides. Default false.
   */
  circuit?: boolean;
}

/**
 * A measurement of what decides a result's bits, declared in the WorkerRegistry and signed into
 * every result. Two processes with the same id compute the same bits on the same request,
 * whatever machine they run on.
 */
export interface Environment {
  /** keccak256 of the canonical JSON of `components`: 0x-prefixed bytes32. */
  id: string;
  /** For humans: "verity-runtime 0.1.0, onnxruntime-web 1.30.0 wasm 0x3398c10d…, 1 thread, opt=basic". */
  description: string;
  /** What was pinned, each as a string, e.g. `{ "onnxruntime-web": "1.30.0", ... }`. */
  components: Record<string, string>;
}

/** The outcome of one request: an answer, or why the input cannot be answered. */
export type Inference =
  | {
      ok: true;
      /** The output in the canonical tensor encoding (`encodeTensor` of @verity/contracts). */
      output: Uint8Array;
      /** The output as int32 fixed point at the model's decimals. */
      values: number[];
      /** The executor's run alone, in microseconds (no decoding, IPC or quantisation). */
      inferenceUs: number;
    }
  | { ok: false; reason: FailureReason; detail: string };

/**
 * Runs registered models exactly as a worker does: `createModelRunner` of `@verity/runtime` makes
 * one in Node; a web page makes its own from `Runner` and `PageModels` of
 * `@verity/runtime/browser`. The SDK's `verifyResult` takes one.
 */
export interface ModelRunner {
  /** The measured environment this runner runs models in. */
  environment: Environment;
  /** Decodes and checks the input, runs the model, quantises the output: never throws for a bad
   * input or model, it says why in `reason` (the code a worker would report on-chain). */
  run(model: RegisteredModel, input: Uint8Array): Promise<Inference>;
  /**
   * Fetches and checks a model (and opens its session) without running it. May say where the
   * bytes came from when that is not the uri itself (a page's relay or gateway), for the receipt.
   *
   * @throws ModelFetchError, ModelHashMismatchError
   */
  load(model: RegisteredModel): Promise<{ source?: string } | void>;
  /** Releases what the runner holds (Node: stops the host process, removes its own cache). */
  close(): Promise<void>;
}

/** The model file could not be fetched from its uri. */
export class ModelFetchError extends Error {
  override name = "ModelFetchError";
  /**
   * Whether the same fetch may work later: true for 5xx, 408, 429, timeouts and network errors;
   * false for 404 and other 4xx, a malformed uri, an unsupported scheme or a missing local file.
   */
  readonly retryable: boolean;
  readonly uri: string;

  constructor(uri: string, message: string, retryable: boolean, options?: ErrorOptions) {
    super(message, options);
    this.uri = uri;
    this.retryable = retryable;
  }
}

/** The bytes at a model's uri (or in the cache) are not the model its id names. Never loaded. */
export class ModelHashMismatchError extends Error {
  override name = "ModelHashMismatchError";
  /** The model id: the SHA-256 the registry promises, 0x-prefixed lowercase hex. */
  readonly expected: string;
  /** The SHA-256 of the bytes actually found. */
  readonly actual: string;

  constructor(source: string, expected: string, actual: string) {
    super(
      `refusing model ${expected}: the bytes from ${source} hash to ${actual}. The file at the ` +
        "model's uri is not the registered model (replaced, truncated or tampered with); it was " +
        "not loaded. The model owner must serve the exact registered file.",
    );
    this.expected = expected;
    this.actual = actual;
  }
}
