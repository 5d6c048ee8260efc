import { encodeTensor } from "@verity/contracts";
import type { Inference, RegisteredModel, Runner } from "@verity/runtime";
import type { ChainReader } from "./chain.js";

/** How long a model without a ZK commitment is answered from the cached registry record. */
const MODEL_REFRESH_MS = 10_000;

interface CachedModel {
  model: Promise<ServedModel>;
  readAtMs: number;
  /** Settled as a model with a ZK commitment: final, never read again. */
  circuit: boolean;
}

/** A registered model with the proof modes it allows (`proofModes` bitmask, as the registry has it). */
export type ServedModel = RegisteredModel & { proofModes: number };

/**
 * The one way this worker computes a model's answer, whatever it is for (an ATTESTED result, a
 * quorum vote, a watcher's check): the registry's record, cached, and @verity/runtime's `Runner`
 * (the canonical executor, or the circuit arithmetic for a model with a ZK commitment).
 * With `dishonest` (test only) every answer's first element is off by one.
 */
export class ModelAnswers {
  private readonly models = new Map<string, CachedModel>();

  constructor(
    private readonly runner: Runner,
    private readonly reader: Pick<ChainReader, "model">,
    private readonly options: { dishonest: boolean },
  ) {}

  /** The model's answer on `input` (canonical tensor bytes), and the model as registered. */
  async answer(
    modelId: string,
    input: Uint8Array,
  ): Promise<{ model: ServedModel; inference: Inference }> {
    const model = await this.model(modelId);
    const inference = await this.runner.run(model, input);
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
    if (cached && (cached.circuit || Date.now() - cached.readAtMs < MODEL_REFRESH_MS))
      return cached.model;
    const entry: CachedModel = {
      model: this.reader.model(modelId),
      readAtMs: Date.now(),
      circuit: false,
    };
    entry.model.then(
      (model) => (entry.circuit = model.circuit === true),
      () => this.models.delete(modelId),
    );
    this.models.set(modelId, entry);
    return entry.model;
  }
}
