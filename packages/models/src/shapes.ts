import { OnnxFormatError, type OnnxValueInfo } from "./onnx.js";

/**
 * A graph input's or output's shape with every open dimension decided: by the graph when all its
 * dimensions are fixed, else by `given` (which must then agree with the graph's rank and with
 * each fixed dimension).
 */
export class ModelShapeError extends OnnxFormatError {
  override name = "ModelShapeError";
  /** Which side of the model: its one input or its one output. */
  readonly role: "input" | "output";
  /** The graph's dimensions, open ones as their names (see `OnnxDim`). */
  readonly graphShape: (number | string)[];
  constructor(role: "input" | "output", graphShape: (number | string)[], message: string) {
    super(message);
    this.role = role;
    this.graphShape = graphShape;
  }
}

/** `[1, "batch", 16]` as `[1, batch, 16]`, `""` (no name) as `?`. */
export function formatShape(shape: readonly (number | string)[]): string {
  return `[${shape.map((dim) => (dim === "" ? "?" : String(dim))).join(", ")}]`;
}

/**
 * @throws ModelShapeError when the graph leaves a dimension open and no shape is given, or the
 * given shape disagrees with the graph.
 */
export function resolveShape(
  info: OnnxValueInfo,
  role: "input" | "output",
  given: readonly number[] | undefined,
): number[] {
  const graphShape = [...info.shape];
  const open = graphShape.findIndex((dim) => typeof dim === "string");
  if (given === undefined) {
    if (open === -1) return graphShape as number[];
    const name = graphShape[open] === "" ? "an unnamed" : `"${graphShape[open]}"`;
    throw new ModelShapeError(
      role,
      graphShape,
      `graph ${role} "${info.name}" ${formatShape(graphShape)} has ${name} dimension at axis ` +
        `${open} with no fixed size; give the ${role} shape explicitly`,
    );
  }
  const mismatch =
    given.length !== graphShape.length
      ? `has rank ${graphShape.length}`
      : graphShape
          .map((dim, axis) =>
            typeof dim === "number" && dim !== given[axis]
              ? `has ${dim} at axis ${axis}, not ${given[axis]}`
              : undefined,
          )
          .find((problem) => problem !== undefined);
  if (mismatch !== undefined) {
    throw new ModelShapeError(
      role,
      graphShape,
      `the ${role} shape given, ${formatShape(given)}, does not fit graph ${role} "${info.name}" ` +
        `${formatShape(graphShape)}: the graph ${mismatch}`,
    );
  }
  return [...given];
}
