import type { Logger } from "pino";
import { getBytes } from "ethers";
import { FailureReason, MalformedTensorError, decodeTensor, encodeTensor } from "@verity/contracts";
import { FixedPointError, quantize } from "@verity/models";
import { ModelIncompatibleError } from "./errors.js";
import type { ModelStore, RegisteredModel } from "./modelStore.js";

/** The outcome of one request: an answer, or why the input cannot be answered. */
export type Inference =
  | {
      ok: true;
      /** The output in the canonical tensor encoding (`encodeTensor` of @verity/contracts). */
      output: Uint8Array;
      /** The output as int32 fixed point at the model's decimals. */
      values: number[];
      /** onnxruntime's run alone, in microseconds (no decoding, IPC or quantisation). */
      inferenceUs: number;
    }
  | { ok: false; reason: FailureReason; detail: string };

export interface RunnerOptions {
  /** Limit on one onnxruntime run; past it the run is killed and `InferenceTimeoutError` thrown. */
  timeoutMs: number;
  logger: Logger;
}

/**
 * Turns a request's input bytes into an answer: decode and validate, run, quantise, encode.
 *
 * Inputs are validated before the model is loaded, so a malformed request never costs a fetch.
 */
export class Runner {
  private readonly store: ModelStore;
  private readonly timeoutMs: number;
  private readonly logger: Logger;

  constructor(store: ModelStore, options: RunnerOptions) {
    if (!(options.timeoutMs > 0)) {
      throw new Error(
        `timeoutMs must be a positive number of milliseconds, got ${options.timeoutMs}`,
      );
    }
    this.store = store;
    this.timeoutMs = options.timeoutMs;
    this.logger = options.logger;
  }

  /**
   * Decodes `input` and checks it against `model.inputShape`: bad header, length or dtype →
   * `InputUndecodable`; other dims → `InputShapeMismatch`. Then dequantises it at
   * `model.decimals`, runs the model, checks the output dims against `model.outputShape` and
   * quantises the output: NaN, ±Infinity or int32 overflow → `InputOutOfRange`.
   *
   * @throws InferenceTimeoutError past the time limit; ModelFetchError, ModelHashMismatchError
   * from the store; ModelIncompatibleError when the model does not match its registration.
   */
  async run(model: RegisteredModel, input: Uint8Array): Promise<Inference> {
    let values: number[];
    try {
      const tensor = decodeTensor(input);
      if (!sameDims(tensor.shape, model.inputShape)) {
        return this.failure(
          model,
          FailureReason.InputShapeMismatch,
          `input dims [${tensor.shape.join(", ")}] differ from the model's input shape ` +
            `[${model.inputShape.join(", ")}]`,
        );
      }
      values = tensor.values;
    } catch (error) {
      if (error instanceof MalformedTensorError) {
        return this.failure(model, FailureReason.InputUndecodable, error.message);
      }
      throw error;
    }
    const result = await this.store.execute(model, values, this.timeoutMs);
    if (!sameDims(result.dims, model.outputShape)) {
      throw new ModelIncompatibleError(
        `model ${model.modelId} gave output dims [${result.dims.join(", ")}] but is registered ` +
          `with output shape [${model.outputShape.join(", ")}]; the registration does not match the file`,
      );
    }
    let outputValues: number[];
    try {
      outputValues = quantize(result.output, model.decimals);
    } catch (error) {
      if (error instanceof FixedPointError) {
        return this.failure(model, FailureReason.InputOutOfRange, `output ${error.message}`);
      }
      throw error;
    }
    return {
      ok: true,
      output: getBytes(encodeTensor(model.outputShape, outputValues)),
      values: outputValues,
      inferenceUs: result.runUs,
    };
  }

  private failure(model: RegisteredModel, reason: FailureReason, detail: string): Inference {
    this.logger.debug({ modelId: model.modelId, reason, detail }, "input cannot be answered");
    return { ok: false, reason, detail };
  }
}

function sameDims(actual: readonly number[], expected: readonly number[]): boolean {
  if (actual.length !== expected.length) return false;
  for (let axis = 0; axis < actual.length; axis++) {
    if (actual[axis] !== expected[axis]) return false;
  }
  return true;
}
