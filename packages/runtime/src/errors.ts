/**
 * Errors of the model sources (`ModelStore`, `PageModels`) and the runner. Each message says what
 * went wrong and what to do. The two a model file can fail with are shared with every runner
 * (`@verity/contracts`).
 */
export { ModelFetchError, ModelHashMismatchError } from "@verity/contracts";

/** A run took longer than the configured limit; the process that ran it was killed. */
export class InferenceTimeoutError extends Error {
  override name = "InferenceTimeoutError";
}

/**
 * The inference host process died, or the executor refused to load or run the model. `retryable`
 * says whether running the same request again may work (the host died under another request).
 */
export class InferenceHostError extends Error {
  override name = "InferenceHostError";
  readonly retryable: boolean;

  constructor(message: string, retryable: boolean, options?: ErrorOptions) {
    super(message, options);
    this.retryable = retryable;
  }
}

/**
 * The model does not behave as registered: its output dims differ from the registered output
 * shape, or the executor cannot run it on an input of the registered input shape. The same
 * happens for every input, so the registration (or the file) is wrong, not the request.
 */
export class ModelIncompatibleError extends Error {
  override name = "ModelIncompatibleError";
}

/**
 * A page could not fetch the canonical executor's `.wasm` binary from the URL it was given. The
 * page's server must serve the file shipped in onnxruntime-web, unmodified, at that URL.
 */
export class ExecutorFetchError extends Error {
  override name = "ExecutorFetchError";
}
