import { MAX_RESULT_OUTPUT_BYTES, encodedTensorLength } from "@verity/contracts";
import { UnsupportedModelError } from "./executor.js";
import { openCanonicalSession } from "./wasm.js";

/** Why a model cannot be registered as declared. */
export type ModelCheckKind =
  "invalid" | "unsupported-operator" | "shape-mismatch" | "output-too-large" | "error";

/** The model would fail every request: refused before anyone registers it or pays for it. */
export class ModelCheckError extends Error {
  override name = "ModelCheckError";
  readonly kind: ModelCheckKind;
  /** What to change. */
  readonly fix: string;
  /** For `unsupported-operator`: the operator onnxruntime named. */
  readonly operator?: string;
  constructor(
    kind: ModelCheckKind,
    message: string,
    fix: string,
    options: ErrorOptions & { operator?: string } = {},
  ) {
    super(message, options);
    this.kind = kind;
    this.fix = fix;
    this.operator = options.operator;
  }
}

export interface CheckModelParameters {
  inputShape: readonly number[];
  outputShape: readonly number[];
}

/**
 * Loads `bytes` in the canonical executor (the one whose answers are signed), runs it once on
 * an all-zeros input of `inputShape` and checks that the output has `outputShape` and that its
 * encoding is small enough to settle on-chain (`MAX_RESULT_OUTPUT_BYTES`). Pass it as the SDK's
 * `registerModel({ check: checkModel })`.
 *
 * @throws ModelCheckError with the `kind` of problem and its fix.
 * @example
 * await checkModel(bytes, { inputShape: [1, 16], outputShape: [1, 1] });
 */
export async function checkModel(
  bytes: Uint8Array,
  { inputShape, outputShape }: CheckModelParameters,
): Promise<void> {
  let session;
  try {
    session = await openCanonicalSession(bytes);
  } catch (error) {
    throw classifyLoadError(error);
  }
  let dims: number[];
  try {
    const elements = inputShape.reduce((product, dim) => product * dim, 1);
    dims = (await session.run(new Float32Array(elements), inputShape)).dims;
  } catch (error) {
    throw classifyRunError(error, inputShape);
  } finally {
    await session.release();
  }
  if (dims.length !== outputShape.length || dims.some((dim, axis) => dim !== outputShape[axis])) {
    throw new ModelCheckError(
      "shape-mismatch",
      `the model gives output [${dims.join(", ")}] on an input of [${inputShape.join(", ")}], ` +
        `but the declared output shape is [${outputShape.join(", ")}]`,
      `declare the output shape the model produces (--output-shape ${dims.join(",")}).`,
    );
  }
  const outputBytes = encodedTensorLength(outputShape);
  if (outputBytes > MAX_RESULT_OUTPUT_BYTES) {
    throw new ModelCheckError(
      "output-too-large",
      `the output [${outputShape.join(", ")}] encodes to ${outputBytes} bytes, more than the ` +
        `${MAX_RESULT_OUTPUT_BYTES} one result can carry in a transaction: it could never settle`,
      "make the graph reduce its output before it ends, e.g. an ArgMax or a TopK node.",
    );
  }
}

/** onnxruntime's messages, as onnxruntime-web 1.30 words them (see the tests). */
export const UNKNOWN_OPERATOR = [
  /No Op registered for (\S+) with domain_version/,
  /Could not find an implementation for (\S+?)\(\d+\)/,
  /(\S+)\(-?\d+\) is not a registered function\/op/,
];
export const BAD_PROTOBUF = /protobuf parsing failed|ERROR_CODE: 7\b/;
export const BAD_GRAPH = /invalid model|ERROR_CODE: 10\b|Type Error|ShapeInferenceError/i;
const BAD_INPUT_DIMS = /invalid dimensions for input|Invalid rank for input/i;

function classifyLoadError(error: unknown): ModelCheckError {
  const message = error instanceof Error ? error.message : String(error);
  const detail = message.replace(/^.*ERROR_MESSAGE: /s, "");
  for (const pattern of UNKNOWN_OPERATOR) {
    const operator = pattern.exec(message)?.[1];
    if (operator !== undefined) {
      return new ModelCheckError(
        "unsupported-operator",
        `the canonical executor has no operator ${operator} (${detail})`,
        `replace ${operator} with standard ONNX operators (ai.onnx, opset ≤ 21) and export again.`,
        { cause: error, operator },
      );
    }
  }
  if (BAD_PROTOBUF.test(message)) {
    return new ModelCheckError(
      "invalid",
      `the bytes are not an ONNX model: ${detail}`,
      "pass the complete .onnx file (a truncated or non-ONNX file does not parse).",
      { cause: error },
    );
  }
  if (error instanceof UnsupportedModelError || BAD_GRAPH.test(message)) {
    return new ModelCheckError(
      "invalid",
      `the canonical executor refuses the model: ${detail}`,
      "fix the graph (`python -m onnx.checker model.onnx` shows where) and export again.",
      { cause: error },
    );
  }
  return new ModelCheckError(
    "error",
    `the canonical executor cannot load the model: ${detail}`,
    "check that the file loads in onnxruntime-web 1.30 with the wasm execution provider.",
    { cause: error },
  );
}

function classifyRunError(error: unknown, inputShape: readonly number[]): ModelCheckError {
  const message = error instanceof Error ? error.message : String(error);
  const detail = message
    .replace(/^.*ERROR_MESSAGE: /s, "")
    .replace(/\s+/g, " ")
    .trim();
  if (BAD_INPUT_DIMS.test(message)) {
    return new ModelCheckError(
      "shape-mismatch",
      `the model does not take an input of the declared shape [${inputShape.join(", ")}]: ${detail}`,
      "declare the input shape the graph takes (--input-shape).",
      { cause: error },
    );
  }
  return new ModelCheckError(
    "error",
    `the model fails on an all-zeros input of [${inputShape.join(", ")}]: ${detail}`,
    "check the declared input shape and the graph: this run is what every request would do.",
    { cause: error },
  );
}
