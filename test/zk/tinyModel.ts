import { encodeOnnx } from "@verity/models";

/**
 * A 2-input, 1-output model (Gemm 2→3, Relu, Gemm 3→1), small enough for a 2^10 powers of tau:
 * the smallest setups and the public-signal binding are tested with it.
 */
export function tinyModelBytes(): Uint8Array {
  return encodeOnnx({
    name: "tiny",
    irVersion: 8,
    opsetVersion: 13,
    inputs: [{ name: "x", shape: [1, 2] }],
    outputs: [{ name: "y", shape: [1, 1] }],
    initializers: [
      { name: "w1", dims: [3, 2], data: Float32Array.from([0.5, -0.25, 1.5, 0.75, -1, 0.125]) },
      { name: "b1", dims: [3], data: Float32Array.from([0.1, -0.2, 0.3]) },
      { name: "w2", dims: [1, 3], data: Float32Array.from([0.6, -0.4, 0.9]) },
      { name: "b2", dims: [1], data: Float32Array.from([0.05]) },
    ],
    nodes: [
      {
        opType: "Gemm",
        name: "fc1",
        inputs: ["x", "w1", "b1"],
        outputs: ["h"],
        attributes: { alpha: 1, beta: 1, transB: 1 },
      },
      { opType: "Relu", name: "relu", inputs: ["h"], outputs: ["a"], attributes: {} },
      {
        opType: "Gemm",
        name: "fc2",
        inputs: ["a", "w2", "b2"],
        outputs: ["y"],
        attributes: { alpha: 1, beta: 1, transB: 1 },
      },
    ],
  });
}
