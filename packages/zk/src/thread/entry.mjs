/**
 * Entry point of the prover's worker thread (see ../prover.ts): a plain module so the thread starts
 * under any loader, then the TypeScript implementation.
 */
import { createRequire, register } from "node:module";

register(new URL("./loader.mjs", import.meta.url));

// snarkjs proves on a pool of threads that ffjavascript starts through the `web-worker` package,
// which decides at load time whether it is a pool thread from `worker_threads.isMainThread`. In
// this thread that is false, so it would mistake itself for a pool thread and start none. This
// thread is the pool's parent: say so before snarkjs loads. (Pool threads are unaffected.)
const threads = createRequire(import.meta.url)("node:worker_threads");
Object.defineProperty(threads, "isMainThread", { value: true });

await import("./prover-thread.js");
