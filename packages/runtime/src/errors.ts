/**
 * Errors of the model sources (`ModelStore`, `PageModels`) and the runner. Each message says what
 * went wrong and what to do.
 */

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
