/**
 * The circuit's exact integer arithmetic: `compileOnnx` turns a model into the layer program a
 * circom circuit is generated from, and `execute` computes what that circuit proves. A model with
 * a ZK commitment is defined by this arithmetic, so its answers are computed here, never by the
 * float executor. Pure TypeScript over BigInt: identical on every machine and in the browser.
 */
export * from "./executor.js";
export {
  INT32_MAX,
  INT32_MIN,
  SNARK_FIELD,
  bitLength,
  floorDiv,
  fromField,
  toField,
} from "./field.js";
export * from "./program.js";
