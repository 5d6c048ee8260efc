/**
 * The worker's inference side: model files (fetched, verified, cached), onnxruntime sessions in
 * a separate host process, deterministic execution settings, and the measured environment.
 *
 * @example
 * const store = new ModelStore({ cacheDir, ipfsGateway, fetchTimeoutMs: 30_000, maxSessions: 8, logger });
 * const runner = new Runner(store, { timeoutMs: 5_000, logger });
 * const inference = await runner.run(model, inputBytes);
 * if (inference.ok) submit(inference.output); else reportFailure(inference.reason);
 */
export {
  EXECUTION_SETTINGS,
  currentEnvironment,
  environmentFromComponents,
  measureComponents,
  sessionOptions,
} from "./environment.js";
export type { Environment } from "./environment.js";
export {
  InferenceHostError,
  InferenceTimeoutError,
  ModelFetchError,
  ModelHashMismatchError,
  ModelIncompatibleError,
} from "./errors.js";
export { ModelStore } from "./modelStore.js";
export type { LoadedModel, ModelStoreOptions, RegisteredModel } from "./modelStore.js";
export { Runner } from "./runner.js";
export type { Inference, RunnerOptions } from "./runner.js";
