import type { Logger } from "pino";
import { getBytes } from "ethers";
import {
  FailureReason,
  MalformedTensorError,
  decodeTensor,
  encodeTensor,
  FixedPointError,
  quantize,
  type Inference,
} from "@verity/contracts";
import { decodeOnnx } from "@verity/models/onnx";
import { ZkRangeError, compileOnnx, execute, type ZkProgram } from "./circuit/index.js";
import { ModelIncompatibleError } from "./errors.js";
import type { ModelSource, RegisteredModel } from "./modelSource.js";

export type { Inference };

export interface RunnerOptions {
  /**
   * Limit on one executor run, passed to the source: `ModelStore` kills its host past it and
   * throws `InferenceTimeoutError`; a page's `PageModels` cannot stop a run (see there).
   */
  timeoutMs: number;
  /** Default: none (a page has no pino). */
  logger?: Pick<Logger, "debug">;
}

/**
 * Turns a request's input bytes into an answer: decode and validate, run, quantise, encode. The
 * one way an answer is computed, for a worker's result, a quorum vote, a watcher's or juror's
 * check and the SDK's verification alike:
 * - the canonical executor (onnxruntime's WebAssembly build, `executor.ts`) for most models;
 * - for a model with a ZK commitment (`model.circuit`), the circuit's exact integer arithmetic
 *   (`circuit/`). Such a model is defined by its circuit: a dispute over one of its results is
 *   decided by a proof of that arithmetic, and float rounding could differ from it in the last
 *   fixed-point unit, which would put an honest worker on the losing side.
 *
 * Inputs are validated before the model is loaded, so a malformed request never costs a fetch.
 * Models come from a `ModelSource`: a worker's `ModelStore`, or `PageModels` in a web page.
 */
export class Runner {
  private readonly source: ModelSource;
  /** Circuit programs by model id, compiled from the verified file once. */
  private readonly programs = new Map<string, Promise<ZkProgram>>();
  private readonly timeoutMs: number;
  private readonly logger: Pick<Logger, "debug"> | undefined;

  constructor(source: ModelSource, options: RunnerOptions) {
    if (!(options.timeoutMs > 0)) {
      throw new Error(
        `timeoutMs must be a positive number of milliseconds, got ${options.timeoutMs}`,
      );
    }
    this.source = source;
    this.timeoutMs = options.timeoutMs;
    this.logger = options.logger;
  }

  /**
   * Decodes `input` and checks it against `model.inputShape`: bad header, length or dtype →
   * `InputUndecodable`; other dims → `InputShapeMismatch`. Then dequantises it at
   * `model.decimals`, runs the model, checks the output dims against `model.outputShape` and
   * quantises the output: NaN, ±Infinity or int32 overflow → `InputOutOfRange`. A circuit model
   * runs on the fixed-point values directly: a value outside int32 → `InputOutOfRange`.
   *
   * @throws InferenceTimeoutError past the time limit; ModelFetchError, ModelHashMismatchError
   * from the source; ModelIncompatibleError when the model does not match its registration.
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
    return model.circuit === true
      ? this.runCircuit(model, values)
      : this.runExecutor(model, values);
  }

  private async runExecutor(model: RegisteredModel, values: number[]): Promise<Inference> {
    const result = await this.source.execute(model, values, this.timeoutMs);
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
    return answer(model, outputValues, result.runUs);
  }

  private async runCircuit(model: RegisteredModel, values: number[]): Promise<Inference> {
    const program = await this.program(model);
    const started = performance.now();
    let outputValues: number[];
    try {
      outputValues = execute(program, values).output.map(Number);
    } catch (error) {
      if (error instanceof ZkRangeError) {
        return this.failure(model, FailureReason.InputOutOfRange, error.message);
      }
      throw error;
    }
    return answer(model, outputValues, (performance.now() - started) * 1000);
  }

  private program(model: RegisteredModel): Promise<ZkProgram> {
    const key = model.modelId.toLowerCase();
    let program = this.programs.get(key);
    if (program === undefined) {
      program = (async () => {
        const { bytes } = await this.source.fetchVerified(model);
        return compileOnnx(decodeOnnx(bytes), model.decimals);
      })();
      program.catch(() => this.programs.delete(key));
      this.programs.set(key, program);
    }
    return program;
  }

  private failure(model: RegisteredModel, reason: FailureReason, detail: string): Inference {
    this.logger?.debug({ modelId: model.modelId, reason, detail }, "input cannot be answered");
    return { ok: false, reason, detail };
  }
}

/** An answer: the fixed-point output values and their canonical encoding. */
function answer(model: RegisteredModel, values: number[], inferenceUs: number): Inference {
  return {
    ok: true,
    output: getBytes(encodeTensor(model.outputShape, values)),
    values,
    inferenceUs,
  };
}

function sameDims(actual: readonly number[], expected: readonly number[]): boolean {
  if (actual.length !== expected.length) return false;
  for (let axis = 0; axis < actual.length; axis++) {
    if (actual[axis] !== expected[axis]) return false;
  }
  return true;
}
