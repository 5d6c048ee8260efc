import { readFileSync } from "node:fs";
import { keccak256, toUtf8Bytes } from "ethers";
import * as ort from "onnxruntime-node";

/**
 * How every session runs. Fixed, so two honest workers on the same environment agree bit for bit
 * on quantised outputs, and part of the environment id, so a change is a new environment.
 *
 * - CPU only: GPU kernels reorder floating-point reductions from run to run.
 * - One intra-op and one inter-op thread, sequential execution: a reduction split across threads
 *   sums in an order that depends on scheduling; one thread sums in one order, always. (Throughput
 *   comes from requests in flight, not threads per request: a batch-1 MLP runs in ~10 µs.)
 * - Graph optimisation "basic": constant folding and redundant-node elimination, rewrites that
 *   keep every arithmetic operation. "extended" adds fusions that may change rounding (a fused
 *   multiply-add), and "all" adds layout rewrites chosen by the CPU's vector width, which differ
 *   between machines. Measured on the sample MLPs, "basic" and "all" run equally fast (9–11 µs).
 */
export const EXECUTION_SETTINGS = Object.freeze({
  executionProviders: Object.freeze(["cpu"] as const),
  intraOpNumThreads: 1,
  interOpNumThreads: 1,
  graphOptimizationLevel: "basic",
  executionMode: "sequential",
} as const);

/**
 * The onnxruntime session options every session is created with: `EXECUTION_SETTINGS`, plus
 * logging (warnings and errors only), which does not affect results.
 */
export function sessionOptions(): ort.InferenceSession.SessionOptions {
  return {
    ...EXECUTION_SETTINGS,
    executionProviders: [...EXECUTION_SETTINGS.executionProviders],
    logSeverityLevel: 2,
  };
}

/** A measurement of the runtime, declared in the WorkerRegistry and signed into every result. */
export interface Environment {
  /** keccak256 of the canonical JSON of `components`: 0x-prefixed bytes32. */
  id: string;
  /** For humans: "verity-worker 0.1.0, onnxruntime-node 1.30.0, node v22.23.3, linux/x64 cpu x1, opt=basic". */
  description: string;
  /** What was measured, each as a string, e.g. `{ "onnxruntime-node": "1.30.0", ... }`. */
  components: Record<string, string>;
}

let current: Environment | undefined;

/**
 * The environment this process runs inference in, computed from what actually runs: this
 * package's version, the onnxruntime-node module that is loaded, Node, the platform and
 * `EXECUTION_SETTINGS`. The inference host process checks that it loads the same versions.
 *
 * @example
 * const { id, description } = currentEnvironment(); // declare `id` in the WorkerRegistry
 */
export function currentEnvironment(): Environment {
  current ??= environmentFromComponents(measureComponents());
  return current;
}

/** The components of this process, before hashing. */
export function measureComponents(): Record<string, string> {
  const manifest = JSON.parse(
    readFileSync(new URL("../../package.json", import.meta.url), "utf8"),
  ) as { version: string };
  return {
    "verity-worker": manifest.version,
    "onnxruntime-node": onnxruntimeVersion(),
    node: process.version,
    platform: process.platform,
    arch: process.arch,
    executionProviders: EXECUTION_SETTINGS.executionProviders.join(","),
    intraOpNumThreads: String(EXECUTION_SETTINGS.intraOpNumThreads),
    interOpNumThreads: String(EXECUTION_SETTINGS.interOpNumThreads),
    graphOptimizationLevel: EXECUTION_SETTINGS.graphOptimizationLevel,
    executionMode: EXECUTION_SETTINGS.executionMode,
  };
}

/** The version the loaded onnxruntime-node module reports about itself. */
export function onnxruntimeVersion(): string {
  const version = ort.env.versions.node;
  if (version === undefined) {
    throw new Error(
      "onnxruntime-node did not report its version (ort.env.versions.node); the module loaded " +
        "is not onnxruntime-node, so the environment cannot be measured",
    );
  }
  return version;
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
    `verity-worker ${components["verity-worker"] ?? "?"}`,
    `onnxruntime-node ${components["onnxruntime-node"] ?? "?"}`,
    `node ${components.node ?? "?"}`,
    `${components.platform ?? "?"}/${components.arch ?? "?"} ` +
      `${components.executionProviders ?? "?"} x${components.intraOpNumThreads ?? "?"}`,
    `opt=${components.graphOptimizationLevel ?? "?"}`,
  ].join(", ");
  return {
    id: keccak256(toUtf8Bytes(JSON.stringify(sorted))),
    description,
    components: sorted,
  };
}
