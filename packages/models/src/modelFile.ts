import { readFile } from "node:fs/promises";
import { resolve } from "node:path";
import { pathToFileURL } from "node:url";
import { OnnxFormatError, decodeOnnx } from "./onnx.js";

/** What registering a model file needs: its bytes (their SHA-256 is the model id), a uri, shapes. */
export interface ModelFile {
  bytes: Uint8Array;
  /** The file's `file://` url: for local development only; pass a real uri to serve others. */
  uri: string;
  inputShape: number[];
  outputShape: number[];
}

/**
 * Reads an ONNX file for registration: its bytes, its `file://` url and the shapes of its one
 * input and one output. Spread the result into the SDK's `registerModel`.
 *
 * @throws OnnxFormatError naming the file, when it is missing, unreadable, not ONNX, or has other
 * than one input and one output.
 * @example
 * const file = await readModelFile("models/credit-risk.onnx");
 * await registerModel(client, { ...file, uri: "ipfs://bafy..." });
 */
export async function readModelFile(path: string): Promise<ModelFile> {
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
    inputShape: [...graph.inputs[0].shape],
    outputShape: [...graph.outputs[0].shape],
  };
}
