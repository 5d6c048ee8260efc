import { readFile } from "node:fs/promises";
import { fileURLToPath } from "node:url";
import {
  CANONICAL_EXECUTOR,
  createCanonicalSession,
  loadCanonicalExecutor,
  type CanonicalSession,
} from "./executor.js";

/** Where the canonical `.wasm` binary is on disk: inside the installed onnxruntime-web. */
export function canonicalWasmPath(): string {
  return fileURLToPath(import.meta.resolve(`onnxruntime-web/${CANONICAL_EXECUTOR.wasmFile}`));
}

/**
 * The canonical executor's binary as installed with onnxruntime-web. Not checked here:
 * `loadCanonicalExecutor` checks its SHA-256, once, wherever the bytes come from.
 */
export async function readCanonicalWasm(): Promise<Uint8Array> {
  return new Uint8Array(await readFile(canonicalWasmPath()));
}

/**
 * A session of the canonical executor in this process, for scripts and tests that run a model
 * directly. A worker and the SDK go through `ModelStore` instead, which runs the executor in a
 * separate process with a time limit.
 */
export async function openCanonicalSession(model: Uint8Array): Promise<CanonicalSession> {
  await loadCanonicalExecutor(await readCanonicalWasm());
  return createCanonicalSession(model);
}
