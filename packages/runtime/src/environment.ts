import { keccak256, toUtf8Bytes } from "ethers";
import type { Environment } from "@verity/contracts";
import { CANONICAL_EXECUTOR } from "./executor.js";
import manifest from "../package.json" with { type: "json" };

export type { Environment };

let current: Environment | undefined;

/**
 * The canonical environment: this package's version (its decoding and fixed-point quantisation
 * are part of every answer) and the canonical executor's pinned binary and settings.
 *
 * Node's version, the OS and the CPU are not in it: they do not change the bits the WebAssembly
 * executor computes, which is what lets an x86-64 worker, an arm64 juror and a browser share one
 * environment. The inference host checks, when it starts, that the `.wasm` it loads is the pinned
 * one, and refuses to run anything otherwise.
 *
 * @example
 * const { id, description } = currentEnvironment(); // declare `id` in the WorkerRegistry
 */
export function currentEnvironment(): Environment {
  current ??= environmentFromComponents(canonicalComponents());
  return current;
}

/** The components of the canonical environment, before hashing. */
export function canonicalComponents(): Record<string, string> {
  return {
    "verity-runtime": manifest.version,
    [CANONICAL_EXECUTOR.runtime]: CANONICAL_EXECUTOR.version,
    wasmFile: CANONICAL_EXECUTOR.wasmFile,
    wasmSha256: CANONICAL_EXECUTOR.wasmSha256,
    executionProvider: CANONICAL_EXECUTOR.executionProvider,
    numThreads: String(CANONICAL_EXECUTOR.numThreads),
    graphOptimizationLevel: CANONICAL_EXECUTOR.graphOptimizationLevel,
    executionMode: CANONICAL_EXECUTOR.executionMode,
  };
}

/**
 * The environment of given components: id = keccak256 of their canonical JSON (keys sorted, no
 * whitespace), so the same components always give the same id and any change gives another.
 */
export function environmentFromComponents(components: Record<string, string>): Environment {
  const sorted = Object.fromEntries(
    Object.entries(components).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)),
  );
  const description = [
    `verity-runtime ${components["verity-runtime"] ?? "?"}`,
    `onnxruntime-web ${components["onnxruntime-web"] ?? "?"} wasm ${(components.wasmSha256 ?? "?").slice(0, 10)}…`,
    `${components.numThreads ?? "?"} thread`,
    `opt=${components.graphOptimizationLevel ?? "?"}`,
  ].join(", ");
  return {
    id: keccak256(toUtf8Bytes(JSON.stringify(sorted))),
    description,
    components: sorted,
  };
}
