/**
 * Messages between the worker and its inference host process (`host.ts`), sent over the Node IPC
 * channel with structured-clone serialisation, so typed arrays travel as typed arrays.
 *
 * The host handles one message at a time, in order, and answers every `create` and `run` with
 * exactly one reply carrying the same id: so the oldest unanswered request is always the one
 * running, which is what the timeout watches.
 */

export type HostRequest =
  | { kind: "create"; id: number; session: number; bytes: Uint8Array }
  | { kind: "run"; id: number; session: number; input: Float32Array; dims: readonly number[] }
  | { kind: "release"; session: number };

export type HostReply =
  /** The canonical executor is loaded (its `.wasm` checked against the pinned SHA-256). */
  | { kind: "ready" }
  /** The canonical executor could not be loaded (another binary or version): nothing will run. */
  | { kind: "unusable"; message: string }
  | { kind: "created"; id: number; inputName: string; outputName: string; createMs: number }
  | { kind: "ran"; id: number; output: Float32Array; dims: number[]; runUs: number }
  | { kind: "failed"; id: number; message: string };
