import type { OnnxDim, OnnxGraph } from "@verity/models";

/**
 * Small ONNX graphs for tests that need a model of a particular kind (an exporter's open batch
 * dim, an operator nobody has, an output too large to settle) without a Python exporter: write
 * them with `encodeOnnx`.
 */

/** One node of `opType` from input `x` to output `y`, with no attributes or weights. */
export function oneNode(opType: string, inputShape: OnnxDim[], outputShape: OnnxDim[]): OnnxGraph {
  return {
    name: opType,
    irVersion: 8,
    opsetVersion: 13,
    inputs: [{ name: "x", shape: inputShape }],
    outputs: [{ name: "y", shape: outputShape }],
    initializers: [],
    nodes: [{ opType, name: "n", inputs: ["x"], outputs: ["y"], attributes: {} }],
  };
}

/**
 * What an exporter writes for a dynamic batch: input and output [batch, 4] with the batch dim
 * named, and a Constant node whose `value` is a TENSOR attribute, added to the input.
 */
export function dynamicBatchGraph(): OnnxGraph {
  return {
    name: "dynamic",
    irVersion: 8,
    opsetVersion: 13,
    inputs: [{ name: "x", shape: ["batch", 4] }],
    outputs: [{ name: "y", shape: ["batch", 4] }],
    initializers: [],
    nodes: [
      {
        opType: "Constant",
        name: "c",
        inputs: [],
        outputs: ["c"],
        attributes: { value: { name: "", dims: [4], data: Float32Array.from([1, 2, 3, 4]) } },
      },
      { opType: "Add", name: "add", inputs: ["x", "c"], outputs: ["y"], attributes: {} },
    ],
  };
}

/**
 * A small input made into a large output: Tile repeats x [1, 4] `repeats` times along axis 1,
 * giving [1, 4 * repeats]. What an output too large to settle looks like when the input is not
 * (a one-node Relu that large would be refused for its input first).
 */
export function wideOutputGraph(repeats: number): OnnxGraph {
  return {
    name: "wide-output",
    irVersion: 8,
    opsetVersion: 13,
    inputs: [{ name: "x", shape: [1, 4] }],
    outputs: [{ name: "y", shape: [1, 4 * repeats] }],
    initializers: [
      { name: "repeats", dims: [2], data: Float32Array.from([1, repeats]), dataType: "int64" },
    ],
    nodes: [
      { opType: "Tile", name: "tile", inputs: ["x", "repeats"], outputs: ["y"], attributes: {} },
    ],
  };
}
