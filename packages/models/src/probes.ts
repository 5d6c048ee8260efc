import { ONNX_IR_VERSION, ONNX_OPSET_VERSION, encodeOnnx, staticShape } from "./onnx.js";
import type { OnnxGraph, OnnxInitializer, OnnxNode } from "./onnx.js";
import { mulberry32, uniform } from "./random.js";

/**
 * Probe models for the determinism check: one graph per kind of kernel whose rounding differs
 * between CPU code paths (convolution, exp-based activations, normalisation, a wide dot product).
 * The sample models are two small MLPs; these cover what real exported models add. Weights and
 * inputs are seeded (random.ts), so every machine writes the same bytes and the same inputs.
 */

export type ProbeModelName = "conv" | "softmax" | "sigmoid" | "layernorm" | "matmul-wide";

export const PROBE_MODEL_NAMES: readonly ProbeModelName[] = Object.freeze([
  "conv",
  "softmax",
  "sigmoid",
  "layernorm",
  "matmul-wide",
]);

/** A probe model and its seeded inputs. Shared (memoised): do not mutate it. */
export interface ProbeModel {
  name: ProbeModelName;
  description: string;
  inputShape: number[];
  outputShape: number[];
  graph: OnnxGraph;
  bytes: Uint8Array;
  /** A float32 input uniform in [-2, 2); the same seed gives the same input. */
  input(seed: number): Float32Array;
}

const node = (opType: string, inputs: string[], outputs: string[], attributes = {}): OnnxNode => ({
  opType,
  name: `${outputs[0]}/${opType}`,
  inputs,
  outputs,
  attributes,
});

const weight = (
  random: () => number,
  name: string,
  dims: number[],
  limit: number,
): OnnxInitializer => ({
  name,
  dims,
  data: uniform(
    random,
    dims.reduce((a, b) => a * b, 1),
    limit,
  ),
});

/** Gemm with transB = 1 on [1, inputs], then `activation`. */
function denseThen(
  name: string,
  seed: number,
  sizes: { in: number; out: number },
  activation: OnnxNode,
): OnnxGraph {
  const random = mulberry32(seed);
  return graph(
    name,
    { in: [1, sizes.in], out: [1, sizes.out] },
    [
      weight(random, "fc.weight", [sizes.out, sizes.in], 1 / Math.sqrt(sizes.in)),
      weight(random, "fc.bias", [sizes.out], 0.1),
    ],
    [node("Gemm", ["x", "fc.weight", "fc.bias"], ["fc_out"], { transB: 1 }), activation],
  );
}

function graph(
  name: string,
  shapes: { in: number[]; out: number[] },
  initializers: OnnxInitializer[],
  nodes: OnnxNode[],
  opsetVersion = ONNX_OPSET_VERSION,
): OnnxGraph {
  return {
    name,
    irVersion: ONNX_IR_VERSION,
    opsetVersion,
    inputs: [{ name: "x", shape: shapes.in }],
    outputs: [{ name: "y", shape: shapes.out }],
    initializers,
    nodes,
  };
}

const DEFINITIONS: Record<ProbeModelName, { description: string; graph: () => OnnxGraph }> = {
  conv: {
    description: "3×3 convolution, 3 → 8 channels on 16×16, then Relu",
    graph: () => {
      const random = mulberry32(0x9e0b0001);
      return graph(
        "probe-conv",
        { in: [1, 3, 16, 16], out: [1, 8, 16, 16] },
        [weight(random, "conv.weight", [8, 3, 3, 3], 0.3), weight(random, "conv.bias", [8], 0.1)],
        [
          node("Conv", ["x", "conv.weight", "conv.bias"], ["conv_out"], {
            kernel_shape: [3, 3],
            pads: [1, 1, 1, 1],
          }),
          node("Relu", ["conv_out"], ["y"]),
        ],
      );
    },
  },
  softmax: {
    description: "Gemm 64 → 128, then Softmax",
    graph: () =>
      denseThen(
        "probe-softmax",
        0x9e0b0002,
        { in: 64, out: 128 },
        node("Softmax", ["fc_out"], ["y"], { axis: -1 }),
      ),
  },
  sigmoid: {
    description: "Gemm 64 → 128, then Sigmoid",
    graph: () =>
      denseThen(
        "probe-sigmoid",
        0x9e0b0003,
        { in: 64, out: 128 },
        node("Sigmoid", ["fc_out"], ["y"]),
      ),
  },
  layernorm: {
    description: "LayerNormalization over 256 features (opset 17)",
    graph: () => {
      const random = mulberry32(0x9e0b0004);
      return graph(
        "probe-layernorm",
        { in: [1, 256], out: [1, 256] },
        [weight(random, "ln.scale", [256], 1.5), weight(random, "ln.bias", [256], 0.5)],
        [
          node("LayerNormalization", ["x", "ln.scale", "ln.bias"], ["y"], {
            axis: -1,
            epsilon: 1e-5,
          }),
        ],
        17,
      );
    },
  },
  "matmul-wide": {
    description: "MatMul [1, 512] × [512, 384]",
    graph: () => {
      const random = mulberry32(0x9e0b0005);
      return graph(
        "probe-matmul-wide",
        { in: [1, 512], out: [1, 384] },
        [weight(random, "w", [512, 384], 1 / Math.sqrt(512))],
        [node("MatMul", ["x", "w"], ["y"])],
      );
    },
  },
};

const memo = new Map<ProbeModelName, ProbeModel>();

/**
 * A probe model by name, built once per process.
 *
 * @example
 * const { bytes, input } = probeModel("softmax");
 */
export function probeModel(name: ProbeModelName): ProbeModel {
  const known = memo.get(name);
  if (known !== undefined) return known;
  const definition = DEFINITIONS[name];
  if (definition === undefined) {
    throw new Error(`unknown probe model "${name}"; choose one of ${PROBE_MODEL_NAMES.join(", ")}`);
  }
  const built = definition.graph();
  const inputShape = staticShape(built.inputs[0]);
  const size = inputShape.reduce((a, b) => a * b, 1);
  const model: ProbeModel = {
    name,
    description: definition.description,
    inputShape,
    outputShape: staticShape(built.outputs[0]),
    graph: built,
    bytes: encodeOnnx(built),
    input: (seed) => uniform(mulberry32(seed ^ 0x9e0b1000), size, 2),
  };
  memo.set(name, model);
  return model;
}
