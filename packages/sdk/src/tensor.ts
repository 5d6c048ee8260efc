import {
  MAX_INPUT_BYTES,
  MalformedTensorError,
  decodeTensor,
  encodeTensor,
  encodedTensorLength,
  type Tensor,
  FixedPointError,
  dequantize,
  quantize,
} from "@verity/contracts";
import { getBytes, type BytesLike } from "ethers";
import { InputTooLargeError, InvalidInputError, TensorValueError } from "./errors.js";

/**
 * The one canonical tensor codec (packages/solidity/libraries/TensorCodec.sol, byte by byte in
 * docs/tensors.md), re-exported from @verity/contracts so the SDK, the worker and the contracts'
 * tests share it.
 */
export {
  MAX_INPUT_BYTES,
  MalformedTensorError,
  TENSOR_BYTES_PER_ELEMENT,
  TENSOR_DTYPE_INT32,
  TENSOR_HEADER_BYTES,
  TENSOR_MAX_ELEMENTS,
  TENSOR_MAX_RANK,
  TENSOR_VERSION,
  decodeTensor,
  encodeTensor,
  encodedTensorLength,
  tensorElementCount,
  type Tensor,
} from "@verity/contracts";

/** Real values as a flat row-major list, or nested arrays whose nesting is the shape. */
export type NumericTensor = number | readonly NumericTensor[];

/** What a model declares about its tensors: enough to encode and decode them. */
export interface TensorSpec {
  inputShape: readonly number[];
  outputShape: readonly number[];
  decimals: number;
}

/**
 * Real values to int32 fixed point at `decimals`: round(x · 10^decimals), half away from zero
 * (the protocol's rule, from @verity/contracts `quantize`).
 *
 * @throws TensorValueError for NaN, ±Infinity, or a value too large for an int32 at `decimals`.
 * @example
 * toFixedPoint([0.5, -1.25], 6); // [500000, -1250000]
 */
export function toFixedPoint(values: ArrayLike<number>, decimals: number): number[] {
  return asTensorValueError(() => quantize(values, decimals));
}

/**
 * Int32 fixed-point values back to reals: each divided by 10^decimals.
 *
 * @example
 * fromFixedPoint([500000, -1250000], 6); // [0.5, -1.25]
 */
export function fromFixedPoint(values: ArrayLike<number>, decimals: number): number[] {
  return asTensorValueError(() => dequantize(values, decimals));
}

/** @verity/models' `FixedPointError` as the SDK's `TensorValueError`, with what to do. */
function asTensorValueError<T>(convert: () => T): T {
  try {
    return convert();
  } catch (error) {
    if (error instanceof FixedPointError) throw new TensorValueError(error.message, error);
    throw error;
  }
}

/**
 * Flattens nested arrays row-major and reads their shape; a flat list has shape `[length]`.
 *
 * @throws InvalidInputError for ragged arrays or non-numbers.
 * @example
 * flattenTensor([[1, 2], [3, 4]]); // { shape: [2, 2], values: [1, 2, 3, 4] }
 */
export function flattenTensor(tensor: NumericTensor): { shape: number[]; values: number[] } {
  if (typeof tensor === "number") return { shape: [1], values: [tensor] };
  const shape: number[] = [];
  for (let level: NumericTensor = tensor; Array.isArray(level); level = level[0]) {
    shape.push(level.length);
    if (level.length === 0) throw new InvalidInputError("an array in the input is empty");
  }
  const values: number[] = [];
  const walk = (node: NumericTensor, depth: number, path: string) => {
    if (depth === shape.length) {
      if (typeof node !== "number") {
        throw new InvalidInputError(`${path} is ${JSON.stringify(node)}, expected a number`);
      }
      values.push(node);
      return;
    }
    if (!Array.isArray(node) || node.length !== shape[depth]) {
      throw new InvalidInputError(
        `${path} should be an array of ${shape[depth]} (the arrays are ragged)`,
      );
    }
    node.forEach((child: NumericTensor, i: number) => walk(child, depth + 1, `${path}[${i}]`));
  };
  walk(tensor, 0, "input");
  return { shape, values };
}

/**
 * Encodes real values as the model's input tensor: checks the count (and, for nested arrays, the
 * shape) against the model's input shape, converts to fixed point at its decimals, encodes.
 *
 * @throws InvalidInputError when the values do not fit the input shape; TensorValueError for
 * NaN, ±Infinity or values too large.
 * @example
 * const input = encodeInput(model, [0.1, -0.3, ...]); // 16 features for credit-risk
 * await requestInference(client, { modelId: model.modelId, input });
 */
export function encodeInput(
  spec: Pick<TensorSpec, "inputShape" | "decimals">,
  tensor: NumericTensor,
): string {
  const { shape, values } = flattenTensor(tensor);
  const expected = spec.inputShape.reduce((product, dim) => product * dim, 1);
  const nested = Array.isArray(tensor) && Array.isArray(tensor[0]);
  if (values.length !== expected) {
    throw new InvalidInputError(
      `the model takes ${expected} values (shape [${spec.inputShape.join(", ")}]), got ${values.length}`,
      { fix: "pass one value per element of the model's input shape, row-major." },
    );
  }
  // Checked before encoding: a shape this large would make megabytes no request can carry.
  checkInputLength(encodedTensorLength(spec.inputShape));
  if (nested && !sameShape(shape, spec.inputShape)) {
    throw new InvalidInputError(
      `the input's shape is [${shape.join(", ")}], the model's is [${spec.inputShape.join(", ")}]`,
      { fix: "nest the arrays as the model's input shape, or pass a flat row-major list." },
    );
  }
  return encodeTensor(spec.inputShape, toFixedPoint(values, spec.decimals));
}

/**
 * Checks that bytes are a canonical tensor of the model's input shape, before paying for a
 * request a worker would refuse.
 *
 * @throws InvalidInputError naming what is wrong.
 * @example
 * checkInput(model, "0x010102...");
 */
export function checkInput(spec: Pick<TensorSpec, "inputShape">, bytes: BytesLike): Tensor {
  checkInputLength(getBytes(bytes).length);
  let tensor: Tensor;
  try {
    tensor = decodeTensor(bytes);
  } catch (error) {
    if (error instanceof MalformedTensorError) {
      throw new InvalidInputError(error.message, {
        cause: error,
        fix: "encode the input with encodeTensor or encodeInput (docs/tensors.md).",
      });
    }
    throw error;
  }
  if (!sameShape(tensor.shape, spec.inputShape)) {
    throw new InvalidInputError(
      `the tensor's shape is [${tensor.shape.join(", ")}], the model's input shape is [${spec.inputShape.join(", ")}]`,
      { fix: "encode one tensor of the model's input shape." },
    );
  }
  return tensor;
}

/**
 * Refuses an encoded input longer than `MAX_INPUT_BYTES`, the most any request may carry, before
 * anything is sent: the node would refuse the transaction, or the hub the input.
 *
 * @throws InputTooLargeError naming the length and the limit.
 */
export function checkInputLength(inputBytes: number): void {
  if (inputBytes > MAX_INPUT_BYTES) throw new InputTooLargeError(inputBytes);
}

/** A decoded output: the fixed-point integers and the real values they stand for. */
export interface DecodedOutput extends Tensor {
  real: number[];
}

/**
 * Decodes an output tensor and converts it back to real values at the model's decimals.
 *
 * @example
 * const { real } = decodeOutput(model, result.output.bytes); // [0.4231]
 */
export function decodeOutput(spec: Pick<TensorSpec, "decimals">, bytes: BytesLike): DecodedOutput {
  const tensor = decodeTensor(bytes);
  return { ...tensor, real: fromFixedPoint(tensor.values, spec.decimals) };
}

function sameShape(a: readonly number[], b: readonly number[]): boolean {
  return a.length === b.length && a.every((dim, i) => dim === b[i]);
}
