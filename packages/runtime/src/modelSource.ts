/**
 * What the `Runner` needs from wherever models come from, so that one runner computes answers in
 * a worker (Node: `ModelStore`, files cached on disk, the executor in a host process with a time
 * limit) and in a web page (`PageModels`, bytes fetched by the page, the executor on its thread)
 * alike. Types only: no Node built-ins, so the page imports it.
 */
import type { RegisteredModel } from "@verity/contracts";
import type { CanonicalRun } from "./executor.js";

export type { RegisteredModel };

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
