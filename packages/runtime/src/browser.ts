/**
 * The part of @verity/runtime a web page runs: the `Runner` with `PageModels` (model bytes the
 * page fetches and hashes itself, the canonical executor from the `.wasm` bytes it fetched), the
 * circuit arithmetic, and the environment id. No Node built-ins.
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
  ExecutorFetchError,
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
export { PageModels } from "./pageModels.js";
export type { ModelLocation, PageModelsOptions } from "./pageModels.js";
export { Runner } from "./runner.js";
export type { Inference, RunnerOptions } from "./runner.js";
