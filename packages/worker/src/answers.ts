import { readFile } from "node:fs/promises";
import {
  FailureReason,
  ProofMode,
  decodeTensor,
  encodeTensor,
  MalformedTensorError,
} from "@verity/contracts";
import { decodeOnnx } from "@verity/models";
import type { ZkProgram } from "@verity/zk";
import type { Inference, ModelStore, RegisteredModel, Runner } from "./inference/index.js";

/** A registered model with the proof modes it allows (`proofModes` bitmask, as the registry has it). */
export type ServedModel = RegisteredModel & { proofModes: number };

/**
 * The one way this worker computes a model's answer, whatever it is for (an ATTESTED result, a
 * quorum vote, a watcher's check):
 * - onnxruntime, deterministic settings, for most models;
 * - for a model with a ZK commitment, the circuit's exact integer arithmetic (@verity/zk's
 *   reference executor). Such a model is defined by its circuit: a dispute over one of its results
 *   is decided by a proof of that arithmetic, and onnxruntime's float rounding could differ from it
 *   in the last fixed-point unit, which would put an honest worker on the losing side.
 */
export class ModelAnswers {
  private readonly programs = new Map<string, Promise<ZkProgram>>();

  constructor(
    private readonly runner: Runner,
    private readonly store: ModelStore,
  ) {}

  async run(model: ServedModel, input: Uint8Array): Promise<Inference> {
    if ((model.proofModes & (1 << ProofMode.ZK)) === 0) return this.runner.run(model, input);
    const started = performance.now();
    let tensor;
    try {
      tensor = decodeTensor(input);
    } catch (error) {
      return {
        ok: false,
        reason: FailureReason.InputUndecodable,
        detail: (error as Error).message,
      };
    }
    if (tensor.shape.join(",") !== model.inputShape.join(",")) {
      return {
        ok: false,
        reason: FailureReason.InputShapeMismatch,
        detail: `input dims [${tensor.shape.join(", ")}] differ from the model's input shape [${model.inputShape.join(", ")}]`,
      };
    }
    const { execute } = await import("@verity/zk");
    try {
      const values = execute(await this.program(model), tensor.values).output.map(Number);
      const output = Buffer.from(encodeTensor(model.outputShape, values).slice(2), "hex");
      return { ok: true, output, values, inferenceUs: (performance.now() - started) * 1000 };
    } catch (error) {
      if ((error as Error).name === "ZkRangeError" || error instanceof MalformedTensorError) {
        return {
          ok: false,
          reason: FailureReason.InputOutOfRange,
          detail: (error as Error).message,
        };
      }
      throw error;
    }
  }

  /** The model's circuit program, compiled from its verified file once. */
  private program(model: ServedModel): Promise<ZkProgram> {
    let program = this.programs.get(model.modelId);
    if (!program) {
      program = (async () => {
        const { compileOnnx } = await import("@verity/zk");
        const { path } = await this.store.load(model);
        return compileOnnx(decodeOnnx(await readFile(path)), model.decimals);
      })();
      program.catch(() => this.programs.delete(model.modelId));
      this.programs.set(model.modelId, program);
    }
    return program;
  }
}
