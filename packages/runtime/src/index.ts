/**
 * @verity/runtime: how Verity computes a model's answer, the same bits on every machine. Model
 * files fetched by uri, checked against their SHA-256 id and cached; the canonical executor
 * (onnxruntime's WebAssembly build) in a separate host process with a time limit; the circuit
 * arithmetic of ZK models; and the environment id that pins all of it. The worker, the SDK's
 * verification and the explorer import it; `@verity/runtime/browser` is the part a page runs.
 *
 * @example
 * const store = new ModelStore({ cacheDir, ipfsGateway, fetchTimeoutMs: 30_000, maxSessions: 8, logger });
 * const runner = new Runner(store, { timeoutMs: 5_000, logger });
 * const inference = await runner.run(model, inputBytes);
 * if (inference.ok) submit(inference.output); else reportFailure(inference.reason);
 */
export * from "./browser.js";
export { ModelCheckError, checkModel } from "./checkModel.js";
export { modelFailureReason } from "./failureReason.js";
export type { CheckModelParameters, ModelCheckKind } from "./checkModel.js";
export { fetchModelBytes } from "./fetch.js";
export type { FetchOptions } from "./fetch.js";
export { createModelRunner } from "./modelRunner.js";
export type { CreateModelRunnerParameters } from "./modelRunner.js";
export { ModelStore } from "./modelStore.js";
export type { LoadedModel, ModelStoreOptions } from "./modelStore.js";
export { canonicalWasmPath, openCanonicalSession, readCanonicalWasm } from "./wasm.js";
