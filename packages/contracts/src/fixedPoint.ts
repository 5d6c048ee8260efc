/**
 * Fixed-point conversion: Verity inputs and outputs are int32 values, a real x travelling as
 * round(x · 10^decimals) at the model's declared decimals.
 */

const INT32_MIN = -(2 ** 31);
const INT32_MAX = 2 ** 31 - 1;
/** The registry refuses more: 10^18 already leaves an int32 no room for a whole unit. */
const MAX_DECIMALS = 18;

/** A value that has no int32 fixed-point form, or decimals the registry would refuse. */
export class FixedPointError extends Error {
  override name = "FixedPointError";
}

/** 10^decimals, exact in float64 for every allowed `decimals` (5^18 < 2^53). */
function scaleOf(decimals: number): number {
  if (!Number.isInteger(decimals) || decimals < 0 || decimals > MAX_DECIMALS) {
    throw new FixedPointError(
      `decimals must be an integer in 0..${MAX_DECIMALS} (as the ModelRegistry allows), got ${decimals}`,
    );
  }
  return 10 ** decimals;
}

/**
 * Real values to int32 fixed point at `decimals`.
 *
 * Rounding rule: the float64 product y = x · 10^decimals is rounded half away from zero
 * (2.5 → 3, -2.5 → -3, -0.4 → 0). The product is IEEE-754 correctly rounded, so every honest
 * worker gets the same integer from the same float; a decimal tie that the product cannot
 * represent exactly (0.0001245 · 10^6 = 124.49999999999999) rounds as that float does.
 *
 * @throws FixedPointError naming the index and value, for NaN, ±Infinity, or a value outside
 * int32 at this scale.
 * @example
 * quantize([0.5, -1.25e-6], 6); // [500000, -1]
 */
export function quantize(values: ArrayLike<number>, decimals: number): number[] {
  const scale = scaleOf(decimals);
  const result = new Array<number>(values.length);
  for (let index = 0; index < values.length; index++) {
    const value = values[index];
    const scaled = value * scale;
    // Comparisons with NaN are false, so this one test refuses NaN, ±Infinity and overflow.
    const rounded = scaled < 0 ? -Math.floor(-scaled + 0.5) : Math.floor(scaled + 0.5);
    if (!(rounded >= INT32_MIN && rounded <= INT32_MAX)) {
      throw new FixedPointError(describeUnrepresentable(value, index, decimals));
    }
    result[index] = rounded === 0 ? 0 : rounded; // no -0: it would compare unequal in tests
  }
  return result;
}

function describeUnrepresentable(value: number, index: number, decimals: number): string {
  if (Number.isNaN(value)) return `value at index ${index} is NaN; it has no fixed-point form`;
  if (!Number.isFinite(value)) {
    return `value at index ${index} is ${value}; it has no fixed-point form`;
  }
  const limit = INT32_MAX / 10 ** decimals;
  return (
    `value ${value} at index ${index} does not fit an int32 at ${decimals} decimals ` +
    `(|x| must stay below about ${limit}); use fewer decimals or rescale the model`
  );
}

/**
 * Int32 fixed-point values back to reals: each divided by 10^decimals (a division, not a
 * multiplication by 10^-decimals, so the result is the float64 nearest the exact quotient).
 *
 * @example
 * dequantize([500000, -1], 6); // [0.5, -0.000001]
 */
export function dequantize(ints: ArrayLike<number>, decimals: number): number[] {
  const scale = scaleOf(decimals);
  return Array.from(ints, (value) => value / scale);
}

/**
 * `dequantize` into a caller's float32 buffer, for a hot path that feeds a preallocated tensor
 * (each value is the float64 quotient rounded once to float32).
 *
 * @throws FixedPointError when `target` is shorter than `ints`.
 */
export function dequantizeInto(
  ints: ArrayLike<number>,
  decimals: number,
  target: Float32Array,
): Float32Array {
  const scale = scaleOf(decimals);
  if (target.length < ints.length) {
    throw new FixedPointError(
      `target holds ${target.length} values, fewer than the ${ints.length} to dequantize`,
    );
  }
  for (let index = 0; index < ints.length; index++) target[index] = ints[index] / scale;
  return target;
}
