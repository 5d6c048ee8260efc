import { openDimension } from "@verity/models/onnx";
import type { OnnxGraph, OnnxInitializer, OnnxNode, OnnxValueInfo } from "@verity/models/onnx";
import { INT32_MAX, bitLength } from "./field.js";

/**
 * The layer IR the circuit generator and the reference executor share: a straight-line program
 * over flat row-major vectors of fixed-point integers at one scale S = 10^decimals.
 *
 * Semantics (the circuit's and the executor's, exactly):
 * - `linear`: acc_j = Σ_i W[j][i]·x_i + b_j·S, then y_j = floor((acc_j + ⌊S/2⌋) / S), i.e. the
 *   exact quotient rounded half up; y_j must fit int32 or the circuit has no witness.
 * - `sparse` (Conv, AveragePool): per output j, y_j = floor((Σ_t w_t·x_{i_t} + bias_j + ⌊D_j/2⌋) / D_j)
 *   over the inputs its window covers, D_j = S for a Conv and the element count for a pool.
 * - `relu`: y = max(x, 0).
 * - `add`: y = a + b; `addConst`: y = x + c. No rescale: both sides are at scale S.
 * Weights, biases and constants are the float32 ONNX values times 10^decimals (in float64),
 * rounded half away from zero, the rule `@verity/models` uses for inputs.
 */
export interface ZkLinear {
  op: "linear";
  node: string;
  opType: string;
  input: number;
  output: number;
  /** [outSize][inSize], at scale S. */
  weight: bigint[][];
  /** [outSize], at scale S (added as b·S to the accumulator, which is at scale S²). */
  bias: bigint[];
}

export interface ZkRelu {
  op: "relu";
  node: string;
  opType: string;
  input: number;
  output: number;
}

export interface ZkAdd {
  op: "add";
  node: string;
  opType: string;
  inputs: [number, number];
  output: number;
}

export interface ZkAddConst {
  op: "addConst";
  node: string;
  opType: string;
  input: number;
  output: number;
  /** One constant per element, at scale S. */
  constant: bigint[];
}

/**
 * A linear layer with few inputs per output (Conv, AveragePool): each row lists its inputs.
 * y_j = floor((Σ_t w_t·x_{i_t} + bias_j + ⌊D_j/2⌋) / D_j), D_j the row's divisor: S for a Conv
 * (weights at scale S, bias_j = b_j·S), the number of averaged elements for an AveragePool.
 */
export interface ZkSparseLinear {
  op: "sparse";
  node: string;
  opType: string;
  input: number;
  output: number;
  rows: { inputs: number[]; weights: bigint[]; bias: bigint; divisor: bigint }[];
}

export type ZkLayer = ZkLinear | ZkSparseLinear | ZkRelu | ZkAdd | ZkAddConst;

/** A compiled model: value 0 is the input; each layer writes one new value. */
export interface ZkProgram {
  name: string;
  decimals: number;
  inputShape: number[];
  outputShape: number[];
  /** Element count of each value, by index. */
  sizes: number[];
  layers: ZkLayer[];
  /** Index of the value that is the model's output. */
  output: number;
}

/** An operator, attribute or shape the ZK compiler cannot turn into a circuit. */
export class ZkCompileError extends Error {
  override name = "ZkCompileError";
}

export const SUPPORTED_OPERATORS = [
  "Gemm",
  "MatMul",
  "Add",
  "Relu",
  "Flatten",
  "Reshape",
  "Conv",
  "AveragePool",
];

/** The scale S = 10^decimals as a bigint. */
export function scaleOf(decimals: number): bigint {
  if (!Number.isInteger(decimals) || decimals < 0 || decimals > 18) {
    throw new ZkCompileError(`decimals must be an integer in 0..18, got ${decimals}`);
  }
  return 10n ** BigInt(decimals);
}

/**
 * A real constant (weight, bias) at scale 10^decimals: the float64 product rounded half away from
 * zero. Weights are not limited to int32; the circuit's bound analysis covers any size.
 */
export function quantizeConstant(value: number, decimals: number, where: string): bigint {
  const scaled = value * 10 ** decimals;
  if (!Number.isFinite(scaled) || Math.abs(scaled) >= 2 ** 53) {
    throw new ZkCompileError(`${where}: constant ${value} has no exact fixed-point form`);
  }
  const rounded = scaled < 0 ? -Math.floor(-scaled + 0.5) : Math.floor(scaled + 0.5);
  return BigInt(rounded);
}

function elementCount(shape: readonly number[]): number {
  return shape.reduce((product, dim) => product * dim, 1);
}

interface DynamicTensor {
  value: number;
  shape: number[];
}

/**
 * Compiles an ONNX graph (as `@verity/models`' `decodeOnnx` returns it) to the layer IR.
 *
 * Supported, batch size 1: Gemm (transA = 0, constant B and C, any alpha and beta), MatMul by a
 * constant matrix, Add (two computed tensors of one shape, or a computed tensor and a constant that
 * is a scalar or has as many elements), Relu, Flatten, Reshape, and 2-D Conv (any strides, pads,
 * dilations, group) and AveragePool (explicit pads, no ceil mode) on [1, C, H, W]. An Add of a constant right after
 * a Gemm or MatMul whose result nothing else reads is folded into that layer's bias.
 *
 * @throws ZkCompileError naming the node and operator of anything else.
 */
export function compileOnnx(graph: OnnxGraph, decimals: number): ZkProgram {
  scaleOf(decimals);
  if (graph.inputs.length !== 1 || graph.outputs.length !== 1) {
    throw new ZkCompileError(
      `graph "${graph.name}" has ${graph.inputs.length} inputs and ${graph.outputs.length} ` +
        "outputs; the ZK compiler takes exactly one of each",
    );
  }
  // A circuit has fixed sizes: an open (symbolic) dimension cannot be compiled.
  const graphInput = { name: graph.inputs[0].name, shape: fixedShape(graph.inputs[0]) };
  const graphOutput = { name: graph.outputs[0].name, shape: fixedShape(graph.outputs[0]) };
  checkBatchOne(graphInput.shape, `graph input "${graphInput.name}"`);

  const initializers = new Map<string, OnnxInitializer>(
    graph.initializers.map((initializer) => [initializer.name, initializer]),
  );
  const uses = new Map<string, number>();
  for (const node of graph.nodes) {
    for (const name of node.inputs) uses.set(name, (uses.get(name) ?? 0) + 1);
  }
  uses.set(graphOutput.name, (uses.get(graphOutput.name) ?? 0) + 1);

  const sizes: number[] = [elementCount(graphInput.shape)];
  const layers: ZkLayer[] = [];
  const tensors = new Map<string, DynamicTensor>([
    [graphInput.name, { value: 0, shape: [...graphInput.shape] }],
  ]);
  /** Value index → the linear layer that wrote it, while nothing else has read it. */
  const foldable = new Map<number, ZkLinear>();

  const newValue = (size: number): number => sizes.push(size) - 1;
  const fail = (node: OnnxNode, why: string): never => {
    throw new ZkCompileError(`node "${node.name}" (${node.opType}): ${why}`);
  };
  const dynamic = (node: OnnxNode, index: number): DynamicTensor => {
    const name = node.inputs[index];
    const tensor = tensors.get(name);
    if (tensor === undefined) {
      if (initializers.has(name)) {
        fail(node, `input ${index} ("${name}") is a constant; only computed tensors go here`);
      }
      fail(node, `input ${index} ("${name}") is not produced by any earlier node`);
    }
    return tensor!;
  };
  const constant = (node: OnnxNode, index: number): OnnxInitializer => {
    const name = node.inputs[index];
    const initializer = initializers.get(name);
    if (initializer === undefined) {
      fail(node, `input ${index} ("${name}") must be a constant initializer`);
    }
    return initializer!;
  };
  const setOutput = (node: OnnxNode, tensor: DynamicTensor): void => {
    if (node.outputs.length !== 1) fail(node, `has ${node.outputs.length} outputs; expected 1`);
    tensors.set(node.outputs[0], tensor);
  };

  const addLinear = (
    node: OnnxNode,
    input: number,
    weight: bigint[][],
    bias: bigint[],
    shape: number[],
  ): void => {
    const layer: ZkLinear = {
      op: "linear",
      node: node.name,
      opType: node.opType,
      input,
      output: newValue(weight.length),
      weight,
      bias,
    };
    layers.push(layer);
    foldable.set(layer.output, layer);
    setOutput(node, { value: layer.output, shape });
  };

  for (const node of graph.nodes) {
    switch (node.opType) {
      case "Gemm": {
        const a = dynamic(node, 0);
        const alpha = numberAttribute(node, "alpha", 1);
        const beta = numberAttribute(node, "beta", 1);
        if (numberAttribute(node, "transA", 0) !== 0) fail(node, "transA = 1 is not supported");
        const transB = numberAttribute(node, "transB", 0) !== 0;
        if (a.shape.length !== 2 || a.shape[0] !== 1) {
          fail(node, `input A has shape [${a.shape}]; expected [1, K] (batch 1)`);
        }
        const b = constant(node, 1);
        if (b.dims.length !== 2) fail(node, `B has shape [${b.dims}]; expected a matrix`);
        const [rows, cols] = b.dims;
        const inSize = a.shape[1];
        const outSize = transB ? rows : cols;
        if ((transB ? cols : rows) !== inSize) {
          fail(
            node,
            `B of shape [${b.dims}] (transB = ${Number(transB)}) does not take ${inSize} inputs`,
          );
        }
        const weight = matrix(outSize, inSize, (j, i) =>
          quantizeConstant(
            b.data[transB ? j * cols + i : i * cols + j] * alpha,
            decimals,
            `node "${node.name}" (Gemm) B`,
          ),
        );
        const bias = new Array<bigint>(outSize).fill(0n);
        if (node.inputs.length > 2 && node.inputs[2] !== "") {
          const c = constant(node, 2);
          const values = broadcastVector(node, c, outSize, fail);
          values.forEach((value, j) => {
            bias[j] = quantizeConstant(value * beta, decimals, `node "${node.name}" (Gemm) C`);
          });
        }
        addLinear(node, a.value, weight, bias, [1, outSize]);
        break;
      }
      case "MatMul": {
        const a = dynamic(node, 0);
        const b = constant(node, 1);
        const vectorInput = a.shape.length === 1;
        if (!vectorInput && (a.shape.length !== 2 || a.shape[0] !== 1)) {
          fail(node, `input A has shape [${a.shape}]; expected [K] or [1, K] (batch 1)`);
        }
        const inSize = a.shape[a.shape.length - 1];
        if (b.dims.length !== 2 || b.dims[0] !== inSize) {
          fail(node, `B has shape [${b.dims}]; expected [${inSize}, N]`);
        }
        const outSize = b.dims[1];
        const weight = matrix(outSize, inSize, (j, i) =>
          quantizeConstant(b.data[i * outSize + j], decimals, `node "${node.name}" (MatMul) B`),
        );
        const bias = new Array<bigint>(outSize).fill(0n);
        addLinear(node, a.value, weight, bias, vectorInput ? [outSize] : [1, outSize]);
        break;
      }
      case "Add": {
        if (node.inputs.length !== 2) fail(node, `has ${node.inputs.length} inputs; expected 2`);
        const [left, right] = node.inputs.map((name) => tensors.get(name));
        if (left !== undefined && right !== undefined) {
          if (elementCount(left.shape) !== elementCount(right.shape) || !sameShape(left, right)) {
            fail(node, `adds shapes [${left.shape}] and [${right.shape}]; they must be equal`);
          }
          const output = newValue(sizes[left.value]);
          layers.push({
            op: "add",
            node: node.name,
            opType: node.opType,
            inputs: [left.value, right.value],
            output,
          });
          setOutput(node, { value: output, shape: left.shape });
          break;
        }
        const tensor = left ?? right;
        if (tensor === undefined) fail(node, "adds two constants; fold them before export");
        const c = constant(node, left === undefined ? 0 : 1);
        const size = sizes[tensor!.value];
        if (c.dims.length > tensor!.shape.length) {
          fail(
            node,
            `constant of shape [${c.dims}] would broadcast [${tensor!.shape}] to a larger rank`,
          );
        }
        const values = broadcastVector(node, c, size, fail).map((value) =>
          quantizeConstant(value, decimals, `node "${node.name}" (Add) constant`),
        );
        const producer = foldable.get(tensor!.value);
        if (producer !== undefined && uses.get(node.inputs[left === undefined ? 1 : 0]) === 1) {
          // Bias add right after a Gemm/MatMul that nothing else reads: fold it into the layer.
          values.forEach((value, j) => (producer.bias[j] += value));
          foldable.delete(tensor!.value);
          setOutput(node, tensor!);
          break;
        }
        const output = newValue(size);
        layers.push({
          op: "addConst",
          node: node.name,
          opType: node.opType,
          input: tensor!.value,
          output,
          constant: values,
        });
        setOutput(node, { value: output, shape: tensor!.shape });
        break;
      }
      case "Relu": {
        const x = dynamic(node, 0);
        const output = newValue(sizes[x.value]);
        layers.push({ op: "relu", node: node.name, opType: node.opType, input: x.value, output });
        setOutput(node, { value: output, shape: x.shape });
        break;
      }
      case "Flatten": {
        const x = dynamic(node, 0);
        const rank = x.shape.length;
        let axis = numberAttribute(node, "axis", 1);
        if (axis < 0) axis += rank;
        if (axis < 0 || axis > rank) fail(node, `axis ${axis} is out of range for rank ${rank}`);
        const shape = [elementCount(x.shape.slice(0, axis)), elementCount(x.shape.slice(axis))];
        setOutput(node, { value: x.value, shape });
        break;
      }
      case "Reshape": {
        const x = dynamic(node, 0);
        const target = constant(node, 1);
        const shape = reshapeTarget(node, x.shape, Array.from(target.data, Number), fail);
        setOutput(node, { value: x.value, shape });
        break;
      }
      case "Conv": {
        const x = dynamic(node, 0);
        const w = constant(node, 1);
        const bias =
          node.inputs.length > 2 && node.inputs[2] !== "" ? constant(node, 2) : undefined;
        const { rows, shape } = convolution(node, x.shape, w, bias, decimals, fail);
        const output = newValue(rows.length);
        layers.push({
          op: "sparse",
          node: node.name,
          opType: node.opType,
          input: x.value,
          output,
          rows,
        });
        setOutput(node, { value: output, shape });
        break;
      }
      case "AveragePool": {
        const x = dynamic(node, 0);
        const { rows, shape } = averagePool(node, x.shape, fail);
        const output = newValue(rows.length);
        layers.push({
          op: "sparse",
          node: node.name,
          opType: node.opType,
          input: x.value,
          output,
          rows,
        });
        setOutput(node, { value: output, shape });
        break;
      }
      default:
        fail(
          node,
          `unsupported operator; the ZK compiler handles ${SUPPORTED_OPERATORS.join(", ")}`,
        );
    }
    for (const name of node.inputs) {
      const tensor = tensors.get(name);
      if (tensor !== undefined && node.opType !== "Add") foldable.delete(tensor.value);
    }
  }

  const result = tensors.get(graphOutput.name);
  if (result === undefined) {
    throw new ZkCompileError(
      `graph output "${graphOutput.name}" is not computed from the input by supported nodes`,
    );
  }
  if (elementCount(result.shape) !== elementCount(graphOutput.shape)) {
    throw new ZkCompileError(
      `graph output "${graphOutput.name}" is declared [${graphOutput.shape}] but computes [${result.shape}]`,
    );
  }
  if (result.value === 0) {
    throw new ZkCompileError(`graph output "${graphOutput.name}" is the input itself`);
  }
  return {
    name: graph.name,
    decimals,
    inputShape: [...graphInput.shape],
    outputShape: [...graphOutput.shape],
    sizes,
    layers,
    output: result.value,
  };
}

function checkBatchOne(shape: readonly number[], what: string): void {
  if (shape.length === 0 || shape.some((dim) => !Number.isInteger(dim) || dim < 1)) {
    throw new ZkCompileError(`${what} has shape [${shape}]; expected static positive dimensions`);
  }
  if (shape.length > 1 && shape[0] !== 1) {
    throw new ZkCompileError(`${what} has batch size ${shape[0]}; the ZK compiler proves batch 1`);
  }
}

function sameShape(a: DynamicTensor, b: DynamicTensor): boolean {
  const squeeze = (shape: number[]) => shape.filter((dim, i) => !(dim === 1 && i === 0));
  return squeeze(a.shape).join(",") === squeeze(b.shape).join(",");
}

function fixedShape(info: OnnxValueInfo): number[] {
  const open = openDimension(info);
  if (open !== undefined) {
    throw new ZkCompileError(
      `"${info.name}" has an open dimension ("${open.name}") at axis ${open.axis}; a circuit ` +
        "needs fixed dimensions: export the model with batch 1",
    );
  }
  return info.shape as number[];
}

function numberAttribute(node: OnnxNode, name: string, fallback: number): number {
  const value = node.attributes[name];
  if (value === undefined) return fallback;
  if (typeof value !== "number") {
    throw new ZkCompileError(
      `node "${node.name}" (${node.opType}): attribute ${name} must be a number`,
    );
  }
  return value;
}

/** A constant that is a scalar or holds exactly `size` elements (any leading 1 dimensions). */
function broadcastVector(
  node: OnnxNode,
  constant: OnnxInitializer,
  size: number,
  fail: (node: OnnxNode, why: string) => never,
): number[] {
  const count = constant.data.length;
  if (count === 1) return new Array<number>(size).fill(constant.data[0]);
  if (count !== size) {
    fail(
      node,
      `constant "${constant.name}" of shape [${constant.dims}] does not broadcast to ${size} elements`,
    );
  }
  if (constant.dims.slice(0, -1).some((dim) => dim !== 1)) {
    fail(node, `constant "${constant.name}" of shape [${constant.dims}] is not a row vector`);
  }
  return Array.from(constant.data);
}

function reshapeTarget(
  node: OnnxNode,
  from: number[],
  target: number[],
  fail: (node: OnnxNode, why: string) => never,
): number[] {
  const total = elementCount(from);
  const shape = target.map((dim, i) => (dim === 0 ? from[i] : dim));
  const inferred = shape.filter((dim) => dim === -1).length;
  if (inferred > 1 || shape.some((dim) => dim === undefined || dim < -1)) {
    fail(node, `target shape [${target}] is not a valid reshape of [${from}]`);
  }
  if (inferred === 1) {
    const known = elementCount(shape.filter((dim) => dim !== -1));
    if (known === 0 || total % known !== 0)
      fail(node, `cannot infer -1 reshaping [${from}] to [${target}]`);
    shape[shape.indexOf(-1)] = total / known;
  }
  if (elementCount(shape) !== total)
    fail(node, `cannot reshape [${from}] (${total} elements) to [${shape}]`);
  if (shape.length > 1 && shape[0] !== 1)
    fail(node, `reshapes to batch ${shape[0]}; only batch 1 is proved`);
  return shape;
}

type Fail = (node: OnnxNode, why: string) => never;
type SparseRow = ZkSparseLinear["rows"][number];

function listAttribute(node: OnnxNode, name: string, fallback: number[]): number[] {
  const value = node.attributes[name];
  if (value === undefined) return fallback;
  if (!Array.isArray(value)) {
    throw new ZkCompileError(
      `node "${node.name}" (${node.opType}): attribute ${name} must be a list`,
    );
  }
  return value;
}

/** The 2-D window geometry shared by Conv and AveragePool (NOTSET padding, no ceil mode). */
function window2d(node: OnnxNode, input: number[], kernel: number[], fail: Fail) {
  if (input.length !== 4 || input[0] !== 1) {
    fail(node, `input has shape [${input}]; expected [1, C, H, W] (2-D, batch 1)`);
  }
  const autoPad = node.attributes.auto_pad;
  if (autoPad !== undefined && autoPad !== "NOTSET" && autoPad !== "VALID") {
    fail(node, `auto_pad ${String(autoPad)} is not supported; give explicit pads`);
  }
  if (numberAttribute(node, "ceil_mode", 0) !== 0) fail(node, "ceil_mode = 1 is not supported");
  const [, channels, height, width] = input;
  const strides = listAttribute(node, "strides", [1, 1]);
  const dilations = listAttribute(node, "dilations", [1, 1]);
  const pads = listAttribute(node, "pads", [0, 0, 0, 0]);
  if (kernel.length !== 2 || strides.length !== 2 || dilations.length !== 2 || pads.length !== 4) {
    fail(node, "only 2-D windows are supported (kernel_shape, strides, dilations of 2, pads of 4)");
  }
  const out = (size: number, axis: number) =>
    Math.floor(
      (size + pads[axis] + pads[axis + 2] - dilations[axis] * (kernel[axis] - 1) - 1) /
        strides[axis],
    ) + 1;
  const outHeight = out(height, 0);
  const outWidth = out(width, 1);
  if (outHeight < 1 || outWidth < 1) fail(node, `window does not fit the input [${input}]`);
  /** Input index at output (oh, ow), kernel offset (kh, kw), channel c; -1 in the padding. */
  const at = (c: number, oh: number, ow: number, kh: number, kw: number) => {
    const h = oh * strides[0] + kh * dilations[0] - pads[0];
    const w = ow * strides[1] + kw * dilations[1] - pads[1];
    return h < 0 || h >= height || w < 0 || w >= width ? -1 : (c * height + h) * width + w;
  };
  return { channels, outHeight, outWidth, at };
}

/** Conv as rows of a sparse linear layer: weights and bias at scale S, divisor S. */
function convolution(
  node: OnnxNode,
  input: number[],
  weight: OnnxInitializer,
  bias: OnnxInitializer | undefined,
  decimals: number,
  fail: Fail,
): { rows: SparseRow[]; shape: number[] } {
  if (weight.dims.length !== 4)
    fail(node, `weight has shape [${weight.dims}]; expected [M, C/group, kH, kW]`);
  const [outChannels, groupChannels, kh, kw] = weight.dims;
  const kernel = listAttribute(node, "kernel_shape", [kh, kw]);
  if (kernel[0] !== kh || kernel[1] !== kw)
    fail(node, `kernel_shape [${kernel}] differs from the weight's`);
  const group = numberAttribute(node, "group", 1);
  const { channels, outHeight, outWidth, at } = window2d(node, input, kernel, fail);
  if (channels !== groupChannels * group || outChannels % group !== 0) {
    fail(
      node,
      `weight [${weight.dims}] with group ${group} does not fit ${channels} input channels`,
    );
  }
  if (bias !== undefined && bias.data.length !== outChannels) {
    fail(
      node,
      `bias "${bias.name}" has ${bias.data.length} values for ${outChannels} output channels`,
    );
  }
  const scale = scaleOf(decimals);
  const where = `node "${node.name}" (Conv)`;
  const w = Array.from(weight.data, (value) =>
    quantizeConstant(value, decimals, `${where} weight`),
  );
  const b = Array.from(bias?.data ?? new Float32Array(outChannels), (value) =>
    quantizeConstant(value, decimals, `${where} bias`),
  );
  const rows: SparseRow[] = [];
  for (let m = 0; m < outChannels; m++) {
    const firstChannel = Math.floor(m / (outChannels / group)) * groupChannels;
    for (let oh = 0; oh < outHeight; oh++) {
      for (let ow = 0; ow < outWidth; ow++) {
        const row: SparseRow = { inputs: [], weights: [], bias: b[m] * scale, divisor: scale };
        for (let c = 0; c < groupChannels; c++) {
          for (let i = 0; i < kh; i++) {
            for (let j = 0; j < kw; j++) {
              const index = at(firstChannel + c, oh, ow, i, j);
              const value = w[((m * groupChannels + c) * kh + i) * kw + j];
              if (index >= 0 && value !== 0n) {
                row.inputs.push(index);
                row.weights.push(value);
              }
            }
          }
        }
        rows.push(row);
      }
    }
  }
  return { rows, shape: [1, outChannels, outHeight, outWidth] };
}

/**
 * AveragePool as rows of a sparse linear layer: weights 1 and the divisor the number of elements
 * averaged (the whole window with count_include_pad = 1, only those inside the input otherwise):
 * the exact mean rounded half up.
 */
function averagePool(
  node: OnnxNode,
  input: number[],
  fail: Fail,
): { rows: SparseRow[]; shape: number[] } {
  const kernel = listAttribute(node, "kernel_shape", []);
  const includePad = numberAttribute(node, "count_include_pad", 0) !== 0;
  if (node.attributes.dilations !== undefined) fail(node, "dilations are not supported");
  const { channels, outHeight, outWidth, at } = window2d(node, input, kernel, fail);
  const rows: SparseRow[] = [];
  for (let c = 0; c < channels; c++) {
    for (let oh = 0; oh < outHeight; oh++) {
      for (let ow = 0; ow < outWidth; ow++) {
        const inputs: number[] = [];
        for (let i = 0; i < kernel[0]; i++) {
          for (let j = 0; j < kernel[1]; j++) {
            const index = at(c, oh, ow, i, j);
            if (index >= 0) inputs.push(index);
          }
        }
        const divisor = BigInt(includePad ? kernel[0] * kernel[1] : inputs.length);
        rows.push({ inputs, weights: inputs.map(() => 1n), bias: 0n, divisor });
      }
    }
  }
  return { rows, shape: [1, channels, outHeight, outWidth] };
}

function matrix(rows: number, cols: number, at: (row: number, col: number) => bigint): bigint[][] {
  return Array.from({ length: rows }, (_, row) =>
    Array.from({ length: cols }, (_, col) => at(row, col)),
  );
}

/**
 * What the circuit knows about a value: an upper bound on |x| that holds for every satisfying
 * witness, and whether the circuit constrains it to int32.
 */
export interface ValueBound {
  bound: bigint;
  int32: boolean;
  /** Set when a range check on this value already exposes its sign (a rescaled layer output). */
  hasSign: boolean;
}

/**
 * Bounds of every value, given that the input is int32 (the binding fixes it to the request's
 * int32 elements). Also checks that no accumulator can wrap around the field, which is what makes
 * the rescale's equation sound.
 */
export function valueBounds(program: ZkProgram, fieldModulus: bigint): ValueBound[] {
  const scale = scaleOf(program.decimals);
  const bounds: ValueBound[] = [{ bound: INT32_MAX + 1n, int32: true, hasSign: false }];
  for (const layer of program.layers) {
    switch (layer.op) {
      case "linear": {
        const input = bounds[layer.input].bound;
        layer.weight.forEach((row, j) => {
          const acc =
            row.reduce((sum, w) => sum + (w < 0n ? -w : w), 0n) * input +
            (layer.bias[j] < 0n ? -layer.bias[j] : layer.bias[j]) * scale +
            scale * (INT32_MAX + 2n);
          if (acc * 2n >= fieldModulus) {
            throw new ZkCompileError(
              `node "${layer.node}" (${layer.opType}): accumulator bound 2^${bitLength(acc)} ` +
                "could wrap around the field",
            );
          }
        });
        bounds[layer.output] = { bound: INT32_MAX + 1n, int32: true, hasSign: true };
        break;
      }
      case "sparse": {
        const input = bounds[layer.input].bound;
        for (const row of layer.rows) {
          const acc =
            row.weights.reduce((sum, w) => sum + (w < 0n ? -w : w), 0n) * input +
            (row.bias < 0n ? -row.bias : row.bias) +
            row.divisor * (INT32_MAX + 2n);
          if (acc * 2n >= fieldModulus) {
            throw new ZkCompileError(
              `node "${layer.node}" (${layer.opType}): accumulator bound 2^${bitLength(acc)} ` +
                "could wrap around the field",
            );
          }
        }
        bounds[layer.output] = { bound: INT32_MAX + 1n, int32: true, hasSign: true };
        break;
      }
      case "relu": {
        const { bound, int32 } = bounds[layer.input];
        bounds[layer.output] = { bound, int32, hasSign: false };
        break;
      }
      case "add": {
        const bound = bounds[layer.inputs[0]].bound + bounds[layer.inputs[1]].bound;
        bounds[layer.output] = { bound, int32: false, hasSign: false };
        break;
      }
      case "addConst": {
        const max = layer.constant.reduce(
          (m, c) => (c < 0n ? (-c > m ? -c : m) : c > m ? c : m),
          0n,
        );
        bounds[layer.output] = {
          bound: bounds[layer.input].bound + max,
          int32: false,
          hasSign: false,
        };
        break;
      }
    }
    const produced = bounds[layer.output];
    if (produced.bound * 2n >= fieldModulus) {
      throw new ZkCompileError(
        `node "${layer.node}" (${layer.opType}): values could wrap around the field`,
      );
    }
  }
  return bounds;
}

/** A program as JSON, weights as decimal strings. */
export function serializeProgram(program: ZkProgram): string {
  return JSON.stringify(program, (_, value) =>
    typeof value === "bigint" ? value.toString() : value,
  );
}

/** Reads `serializeProgram`'s JSON back, weights as bigints. */
export function parseProgram(json: string): ZkProgram {
  const program = JSON.parse(json) as ZkProgram;
  for (const layer of program.layers) {
    if (layer.op === "linear") {
      layer.weight = layer.weight.map((row) => row.map(BigInt));
      layer.bias = layer.bias.map(BigInt);
    } else if (layer.op === "sparse") {
      layer.rows = layer.rows.map((row) => ({
        inputs: row.inputs,
        weights: row.weights.map(BigInt),
        bias: BigInt(row.bias),
        divisor: BigInt(row.divisor),
      }));
    } else if (layer.op === "addConst") {
      layer.constant = layer.constant.map(BigInt);
    }
  }
  return program;
}
