/**
 * What the `Runner` needs from wherever models come from, so that one runner computes answers in
 * a worker (Node: `ModelStore`, files cached on disk, the executor in a host process with a time
 * limit) and in a web page (`PageModels`, bytes fetched by the page, the executor on its thread)
 * alike. Types only: no Node built-ins, so the page imports it.
 */
import type { CanonicalRun } from "./executor.js";

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

/** Verified model bytes and the canonical executor that runs them. */
export interface ModelSource {
  /**
   * Runs `model` on fixed-point `values` (already checked against its input shape) in the
   * canonical executor: dequantised at `model.decimals`, the first output returned as float32.
   * `timeoutMs` bounds the run where the source can stop one (see each implementation).
   *
   * @throws ModelFetchError, ModelHashMismatchError, ModelIncompatibleError, InferenceTimeoutError
   */
  execute(
    model: RegisteredModel,
    values: readonly number[],
    timeoutMs: number,
  ): Promise<CanonicalRun>;

  /**
   * The model's bytes, checked against `model.modelId` (their SHA-256) before they are returned.
   *
   * @throws ModelFetchError, ModelHashMismatchError
   */
  fetchVerified(model: RegisteredModel): Promise<{ bytes: Uint8Array }>;
}
