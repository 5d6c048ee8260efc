import { getBytes, hexlify } from "ethers";
import type { BytesLike } from "ethers";

/**
 * The canonical tensor encoding of packages/solidity/libraries/TensorCodec.sol:
 *
 *   byte 0          version, 0x01
 *   byte 1          dtype, 0x01 = int32
 *   byte 2          rank r (1..8)
 *   bytes 3..3+4r   dimensions, uint32 big-endian each
 *   then            the elements in row-major order, int32 big-endian (two's complement)
 *
 * Each element is a real value x as round(x * 10^decimals) at the model's declared decimals.
 */
export const TENSOR_VERSION = 0x01;
export const TENSOR_DTYPE_INT32 = 0x01;
export const TENSOR_HEADER_BYTES = 3;
export const TENSOR_BYTES_PER_ELEMENT = 4;
export const TENSOR_MAX_RANK = 8;
export const TENSOR_MAX_ELEMENTS = 2 ** 24;

const INT32_MIN = -(2 ** 31);
const INT32_MAX = 2 ** 31 - 1;
const UINT32_MAX = 2 ** 32 - 1;

/** A decoded tensor: its shape and its elements in row-major order. */
export interface Tensor {
  shape: number[];
  values: number[];
}

/** Bytes that are not a canonical tensor, or a shape or value that cannot be encoded. */
export class MalformedTensorError extends Error {
  override name = "MalformedTensorError";
}

/**
 * The number of elements of a valid shape. Throws `MalformedTensorError` for a shape the contracts
 * reject: no dimensions, more than 8, a zero or non-uint32 dimension, or more than 2^24 elements.
 */
export function tensorElementCount(shape: readonly number[]): number {
  if (shape.length === 0 || shape.length > TENSOR_MAX_RANK) {
    throw new MalformedTensorError(
      `tensor rank must be 1..${TENSOR_MAX_RANK}, got ${shape.length}`,
    );
  }
  let elements = 1;
  for (const dim of shape) {
    if (!Number.isInteger(dim) || dim < 1 || dim > UINT32_MAX) {
      throw new MalformedTensorError(
        `tensor dimension must be an integer in 1..2^32-1, got ${dim} in [${shape.join(", ")}]`,
      );
    }
    elements *= dim;
    if (elements > TENSOR_MAX_ELEMENTS) {
      throw new MalformedTensorError(
        `tensor of shape [${shape.join(", ")}] has more than ${TENSOR_MAX_ELEMENTS} elements`,
      );
    }
  }
  return elements;
}

/**
 * The encoded length in bytes of a tensor of `shape`: `TensorCodec.encodedLength`, and the
 * `inputBytes` the model registry stores for a model's input shape.
 */
export function encodedTensorLength(shape: readonly number[]): number {
  return (
    TENSOR_HEADER_BYTES + TENSOR_BYTES_PER_ELEMENT * (shape.length + tensorElementCount(shape))
  );
}

/**
 * Encodes int32 fixed-point values of the given shape in the canonical layout.
 *
 * @returns The encoding as a 0x-prefixed hex string, ready for a contract call.
 * @example
 * const features = encodeTensor([1, 16], Array.from({ length: 16 }, (_, i) => i * 1000));
 */
export function encodeTensor(
  shape: readonly number[],
  values: readonly (number | bigint)[],
): string {
  const elements = tensorElementCount(shape);
  if (values.length !== elements) {
    throw new MalformedTensorError(
      `shape [${shape.join(", ")}] needs ${elements} values, got ${values.length}`,
    );
  }
  const bytes = new Uint8Array(encodedTensorLength(shape));
  const view = new DataView(bytes.buffer);
  bytes[0] = TENSOR_VERSION;
  bytes[1] = TENSOR_DTYPE_INT32;
  bytes[2] = shape.length;
  let offset = TENSOR_HEADER_BYTES;
  for (const dim of shape) {
    view.setUint32(offset, dim, false);
    offset += TENSOR_BYTES_PER_ELEMENT;
  }
  values.forEach((value, index) => {
    const asNumber = Number(value);
    if (!Number.isInteger(asNumber) || asNumber < INT32_MIN || asNumber > INT32_MAX) {
      throw new MalformedTensorError(
        `tensor value ${value} at index ${index} is not an int32 (fixed-point values are integers)`,
      );
    }
    view.setInt32(offset, asNumber, false);
    offset += TENSOR_BYTES_PER_ELEMENT;
  });
  return hexlify(bytes);
}

/**
 * Decodes a canonical tensor, checking the version, dtype, rank, dimensions and exact length.
 * Stricter than `TensorCodec.elementAt` on-chain, which reads one element without checking the
 * dimensions against the length: a worker must reject what the contracts would merely tolerate.
 *
 * @throws MalformedTensorError naming what is wrong.
 */
export function decodeTensor(data: BytesLike): Tensor {
  const bytes = getBytes(data);
  if (bytes.length < TENSOR_HEADER_BYTES) {
    throw new MalformedTensorError(
      `tensor is ${bytes.length} bytes, shorter than its ${TENSOR_HEADER_BYTES}-byte header`,
    );
  }
  if (bytes[0] !== TENSOR_VERSION) {
    throw new MalformedTensorError(
      `unsupported tensor version 0x${bytes[0].toString(16).padStart(2, "0")}, expected 0x01`,
    );
  }
  if (bytes[1] !== TENSOR_DTYPE_INT32) {
    throw new MalformedTensorError(
      `unsupported tensor dtype 0x${bytes[1].toString(16).padStart(2, "0")}, expected 0x01 (int32)`,
    );
  }
  const rank = bytes[2];
  const dataStart = TENSOR_HEADER_BYTES + TENSOR_BYTES_PER_ELEMENT * rank;
  if (bytes.length < dataStart) {
    throw new MalformedTensorError(
      `tensor of rank ${rank} needs ${dataStart} header bytes, got ${bytes.length}`,
    );
  }
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const shape: number[] = [];
  for (let i = 0; i < rank; i++) {
    shape.push(view.getUint32(TENSOR_HEADER_BYTES + TENSOR_BYTES_PER_ELEMENT * i, false));
  }
  const elements = tensorElementCount(shape);
  const expectedLength = dataStart + TENSOR_BYTES_PER_ELEMENT * elements;
  if (bytes.length !== expectedLength) {
    throw new MalformedTensorError(
      `tensor of shape [${shape.join(", ")}] must be ${expectedLength} bytes, got ${bytes.length}`,
    );
  }
  const values: number[] = [];
  for (let i = 0; i < elements; i++) {
    values.push(view.getInt32(dataStart + TENSOR_BYTES_PER_ELEMENT * i, false));
  }
  return { shape, values };
}
