import { INT32_MAX, INT32_MIN, floorDiv } from "./field.js";
import { scaleOf } from "./program.js";
import type { ZkProgram } from "./program.js";

/**
 * A value the circuit cannot represent: an input that is not int32, or a layer output outside
 * int32. The circuit has no witness for such an input, so a worker answers it with
 * `reportFailure(InputOutOfRange)` instead of a proof.
 */
export class ZkRangeError extends Error {
  override name = "ZkRangeError";
}

/** Every value the program computes (index 0 is the input) and the output. */
export interface Execution {
  values: bigint[][];
  output: bigint[];
}

/**
 * The reference executor: runs `program` on int32 fixed-point `input` with exactly the circuit's
 * integer arithmetic (see `ZkProgram`), so its output is the output the circuit proves.
 *
 * @throws ZkRangeError naming the node when a value leaves int32, or when an input value is not
 * an int32.
 */
export function execute(program: ZkProgram, input: readonly (number | bigint)[]): Execution {
  if (input.length !== program.sizes[0]) {
    throw new ZkRangeError(
      `input has ${input.length} values; the model takes ${program.sizes[0]} ` +
        `(shape [${program.inputShape}])`,
    );
  }
  const scale = scaleOf(program.decimals);
  const values: bigint[][] = [
    input.map((value, index) => {
      const integer = typeof value === "bigint" ? value : BigInt(value);
      if (integer < INT32_MIN || integer > INT32_MAX) {
        throw new ZkRangeError(`input value ${value} at index ${index} is not an int32`);
      }
      return integer;
    }),
  ];
  for (const layer of program.layers) {
    /** floor((acc + ⌊divisor/2⌋) / divisor), which must fit int32: the circuit's rescale. */
    const rescale = (acc: bigint, divisor: bigint, j: number): bigint => {
      const y = floorDiv(acc + divisor / 2n, divisor);
      if (y < INT32_MIN || y > INT32_MAX) {
        throw new ZkRangeError(
          `node "${layer.node}" (${layer.opType}) output ${j} is ${y}, outside int32 at ` +
            `${program.decimals} decimals`,
        );
      }
      return y;
    };
    switch (layer.op) {
      case "linear": {
        const x = values[layer.input];
        values[layer.output] = layer.weight.map((row, j) => {
          let acc = layer.bias[j] * scale;
          for (let i = 0; i < row.length; i++) acc += row[i] * x[i];
          return rescale(acc, scale, j);
        });
        break;
      }
      case "sparse": {
        const x = values[layer.input];
        values[layer.output] = layer.rows.map((row, j) => {
          let acc = row.bias;
          row.inputs.forEach((index, t) => (acc += row.weights[t] * x[index]));
          return rescale(acc, row.divisor, j);
        });
        break;
      }
      case "relu":
        values[layer.output] = values[layer.input].map((x) => (x > 0n ? x : 0n));
        break;
      case "add": {
        const [a, b] = layer.inputs.map((index) => values[index]);
        values[layer.output] = a.map((x, i) => x + b[i]);
        break;
      }
      case "addConst":
        values[layer.output] = values[layer.input].map((x, i) => x + layer.constant[i]);
        break;
    }
  }
  const output = values[program.output];
  output.forEach((y, j) => {
    if (y < INT32_MIN || y > INT32_MAX) {
      throw new ZkRangeError(`output ${j} is ${y}, outside int32 at ${program.decimals} decimals`);
    }
  });
  return { values, output };
}
