/**
 * The inference host: a child process that owns the onnxruntime sessions and runs them.
 *
 * onnxruntime-node's `session.run` is synchronous on the JavaScript thread (it is wrapped in a
 * `setImmediate`, not run on a thread pool): a run blocks whatever event loop calls it, and
 * native code cannot be interrupted. Running it here keeps the worker's event loop free, and a
 * run that exceeds its time limit is ended by killing this process, which is the only way to stop
 * native code. (A worker thread was tried: `worker.terminate()` during a run aborts the whole
 * process with an uncaught `Napi::Error`.)
 *
 * Started by `InferenceHost` with `child_process.fork`. It imports nothing from the repository at
 * run time, only onnxruntime-node and Node built-ins, so it runs with Node's own type stripping
 * and no TypeScript loader.
 */
import * as ort from "onnxruntime-node";
import type { HostReply, HostRequest } from "./protocol.js";

interface Session {
  session: ort.InferenceSession;
  /** Reused on every run: only the tensor in it changes. */
  feeds: Record<string, ort.Tensor>;
  inputName: string;
  fetches: [string];
  outputName: string;
}

const sessions = new Map<number, Session>();

function reply(message: HostReply): void {
  process.send?.(message);
}

async function create(request: Extract<HostRequest, { kind: "create" }>): Promise<HostReply> {
  const started = performance.now();
  const session = await ort.InferenceSession.create(request.bytes, request.options);
  const problem = unsupportedSignature(session);
  if (problem !== undefined) {
    await session.release();
    return { kind: "failed", id: request.id, message: problem };
  }
  const [inputName] = session.inputNames;
  const [outputName] = session.outputNames;
  sessions.set(request.session, {
    session,
    feeds: {},
    inputName,
    fetches: [outputName],
    outputName,
  });
  return {
    kind: "created",
    id: request.id,
    inputName,
    outputName,
    createMs: performance.now() - started,
  };
}

/** Verity feeds one float32 tensor and reads one float32 tensor (the first output). */
function unsupportedSignature(session: ort.InferenceSession): string | undefined {
  if (session.inputNames.length !== 1) {
    return `the model has ${session.inputNames.length} inputs (${session.inputNames.join(", ")}); Verity feeds exactly one tensor`;
  }
  const [input] = session.inputMetadata;
  if (input.isTensor && input.type !== "float32") {
    return `the model's input "${input.name}" is ${input.type}; Verity feeds float32 (dequantised fixed point)`;
  }
  const [output] = session.outputMetadata;
  if (output === undefined) return "the model has no outputs";
  if (output.isTensor && output.type !== "float32") {
    return `the model's first output "${output.name}" is ${output.type}; Verity reads float32 and quantises it`;
  }
  return undefined;
}

async function run(request: Extract<HostRequest, { kind: "run" }>): Promise<HostReply> {
  const entry = sessions.get(request.session);
  if (entry === undefined) {
    return { kind: "failed", id: request.id, message: `no session ${request.session} in the host` };
  }
  entry.feeds[entry.inputName] = new ort.Tensor("float32", request.input, request.dims);
  const started = performance.now();
  const results = await entry.session.run(entry.feeds, entry.fetches);
  const runUs = (performance.now() - started) * 1000;
  const output = results[entry.outputName];
  return {
    kind: "ran",
    id: request.id,
    output: output.data as Float32Array,
    dims: output.dims as number[],
    runUs,
  };
}

async function handle(request: HostRequest): Promise<void> {
  if (request.kind === "release") {
    const entry = sessions.get(request.session);
    sessions.delete(request.session);
    // Nobody waits for a release; a failure to free one session must not stop the host.
    await entry?.session.release().catch(() => undefined);
    return;
  }
  try {
    reply(request.kind === "create" ? await create(request) : await run(request));
  } catch (error) {
    reply({ kind: "failed", id: request.id, message: (error as Error).message });
  }
}

// One message at a time, in arrival order: `session.run` and `create` resolve on a later
// `setImmediate`, so without this chain a `release` could overtake the run queued before it.
let chain = Promise.resolve();
process.on("message", (request: HostRequest) => {
  chain = chain.then(() => handle(request));
});
// The worker died or closed the channel: nothing can use the sessions any more.
process.on("disconnect", () => process.exit(0));
reply({ kind: "ready", onnxruntime: ort.env.versions.node ?? "unknown", node: process.version });
