/**
 * The canonical executor: onnxruntime's WebAssembly build, one thread, fixed settings. Every
 * answer that is signed, voted on or re-verified is computed here, in Node (inside the inference
 * host process) and in a browser alike, so an honest re-run gives the same bits on any machine.
 *
 * Why WebAssembly: its float arithmetic is specified operation by operation (IEEE-754 binary32,
 * round to nearest even, no fused multiply-add outside relaxed SIMD), so the same `.wasm` binary
 * computes the same bits on x86-64, arm64 and in any engine. onnxruntime's native CPU kernels
 * pick code paths by the CPU's vector width (AVX2, AVX-512, NEON) and differ in the last ulp,
 * which is enough to cross a fixed-point rounding boundary.
 *
 * This file imports only onnxruntime-web, so the explorer's page runs it unchanged. The caller
 * supplies the `.wasm` bytes (read from disk in Node, fetched in the page): they are hashed here
 * and refused unless they are the pinned binary.
 */
import * as ort from "onnxruntime-web";

/**
 * What decides the bits, pinned. A change to any field is a new executor and a new environment
 * id, so two environments with one id compute the same bits.
 *
 * - `wasmSha256`: the binary itself. The build is onnxruntime-web's default one
 *   (`ort-wasm-simd-threaded.wasm`: fixed-width SIMD128, no relaxed SIMD); the JSEP, JSPI and
 *   asyncify builds carry WebGPU or other kernels and are not used.
 * - One thread: with several, a reduction split across threads sums in an order that depends on
 *   scheduling.
 * - Graph optimisation "basic": constant folding and redundant-node elimination, which keep
 *   every arithmetic operation. Higher levels fuse operations and change rounding.
 */
export const CANONICAL_EXECUTOR = Object.freeze({
  runtime: "onnxruntime-web",
  version: "1.30.0",
  wasmFile: "ort-wasm-simd-threaded.wasm",
  wasmSha256: "0x3398c10d07d229bd91b364548e130e0e51a8e5704b88c7c083ebbeb78842dee2",
  executionProvider: "wasm",
  numThreads: 1,
  graphOptimizationLevel: "basic",
  executionMode: "sequential",
} as const);

/** The loaded executor is not the pinned one: another onnxruntime-web or another `.wasm`. */
export class ExecutorMismatchError extends Error {
  override name = "ExecutorMismatchError";
}

/** The model's graph is not one the canonical executor can feed (inputs, outputs, dtypes). */
export class UnsupportedModelError extends Error {
  override name = "UnsupportedModelError";
}

/**
 * A one-node model (Identity on a float32 [1]), written by `encodeOnnx` of @verity/models (a test
 * checks these bytes against it). Creating a session of it is what makes onnxruntime-web compile
 * and instantiate the `.wasm`: setting `wasmBinary` alone defers that to the first real model.
 */
export const WARM_UP_MODEL_BASE64 =
  "CAgSDkB2ZXJpdHkvbW9kZWxzOkcKGgoBeBIBeRoIaWRlbnRpdHkiCElkZW50aXR5Egd3YXJtLXVwWg8KAXgSCgoICAESBAoCCAFiDwoBeRIKCggIARIECgIIAUIECgAQDQ==";

let loaded: Promise<void> | undefined;

/**
 * Loads the canonical executor from `wasm`, the bytes of `CANONICAL_EXECUTOR.wasmFile`, once per
 * process or page (later calls check their bytes and share the first load), and instantiates it,
 * so that the first model does not pay for compiling it (about 250 ms here). Refuses bytes whose
 * SHA-256 differs from the pinned one, and an onnxruntime-web module of another version, since
 * either would compute other bits under the same name.
 *
 * @throws ExecutorMismatchError
 */
export async function loadCanonicalExecutor(wasm: Uint8Array): Promise<void> {
  const version = ort.env.versions.web;
  if (version !== CANONICAL_EXECUTOR.version) {
    throw new ExecutorMismatchError(
      `onnxruntime-web ${version ?? "(unknown version)"} is loaded, but the canonical executor ` +
        `is onnxruntime-web ${CANONICAL_EXECUTOR.version}: install exactly that version`,
    );
  }
  const sha256 = await sha256Hex(wasm);
  if (sha256 !== CANONICAL_EXECUTOR.wasmSha256) {
    throw new ExecutorMismatchError(
      `the WebAssembly binary given has SHA-256 ${sha256}, but the canonical executor is ` +
        `${CANONICAL_EXECUTOR.wasmFile} with SHA-256 ${CANONICAL_EXECUTOR.wasmSha256}: load the ` +
        `file shipped in onnxruntime-web ${CANONICAL_EXECUTOR.version}, unmodified`,
    );
  }
  loaded ??= (async () => {
    ort.env.wasm.wasmBinary = wasm;
    ort.env.wasm.numThreads = CANONICAL_EXECUTOR.numThreads;
    ort.env.wasm.proxy = false;
    ort.env.logLevel = "error";
    const warmUp = Uint8Array.from(atob(WARM_UP_MODEL_BASE64), (char) => char.charCodeAt(0));
    await (await ort.InferenceSession.create(warmUp, canonicalSessionOptions())).release();
  })();
  loaded.catch(() => (loaded = undefined));
  return loaded;
}

/** 0x-prefixed lowercase SHA-256 of `bytes`, by WebCrypto (Node ≥ 20 and every browser have it). */
export async function sha256Hex(bytes: Uint8Array): Promise<string> {
  const digest = new Uint8Array(
    await crypto.subtle.digest("SHA-256", bytes as Uint8Array<ArrayBuffer>),
  );
  let hex = "0x";
  for (const byte of digest) hex += byte.toString(16).padStart(2, "0");
  return hex;
}

/** One model, loaded in the canonical executor. */
export interface CanonicalSession {
  readonly inputName: string;
  readonly outputName: string;
  /** How long creating the session took, in milliseconds. */
  readonly createMs: number;
  /** Runs the model on one float32 tensor and returns its first output. */
  run(input: Float32Array, dims: readonly number[]): Promise<CanonicalRun>;
  release(): Promise<void>;
}

export interface CanonicalRun {
  output: Float32Array;
  dims: number[];
  /** The run alone, in microseconds. */
  runUs: number;
}

/**
 * Creates a session for the ONNX `model` bytes with the canonical settings. Call
 * `loadCanonicalExecutor` first.
 *
 * @throws UnsupportedModelError when the graph has other than one float32 input and a float32
 * first output; onnxruntime's own error when the bytes are not a model it can load.
 */
export async function createCanonicalSession(model: Uint8Array): Promise<CanonicalSession> {
  if (loaded === undefined) {
    throw new ExecutorMismatchError(
      "the canonical executor is not loaded: call loadCanonicalExecutor(wasm) first",
    );
  }
  await loaded;
  const started = performance.now();
  const session = await ort.InferenceSession.create(model, canonicalSessionOptions());
  const problem = unsupportedSignature(session);
  if (problem !== undefined) {
    await session.release();
    throw new UnsupportedModelError(problem);
  }
  const createMs = performance.now() - started;
  const [inputName] = session.inputNames;
  const [outputName] = session.outputNames;
  return {
    inputName,
    outputName,
    createMs,
    async run(input, dims) {
      const feeds = { [inputName]: new ort.Tensor("float32", input, dims) };
      const begun = performance.now();
      const results = await session.run(feeds, [outputName]);
      const runUs = (performance.now() - begun) * 1000;
      const output = results[outputName];
      return { output: output.data as Float32Array, dims: [...output.dims], runUs };
    },
    release: () => session.release(),
  };
}

function canonicalSessionOptions(): ort.InferenceSession.SessionOptions {
  return {
    executionProviders: [CANONICAL_EXECUTOR.executionProvider],
    graphOptimizationLevel: CANONICAL_EXECUTOR.graphOptimizationLevel,
    executionMode: CANONICAL_EXECUTOR.executionMode,
    intraOpNumThreads: CANONICAL_EXECUTOR.numThreads,
    interOpNumThreads: CANONICAL_EXECUTOR.numThreads,
    logSeverityLevel: 3,
  };
}

/** Verity feeds one float32 tensor and reads one float32 tensor (the first output). */
function unsupportedSignature(session: ort.InferenceSession): string | undefined {
  if (session.inputNames.length !== 1) {
    return `the model has ${session.inputNames.length} inputs (${session.inputNames.join(", ")}); Verity feeds exactly one tensor`;
  }
  const [input] = session.inputMetadata;
  if (input.isTensor && input.type !== "float32") {
    return `the model's input "${input.name}" is ${input.type}; Verity feeds float32 (dequantised fixed point)`;
  }
  const [output] = session.outputMetadata;
  if (output === undefined) return "the model has no outputs";
  if (output.isTensor && output.type !== "float32") {
    return `the model's first output "${output.name}" is ${output.type}; Verity reads float32 and quantises it`;
  }
  return undefined;
}
