/**
 * The part of @verity/runtime a web page runs: the `Runner` (given a `ModelSource`), the canonical
 * executor (given the `.wasm` bytes the page fetched), the circuit arithmetic, and the environment
 * id. No Node built-ins.
 */
export * from "./circuit/index.js";
export { ipfsGatewayUrl } from "./download.js";
export {
  canonicalComponents,
  currentEnvironment,
  environmentFromComponents,
} from "./environment.js";
export type { Environment } from "./environment.js";
export {
  InferenceHostError,
  InferenceTimeoutError,
  ModelFetchError,
  ModelHashMismatchError,
  ModelIncompatibleError,
} from "./errors.js";
export {
  CANONICAL_EXECUTOR,
  ExecutorMismatchError,
  UnsupportedModelError,
  WARM_UP_MODEL_BASE64,
  createCanonicalSession,
  loadCanonicalExecutor,
  sha256Hex,
} from "./executor.js";
export type { CanonicalRun, CanonicalSession } from "./executor.js";
export type { ModelSource, RegisteredModel } from "./modelSource.js";
export { Runner } from "./runner.js";
export type { Inference, RunnerOptions } from "./runner.js";
