/**
 * The BN254 scalar field that circom circuits and Groth16 over alt_bn128 (the EVM's precompiles)
 * work in, and the mapping between signed integers and field elements: a negative x is p − |x|.
 */
export const SNARK_FIELD =
  21888242871839275222246405745257275088548364400416034343698204186575808495617n;

const HALF_FIELD = SNARK_FIELD >> 1n;

/** A signed integer as a field element in [0, p): x mod p, so −1 is p − 1. */
export function toField(value: bigint): bigint {
  const reduced = value % SNARK_FIELD;
  return reduced < 0n ? reduced + SNARK_FIELD : reduced;
}

/** A field element read back as a signed integer in (−p/2, p/2]. */
export function fromField(element: bigint): bigint {
  return element > HALF_FIELD ? element - SNARK_FIELD : element;
}

/** Floor division of integers (BigInt `/` truncates toward zero). */
export function floorDiv(numerator: bigint, denominator: bigint): bigint {
  const quotient = numerator / denominator;
  return numerator % denominator !== 0n && numerator < 0n !== denominator < 0n
    ? quotient - 1n
    : quotient;
}

/** Number of bits needed to write the non-negative `value` in binary (0 for 0). */
export function bitLength(value: bigint): number {
  if (value < 0n) throw new RangeError(`bitLength of a negative value ${value}`);
  return value === 0n ? 0 : value.toString(2).length;
}

export const INT32_MIN = -(2n ** 31n);
export const INT32_MAX = 2n ** 31n - 1n;
