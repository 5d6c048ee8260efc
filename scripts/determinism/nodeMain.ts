/**
 * The determinism check's entry in a Node process (x86-64, or arm64 under qemu): runs the cases
 * file with the canonical executor and prints what it computed as JSON.
 *
 * Usage: node nodeMain.js <cases file> <ort-wasm-simd-threaded.wasm> <platform name>
 */
import { readFile } from "node:fs/promises";
import { runCases } from "./harness.js";

const [casesPath, wasmPath, platform] = process.argv.slice(2);
const outputs = await runCases(
  platform,
  new Uint8Array(await readFile(casesPath)),
  new Uint8Array(await readFile(wasmPath)),
);
process.stdout.write(JSON.stringify(outputs));
