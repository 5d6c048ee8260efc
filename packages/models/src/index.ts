/**
 * @verity/models: small ONNX models written and read in TypeScript.
 *
 * - `encodeOnnx` / `decodeOnnx`: the subset of ONNX Verity uses, through protobufjs;
 * - `sampleModel`, `writeSampleModels`: the seeded sample models (credit-risk, mnist-mlp) that
 *   tests, the demo and the benchmarks share, byte-for-byte reproducible;
 * - `probeModel`: seeded models with the kernels the determinism check covers (Conv, Softmax,
 *   Sigmoid, LayerNormalization, a wide MatMul);
 * - `mulberry32`, `uniform`: seeded randomness every machine reproduces bit for bit;
 * - `readModelFile`: an ONNX file's bytes, `file://` url and shapes, ready to register;
 * - `runFloat`: a float64 reference forward pass to check onnxruntime against.
 *
 * @example
 * import { quantize } from "@verity/contracts";
 * import { sampleModel } from "@verity/models";
 * const model = sampleModel("credit-risk");
 * const input = quantize(model.sampleInput(1), model.decimals);
 */
export * from "./forward.js";
export * from "./modelFile.js";
export * from "./onnx.js";
export * from "./probes.js";
export * from "./random.js";
export * from "./samples.js";
export * from "./shapes.js";
