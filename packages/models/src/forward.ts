import { staticShape, type OnnxGraph, type OnnxNode } from "./onnx.js";

/**
 * A plain-JavaScript forward pass in float64, the reference that onnxruntime's float32 output is
 * tested against. It runs the operators Verity's sample models and simple exported MLPs use; the
 * ZK package has its own integer executor whose arithmetic is the circuit's.
 */

/** A graph this executor cannot run: an operator, attribute or shape it does not support. */
export class ForwardError extends Error {
  override name = "ForwardError";
}

interface Tensor {
  dims: number[];
  data: Float64Array;
}

type Operator = (node: OnnxNode, inputs: Tensor[]) => Tensor;

const OPERATORS: Readonly<Record<string, Operator>> = {
  Gemm: gemm,
  MatMul: matMul,
  Add: add,
  Relu: relu,
  Flatten: flatten,
  Reshape: reshape,
};

/**
 * Runs `graph` on one input (its first graph input, row-major) and returns its first output.
 *
 * @throws ForwardError naming the node and operator for anything unsupported, and for an input
 * whose length does not match the graph's input shape.
 * @example
 * const scores = runFloat(sampleModel("mnist-mlp").graph, new Float32Array(784));
 */
export function runFloat(graph: OnnxGraph, input: Float32Array): Float32Array {
  const [graphInput] = graph.inputs;
  const [graphOutput] = graph.outputs;
  if (graphInput === undefined || graphOutput === undefined) {
    throw new ForwardError(`graph "${graph.name}" needs at least one input and one output`);
  }
  const inputShape = staticShape(graphInput);
  const expected = elementCount(inputShape);
  if (input.length !== expected) {
    throw new ForwardError(
      `input "${graphInput.name}" of shape [${inputShape.join(", ")}] needs ${expected} ` +
        `values, got ${input.length}`,
    );
  }
  const values = new Map<string, Tensor>();
  for (const initializer of graph.initializers) {
    values.set(initializer.name, {
      dims: initializer.dims,
      data: Float64Array.from(initializer.data),
    });
  }
  values.set(graphInput.name, { dims: inputShape, data: Float64Array.from(input) });
  for (const node of graph.nodes) {
    const operator = OPERATORS[node.opType];
    if (operator === undefined) {
      throw new ForwardError(
        `node "${node.name}" is a ${node.opType}, which runFloat does not support ` +
          `(it runs ${Object.keys(OPERATORS).join(", ")})`,
      );
    }
    const inputs = node.inputs.map((name) => {
      const value = values.get(name);
      if (value === undefined) {
        throw new ForwardError(
          `node "${node.name}" (${node.opType}) reads "${name}", which no earlier node, ` +
            "initializer or graph input defines (nodes must be in topological order)",
        );
      }
      return value;
    });
    values.set(node.outputs[0], operator(node, inputs));
  }
  const output = values.get(graphOutput.name);
  if (output === undefined) {
    throw new ForwardError(`graph output "${graphOutput.name}" is never computed`);
  }
  return Float32Array.from(output.data);
}

function elementCount(dims: readonly number[]): number {
  return dims.reduce((product, dim) => product * dim, 1);
}

function fail(node: OnnxNode, problem: string): never {
  throw new ForwardError(`node "${node.name}" (${node.opType}): ${problem}`);
}

function numberAttribute(node: OnnxNode, name: string, fallback: number): number {
  const value = node.attributes[name] ?? fallback;
  if (typeof value !== "number") fail(node, `attribute ${name} must be a number`);
  return value;
}

function matrix(node: OnnxNode, tensor: Tensor, which: string): [number, number] {
  if (tensor.dims.length !== 2) {
    fail(node, `${which} must be 2-D, got dims [${tensor.dims.join(", ")}]`);
  }
  return [tensor.dims[0], tensor.dims[1]];
}

/** Y = alpha · A' · B' + beta · C, with C broadcast to [M, N]. */
function gemm(node: OnnxNode, [a, b, c]: Tensor[]): Tensor {
  const alpha = numberAttribute(node, "alpha", 1);
  const beta = numberAttribute(node, "beta", 1);
  const transA = numberAttribute(node, "transA", 0) !== 0;
  const transB = numberAttribute(node, "transB", 0) !== 0;
  const [aRows, aCols] = matrix(node, a, "A");
  const [bRows, bCols] = matrix(node, b, "B");
  const [m, k] = transA ? [aCols, aRows] : [aRows, aCols];
  const [kB, n] = transB ? [bCols, bRows] : [bRows, bCols];
  if (k !== kB) fail(node, `inner dimensions differ: A' is [${m}, ${k}], B' is [${kB}, ${n}]`);
  const bias = c === undefined ? undefined : broadcastTo(node, c, [m, n]);
  const out = new Float64Array(m * n);
  for (let i = 0; i < m; i++) {
    for (let j = 0; j < n; j++) {
      let sum = 0;
      for (let p = 0; p < k; p++) {
        const aValue = transA ? a.data[p * aCols + i] : a.data[i * aCols + p];
        const bValue = transB ? b.data[j * bCols + p] : b.data[p * bCols + j];
        sum += aValue * bValue;
      }
      out[i * n + j] = alpha * sum + (bias === undefined ? 0 : beta * bias[i * n + j]);
    }
  }
  return { dims: [m, n], data: out };
}

/** 2-D matrix product; batched (N-D) MatMul is not needed by Verity's models. */
function matMul(node: OnnxNode, [a, b]: Tensor[]): Tensor {
  const [m, k] = matrix(node, a, "A");
  const [kB, n] = matrix(node, b, "B");
  if (k !== kB) fail(node, `inner dimensions differ: A is [${m}, ${k}], B is [${kB}, ${n}]`);
  const out = new Float64Array(m * n);
  for (let i = 0; i < m; i++) {
    for (let j = 0; j < n; j++) {
      let sum = 0;
      for (let p = 0; p < k; p++) sum += a.data[i * k + p] * b.data[p * n + j];
      out[i * n + j] = sum;
    }
  }
  return { dims: [m, n], data: out };
}

/** Elementwise sum with numpy (multidirectional) broadcasting. */
function add(node: OnnxNode, [a, b]: Tensor[]): Tensor {
  const rank = Math.max(a.dims.length, b.dims.length);
  const padded = (dims: number[]) => [...new Array<number>(rank - dims.length).fill(1), ...dims];
  const aDims = padded(a.dims);
  const bDims = padded(b.dims);
  const dims = aDims.map((dim, axis) => {
    const other = bDims[axis];
    if (dim !== other && dim !== 1 && other !== 1) {
      fail(node, `shapes [${a.dims.join(", ")}] and [${b.dims.join(", ")}] do not broadcast`);
    }
    return Math.max(dim, other);
  });
  const aFull = broadcastTo(node, a, dims);
  const bFull = broadcastTo(node, b, dims);
  return { dims, data: aFull.map((value, index) => value + bFull[index]) };
}

/** `tensor`'s values repeated to fill `dims` (numpy broadcasting, right-aligned). */
function broadcastTo(node: OnnxNode, tensor: Tensor, dims: number[]): Float64Array {
  const offset = dims.length - tensor.dims.length;
  if (offset < 0) fail(node, `cannot broadcast [${tensor.dims.join(", ")}] to [${dims}]`);
  const out = new Float64Array(elementCount(dims));
  const index = new Array<number>(dims.length).fill(0);
  for (let flat = 0; flat < out.length; flat++) {
    let source = 0;
    for (let axis = 0; axis < tensor.dims.length; axis++) {
      const dim = tensor.dims[axis];
      const target = dims[axis + offset];
      if (dim !== 1 && dim !== target) {
        fail(node, `cannot broadcast [${tensor.dims.join(", ")}] to [${dims.join(", ")}]`);
      }
      source = source * dim + (dim === 1 ? 0 : index[axis + offset]);
    }
    out[flat] = tensor.data[source];
    for (let axis = dims.length - 1; axis >= 0; axis--) {
      if (++index[axis] < dims[axis]) break;
      index[axis] = 0;
    }
  }
  return out;
}

function relu(_node: OnnxNode, [x]: Tensor[]): Tensor {
  return { dims: x.dims, data: x.data.map((value) => (value > 0 ? value : 0)) };
}

/** [d0 .. d(axis-1)] and [d(axis) ..] collapsed into a 2-D tensor. */
function flatten(node: OnnxNode, [x]: Tensor[]): Tensor {
  const rank = x.dims.length;
  const given = numberAttribute(node, "axis", 1);
  const axis = given < 0 ? given + rank : given;
  if (axis < 0 || axis > rank) fail(node, `axis ${given} is outside rank ${rank}`);
  const outer = elementCount(x.dims.slice(0, axis));
  return { dims: [outer, x.data.length / outer], data: x.data };
}

/** Opset ≥ 5 Reshape: the target shape is the second input; 0 copies a dim, -1 is inferred. */
function reshape(node: OnnxNode, [x, shape]: Tensor[]): Tensor {
  if (shape === undefined) fail(node, "needs its target shape as a second input");
  if (numberAttribute(node, "allowzero", 0) !== 0) fail(node, "allowzero=1 is not supported");
  const dims = Array.from(shape.data, (dim, axis) => (dim === 0 ? x.dims[axis] : dim));
  const inferred = dims.indexOf(-1);
  if (inferred >= 0) {
    const known = elementCount(dims.filter((_, axis) => axis !== inferred));
    dims[inferred] = x.data.length / known;
  }
  if (elementCount(dims) !== x.data.length || !dims.every((dim) => Number.isInteger(dim))) {
    fail(node, `cannot reshape [${x.dims.join(", ")}] to [${Array.from(shape.data).join(", ")}]`);
  }
  return { dims, data: x.data };
}
