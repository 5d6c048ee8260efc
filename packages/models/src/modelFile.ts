import { readFile } from "node:fs/promises";
import { resolve } from "node:path";
import { pathToFileURL } from "node:url";
import { OnnxFormatError, decodeOnnx } from "./onnx.js";
import { resolveShape } from "./shapes.js";

/** What registering a model file needs: its bytes (their SHA-256 is the model id), a uri, shapes. */
export interface ModelFile {
  bytes: Uint8Array;
  /** The file's `file://` url: for local development only; pass a real uri to serve others. */
  uri: string;
  inputShape: number[];
  outputShape: number[];
}

/** Shapes to register when the graph leaves dimensions open (e.g. a batch dim named "batch"). */
export interface ModelFileShapes {
  inputShape?: readonly number[];
  outputShape?: readonly number[];
}

/**
 * Reads an ONNX file for registration: its bytes, its `file://` url and the shapes of its one
 * input and one output. A shape given in `shapes` is used instead of the graph's, and must agree
 * with its fixed dimensions; a graph with an open dimension needs it given. Spread the result
 * into the SDK's `registerModel`.
 *
 * @throws OnnxFormatError naming the file, when it is missing, unreadable, not ONNX, or has other
 * than one input and one output; ModelShapeError (one) when a shape is open and not given, or a
 * given shape disagrees with the graph.
 * @example
 * // An export with a dynamic batch ("batch" at axis 0): register it for batches of one.
 * const file = await readModelFile("model.onnx", { inputShape: [1, 16], outputShape: [1, 1] });
 * await registerModel(client, { ...file, uri: "ipfs://bafy...", check: checkModel });
 */
export async function readModelFile(
  path: string,
  shapes: ModelFileShapes = {},
): Promise<ModelFile> {
  let bytes: Uint8Array;
  try {
    bytes = new Uint8Array(await readFile(path));
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    throw new OnnxFormatError(
      `${path}: ${code === "ENOENT" ? "no such file" : `cannot read it (${code ?? String(error)})`}`,
      { cause: error },
    );
  }
  let graph;
  try {
    graph = decodeOnnx(bytes);
  } catch (error) {
    throw new OnnxFormatError(`${path}: ${(error as Error).message}`, { cause: error });
  }
  if (graph.inputs.length !== 1 || graph.outputs.length !== 1) {
    throw new OnnxFormatError(
      `${path}: Verity models take one input and give one output; this one has ` +
        `${graph.inputs.length} and ${graph.outputs.length}`,
    );
  }
  return {
    bytes,
    uri: pathToFileURL(resolve(path)).href,
    inputShape: resolveShape(graph.inputs[0], "input", shapes.inputShape),
    outputShape: resolveShape(graph.outputs[0], "output", shapes.outputShape),
  };
}
