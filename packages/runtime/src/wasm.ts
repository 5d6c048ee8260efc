import { readFile } from "node:fs/promises";
import { fileURLToPath } from "node:url";
import {
  CANONICAL_EXECUTOR,
  ExecutorMismatchError,
  createCanonicalSession,
  loadCanonicalExecutor,
  sha256Hex,
  type CanonicalSession,
} from "./executor.js";

/** Where the canonical `.wasm` binary is on disk: inside the installed onnxruntime-web. */
export function canonicalWasmPath(): string {
  return fileURLToPath(import.meta.resolve(`onnxruntime-web/${CANONICAL_EXECUTOR.wasmFile}`));
}

/**
 * The canonical executor's binary, read from the installed onnxruntime-web and checked against
 * the pinned SHA-256: a process whose binary differs must not claim the canonical environment.
 *
 * @throws ExecutorMismatchError
 */
export async function readCanonicalWasm(): Promise<Uint8Array> {
  const path = canonicalWasmPath();
  const bytes = new Uint8Array(await readFile(path));
  const sha256 = await sha256Hex(bytes);
  if (sha256 !== CANONICAL_EXECUTOR.wasmSha256) {
    throw new ExecutorMismatchError(
      `${path} has SHA-256 ${sha256}, not the canonical executor's ${CANONICAL_EXECUTOR.wasmSha256}: ` +
        `reinstall onnxruntime-web ${CANONICAL_EXECUTOR.version} unmodified (pnpm install --frozen-lockfile)`,
    );
  }
  return bytes;
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
