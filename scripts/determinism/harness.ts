/**
 * The part of the determinism check that runs on each platform (x86-64 Node, arm64 Node under
 * qemu, Chromium): it loads the canonical executor, runs every case and hashes each output's
 * float32 bits. It imports only the executor, so the same file, transpiled, runs everywhere.
 */
import { createCanonicalSession, loadCanonicalExecutor, sha256Hex } from "@verity/runtime/executor";

/** One model's cases inside a cases file. */
export interface CaseModel {
  name: string;
  /** Byte ranges in the payload. */
  model: { offset: number; length: number };
  inputs: { offset: number; count: number; dims: number[] };
}

/** What one platform computed: per model, the SHA-256 of each output's float32 bytes. */
export interface PlatformOutputs {
  platform: string;
  models: { name: string; outputs: string[]; meanRunUs: number }[];
}

/**
 * A cases file: a little-endian u32 header length, the header (JSON, `CaseModel[]`), then the
 * payload (model bytes and float32 inputs, 4-byte aligned).
 */
export function parseCases(bytes: Uint8Array): { models: CaseModel[]; payload: Uint8Array } {
  const headerLength = new DataView(bytes.buffer, bytes.byteOffset, 4).getUint32(0, true);
  const header = new TextDecoder().decode(bytes.subarray(4, 4 + headerLength));
  return { models: JSON.parse(header) as CaseModel[], payload: bytes.subarray(4 + headerLength) };
}

/** A model loaded by whatever runs it: the canonical executor, or a runtime compared with it. */
export interface CaseSession {
  run(input: Float32Array, dims: number[]): Promise<{ output: Float32Array; runUs: number }>;
  release(): Promise<void>;
}

/** Runs every case with the canonical executor loaded from `wasm`. */
export async function runCases(
  platform: string,
  cases: Uint8Array,
  wasm: Uint8Array,
): Promise<PlatformOutputs> {
  await loadCanonicalExecutor(wasm);
  return runCasesWith(platform, cases, createCanonicalSession);
}

/** Runs every case in sessions from `open`, hashing each output's float32 bits. */
export async function runCasesWith(
  platform: string,
  cases: Uint8Array,
  open: (model: Uint8Array) => Promise<CaseSession>,
): Promise<PlatformOutputs> {
  const { models, payload } = parseCases(cases);
  const results: PlatformOutputs["models"] = [];
  for (const model of models) {
    const session = await open(
      payload.slice(model.model.offset, model.model.offset + model.model.length),
    );
    const size = model.inputs.dims.reduce((a, b) => a * b, 1);
    // A copy, so the float32 view is aligned whatever the payload's offset in its buffer.
    const inputs = new Float32Array(
      payload.slice(model.inputs.offset, model.inputs.offset + model.inputs.count * size * 4)
        .buffer,
    );
    const outputs: string[] = [];
    let runUs = 0;
    for (let index = 0; index < model.inputs.count; index++) {
      const run = await session.run(
        inputs.slice(index * size, (index + 1) * size),
        model.inputs.dims,
      );
      runUs += run.runUs;
      const bits = new Uint8Array(run.output.buffer, run.output.byteOffset, run.output.byteLength);
      outputs.push(await sha256Hex(bits.slice()));
    }
    await session.release();
    results.push({ name: model.name, outputs, meanRunUs: runUs / model.inputs.count });
  }
  return { platform, models: results };
}
