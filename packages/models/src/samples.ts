import { createHash } from "node:crypto";
import { mkdir, readFile, rename, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { ONNX_IR_VERSION, ONNX_OPSET_VERSION, encodeOnnx, staticShape } from "./onnx.js";
import type { OnnxGraph, OnnxInitializer, OnnxNode } from "./onnx.js";
import { mulberry32, uniform } from "./random.js";

/**
 * The sample models that tests, the demo and benchmarks share. Their weights come from a seeded
 * PRNG using only IEEE-exact arithmetic (no Math.random, no transcendental functions, whose last
 * bit may differ between engines), so every machine writes the same bytes and the same model id.
 */

export type SampleModelName = "credit-risk" | "mnist-mlp";

export const SAMPLE_MODEL_NAMES: readonly SampleModelName[] = Object.freeze([
  "credit-risk",
  "mnist-mlp",
]);

/** A sample model with what a registry entry needs. Shared (memoised): do not mutate it. */
export interface SampleModel {
  name: SampleModelName;
  description: string;
  decimals: number;
  inputShape: number[];
  outputShape: number[];
  graph: OnnxGraph;
  bytes: Uint8Array;
  /** 0x-prefixed lowercase SHA-256 of `bytes`: the model's id in the ModelRegistry. */
  modelId: string;
  /** A realistic input in real (not fixed-point) values; the same seed gives the same input. */
  sampleInput(seed: number): number[];
}

/** Fixed-point decimals of both samples: a real x travels as round(x · 10^6). */
const SAMPLE_DECIMALS = 6;

/** Gemm with transB = 1 (weights stored [out, in], as PyTorch's Linear exports them). */
function denseLayer(
  random: () => number,
  prefix: string,
  input: string,
  output: string,
  sizes: { in: number; out: number; weightLimit: number; biasLimit: number },
): { initializers: OnnxInitializer[]; node: OnnxNode } {
  return {
    initializers: [
      {
        name: `${prefix}.weight`,
        dims: [sizes.out, sizes.in],
        data: uniform(random, sizes.out * sizes.in, sizes.weightLimit),
      },
      {
        name: `${prefix}.bias`,
        dims: [sizes.out],
        data: uniform(random, sizes.out, sizes.biasLimit),
      },
    ],
    node: {
      opType: "Gemm",
      name: `${prefix}/Gemm`,
      inputs: [input, `${prefix}.weight`, `${prefix}.bias`],
      outputs: [output],
      attributes: { alpha: 1, beta: 1, transB: 1 },
    },
  };
}

/** A two-layer perceptron: Gemm + Relu + Gemm, the shape the ZK compiler handles. */
function mlpGraph(
  name: string,
  seed: number,
  io: { input: string; output: string },
  layers: [Parameters<typeof denseLayer>[4], Parameters<typeof denseLayer>[4]],
  outputBias?: number,
): OnnxGraph {
  const random = mulberry32(seed);
  const hidden = denseLayer(random, "fc1", io.input, "fc1_out", layers[0]);
  const head = denseLayer(random, "fc2", "relu1_out", io.output, layers[1]);
  if (outputBias !== undefined) head.initializers[1].data.fill(outputBias);
  return {
    name,
    irVersion: ONNX_IR_VERSION,
    opsetVersion: ONNX_OPSET_VERSION,
    inputs: [{ name: io.input, shape: [1, layers[0].in] }],
    outputs: [{ name: io.output, shape: [1, layers[1].out] }],
    initializers: [...hidden.initializers, ...head.initializers],
    nodes: [
      hidden.node,
      {
        opType: "Relu",
        name: "relu1/Relu",
        inputs: ["fc1_out"],
        outputs: ["relu1_out"],
        attributes: {},
      },
      head.node,
    ],
  };
}

/**
 * 16 standardised applicant features (in about [-2, 2]): Irwin–Hall sums of four uniforms, a
 * bell shape without transcendental functions.
 */
function creditFeatures(seed: number): number[] {
  const random = mulberry32(seed ^ 0x5eed0001);
  return Array.from({ length: 16 }, () => random() + random() + random() + random() - 2);
}

/**
 * A 28×28 image of one pen stroke in [0, 1]: a quadratic Bézier curve through seeded points,
 * drawn with a soft round brush, row-major like MNIST.
 */
function penStroke(seed: number): number[] {
  const random = mulberry32(seed ^ 0x5eed0002);
  // From the upper third to the lower third, so every stroke is long enough to read.
  const point = (top: number) => [6 + random() * 16, top + random() * 6];
  const [start, control, end] = [point(5), point(11), point(17)];
  const radius = 1.2 + random();
  const pixels = new Array<number>(28 * 28).fill(0);
  const steps = 48;
  for (let step = 0; step <= steps; step++) {
    const t = step / steps;
    const [u, v, w] = [(1 - t) * (1 - t), 2 * (1 - t) * t, t * t];
    const x = u * start[0] + v * control[0] + w * end[0];
    const y = u * start[1] + v * control[1] + w * end[1];
    for (let row = Math.floor(y - radius); row <= Math.ceil(y + radius); row++) {
      for (let col = Math.floor(x - radius); col <= Math.ceil(x + radius); col++) {
        if (row < 0 || row >= 28 || col < 0 || col >= 28) continue;
        const distance2 = (col - x) * (col - x) + (row - y) * (row - y);
        const ink = 1 - distance2 / (radius * radius);
        if (ink > pixels[row * 28 + col]) pixels[row * 28 + col] = ink;
      }
    }
  }
  return pixels;
}

interface SampleDefinition {
  description: string;
  graph: () => OnnxGraph;
  sampleInput: (seed: number) => number[];
}

const DEFINITIONS: Readonly<Record<SampleModelName, SampleDefinition>> = {
  "credit-risk": {
    description:
      "Tabular credit-risk model: 16 standardised applicant features -> probability of default " +
      "(a score; consumers clamp it to [0, 1]). Gemm(16->16) + Relu + Gemm(16->1).",
    graph: () =>
      mlpGraph(
        "credit-risk",
        0x0c4ed17,
        { input: "features", output: "default_probability" },
        [
          { in: 16, out: 16, weightLimit: 0.45, biasLimit: 0.1 },
          { in: 16, out: 1, weightLimit: 0.2, biasLimit: 0 },
        ],
        0.3,
      ),
    sampleInput: creditFeatures,
  },
  "mnist-mlp": {
    description:
      "Handwritten-digit classifier shape: 28x28 grey pixels in [0, 1] -> 10 class scores. " +
      "Gemm(784->64) + Relu + Gemm(64->10). Seeded weights, not trained.",
    graph: () =>
      mlpGraph("mnist-mlp", 0x3d157, { input: "pixels", output: "scores" }, [
        // He-uniform limits, sqrt(6 / fan_in), rounded.
        { in: 784, out: 64, weightLimit: 0.0875, biasLimit: 0.05 },
        { in: 64, out: 10, weightLimit: 0.306, biasLimit: 0.05 },
      ]),
    sampleInput: penStroke,
  },
};

const memo = new Map<SampleModelName, SampleModel>();

/**
 * A sample model by name, built once per process.
 *
 * @example
 * const { bytes, modelId, sampleInput } = sampleModel("credit-risk");
 */
export function sampleModel(name: SampleModelName): SampleModel {
  const known = memo.get(name);
  if (known !== undefined) return known;
  const definition = DEFINITIONS[name];
  if (definition === undefined) {
    throw new Error(
      `unknown sample model "${name}"; choose one of ${SAMPLE_MODEL_NAMES.join(", ")}`,
    );
  }
  const graph = definition.graph();
  const bytes = encodeOnnx(graph);
  const model: SampleModel = {
    name,
    description: definition.description,
    decimals: SAMPLE_DECIMALS,
    inputShape: staticShape(graph.inputs[0]),
    outputShape: staticShape(graph.outputs[0]),
    graph,
    bytes,
    modelId: `0x${createHash("sha256").update(bytes).digest("hex")}`,
    sampleInput: definition.sampleInput,
  };
  memo.set(name, model);
  return model;
}

/**
 * Writes every sample model to `<dir>/<name>.onnx` (creating `dir`). Idempotent: a file that
 * already holds the right bytes is left alone; anything else is replaced atomically.
 *
 * @example
 * for (const { name, path, modelId } of await writeSampleModels("models")) console.log(name, modelId, path);
 */
export async function writeSampleModels(
  dir: string,
): Promise<{ name: SampleModelName; path: string; modelId: string }[]> {
  await mkdir(dir, { recursive: true });
  const written = [];
  for (const name of SAMPLE_MODEL_NAMES) {
    const { bytes, modelId } = sampleModel(name);
    const path = join(dir, `${name}.onnx`);
    if (!(await holds(path, bytes))) {
      const temporary = `${path}.${process.pid}.tmp`;
      await writeFile(temporary, bytes);
      await rename(temporary, path);
    }
    written.push({ name, path, modelId });
  }
  return written;
}

async function holds(path: string, bytes: Uint8Array): Promise<boolean> {
  try {
    return Buffer.from(bytes).equals(await readFile(path));
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === "ENOENT") return false;
    throw error;
  }
}
