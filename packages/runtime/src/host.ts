/**
 * The inference host: a child process that owns the canonical executor's sessions and runs them.
 *
 * Running models here keeps the worker's event loop free, and a run that exceeds its time limit
 * is ended by killing this process: a WebAssembly call cannot be interrupted from the same
 * thread, and a killed process frees its memory at once.
 *
 * Started by `InferenceHost` with `child_process.fork`. It loads the canonical `.wasm` itself,
 * which checks its SHA-256 against the pinned one, and says when it is ready or why it cannot be:
 * a host never computes bits other than the ones the environment declares.
 */
import {
  createCanonicalSession,
  loadCanonicalExecutor,
  type CanonicalSession,
} from "./executor.js";
import type { HostReply, HostRequest } from "./protocol.js";
import { readCanonicalWasm } from "./wasm.js";

const sessions = new Map<number, CanonicalSession>();

function reply(message: HostReply): void {
  process.send?.(message);
}

async function create(request: Extract<HostRequest, { kind: "create" }>): Promise<HostReply> {
  const session = await createCanonicalSession(request.bytes);
  sessions.set(request.session, session);
  return {
    kind: "created",
    id: request.id,
    inputName: session.inputName,
    outputName: session.outputName,
    createMs: session.createMs,
  };
}

async function run(request: Extract<HostRequest, { kind: "run" }>): Promise<HostReply> {
  const session = sessions.get(request.session);
  if (session === undefined) {
    return { kind: "failed", id: request.id, message: `no session ${request.session} in the host` };
  }
  const { output, dims, runUs } = await session.run(request.input, request.dims);
  return { kind: "ran", id: request.id, output, dims, runUs };
}

async function handle(request: HostRequest): Promise<void> {
  if (request.kind === "release") {
    const session = sessions.get(request.session);
    sessions.delete(request.session);
    // Nobody waits for a release; a failure to free one session must not stop the host.
    await session?.release().catch(() => undefined);
    return;
  }
  try {
    reply(request.kind === "create" ? await create(request) : await run(request));
  } catch (error) {
    reply({ kind: "failed", id: request.id, message: (error as Error).message });
  }
}

// Requests wait for the executor to load, then run one at a time in arrival order, so a
// `release` never overtakes the run queued before it. A host that cannot load the canonical
// executor says so once and answers nothing else: the worker stops using it.
let chain: Promise<unknown> = readCanonicalWasm()
  .then(loadCanonicalExecutor)
  .then(
    () => reply({ kind: "ready" }),
    (error: Error) => {
      reply({ kind: "unusable", message: error.message });
      process.exit(1);
    },
  );
process.on("message", (request: HostRequest) => {
  chain = chain.then(() => handle(request));
});
// The worker died or closed the channel: nothing can use the sessions any more.
process.on("disconnect", () => process.exit(0));
