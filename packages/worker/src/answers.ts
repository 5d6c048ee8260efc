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
import type { ChainReader } from "./chain.js";
import type { Inference, ModelStore, RegisteredModel, Runner } from "./inference/index.js";

/** How long a model without a ZK commitment is answered from the cached registry record. */
const MODEL_REFRESH_MS = 10_000;

interface CachedModel {
  model: Promise<ServedModel>;
  readAtMs: number;
  /** Settled as a model with a ZK commitment: final, never read again. */
  zk: boolean;
}

const hasZk = (model: ServedModel) => (model.proofModes & (1 << ProofMode.ZK)) !== 0;

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
 * With `dishonest` (test only) every answer's first element is off by one.
 */
export class ModelAnswers {
  private readonly programs = new Map<string, Promise<ZkProgram>>();
  private readonly models = new Map<string, CachedModel>();

  constructor(
    private readonly runner: Runner,
    private readonly store: ModelStore,
    private readonly reader: Pick<ChainReader, "model">,
    private readonly options: { dishonest: boolean },
  ) {}

  /** The model's answer on `input` (canonical tensor bytes), and the model as registered. */
  async answer(
    modelId: string,
    input: Uint8Array,
  ): Promise<{ model: ServedModel; inference: Inference }> {
    const model = await this.model(modelId);
    const inference = await this.run(model, input);
    if (!inference.ok || !this.options.dishonest) return { model, inference };
    const values = [inference.values[0] + 1, ...inference.values.slice(1)];
    const output = Buffer.from(encodeTensor(model.outputShape, values).slice(2), "hex");
    return { model, inference: { ...inference, values, output } };
  }

  /**
   * The registry's record, cached. A model without a ZK commitment is read again after
   * `MODEL_REFRESH_MS`: its owner may bind a circuit (once; a ZK model stays one), which changes
   * how it is answered.
   */
  model(modelId: string): Promise<ServedModel> {
    const cached = this.models.get(modelId);
    if (cached && (cached.zk || Date.now() - cached.readAtMs < MODEL_REFRESH_MS))
      return cached.model;
    const entry: CachedModel = {
      model: this.reader.model(modelId),
      readAtMs: Date.now(),
      zk: false,
    };
    entry.model.then(
      (model) => (entry.zk = hasZk(model)),
      () => this.models.delete(modelId),
    );
    this.models.set(modelId, entry);
    return entry.model;
  }

  async run(model: ServedModel, input: Uint8Array): Promise<Inference> {
    if (!hasZk(model)) return this.runner.run(model, input);
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
