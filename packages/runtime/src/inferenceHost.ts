import { fork } from "node:child_process";
import type { ChildProcess } from "node:child_process";
import type { Logger } from "pino";
import { InferenceHostError, InferenceTimeoutError, ModelIncompatibleError } from "./errors.js";
import type { HostReply, HostRequest } from "./protocol.js";

/**
 * The worker's side of the inference host process (`host.ts`): starts it on first use, sends it
 * sessions and runs, and enforces time limits.
 *
 * Why a process. The executor runs a model synchronously on the calling JavaScript thread, so
 * in-process a slow or runaway model would wedge the worker's event loop, and no timer on that
 * loop could interrupt it. A process can be killed (SIGKILL), which also frees all the memory the
 * model took. The price is one more Node process, its start-up (it loads the 14 MB `.wasm` once)
 * and a structured-clone copy of each input and output over IPC.
 *
 * Timing. The host handles one message at a time in order, so the oldest unanswered request is
 * the one running. One timer watches it, started when it reaches the head of the queue; when it
 * fires the host is killed (SIGKILL), that request fails with `InferenceTimeoutError`, and the
 * requests queued behind it fail with `HostRestartedError`, which the store retries on a fresh
 * host. Killing the host discards every session: a session belongs to one `generation`.
 */

/** A session in the host. Stale once released or once its host is gone. */
export interface HostSession {
  readonly key: number;
  readonly generation: number;
  readonly inputName: string;
  readonly outputName: string;
  readonly createMs: number;
  released: boolean;
}

/** The output of one run, as the host sends it. */
export interface HostRunResult {
  output: Float32Array;
  dims: number[];
  runUs: number;
}

/**
 * The host was restarted (another request timed out or crashed it) before this request ran. The
 * request itself did nothing wrong: load the model again and retry.
 */
export class HostRestartedError extends InferenceHostError {
  override name = "HostRestartedError";
  constructor(reason: string) {
    super(`the inference host was restarted before this request ran (${reason}); retry it`, true);
  }
}

interface Pending {
  id: number;
  timeoutMs: number;
  /** What the request is, for errors: "running model 0x…" or "loading model 0x…". */
  label: string;
  resolve(reply: HostReply): void;
  reject(error: Error): void;
}

/** How long `close()` waits for the host to exit on its own before killing it. */
const CLOSE_GRACE_MS = 2_000;

export class InferenceHost {
  private readonly logger: Logger;
  private child: ChildProcess | undefined;
  /** Requests sent and not yet answered, oldest first; the first is running. */
  private readonly queue: Pending[] = [];
  private headTimer: NodeJS.Timeout | undefined;
  private headTimeoutMs = 0;
  private nextId = 1;
  private nextSession = 1;
  private generationCounter = 0;
  private closed = false;
  /** Why the canonical executor cannot run here, once a host has said so: never retried. */
  private unusable: string | undefined;
  /** Settles when the running host has loaded the canonical executor, or cannot. */
  private loaded: { promise: Promise<void>; settle(error?: Error): void } | undefined;

  constructor(logger: Logger) {
    this.logger = logger;
  }

  /** Whether `session` can still run: not released, and created by the host that is running. */
  isLive(session: HostSession): boolean {
    return !session.released && session.generation === this.generationCounter && !this.closed;
  }

  /**
   * Creates a session from verified model bytes.
   *
   * @throws ModelIncompatibleError when the executor refuses the model; InferenceTimeoutError when
   * creating it takes longer than `timeoutMs`; InferenceHostError when the host dies.
   */
  async createSession(bytes: Uint8Array, label: string, timeoutMs: number): Promise<HostSession> {
    const key = this.nextSession++;
    const generation = this.generationCounter;
    const reply = await this.request(
      (id) => ({ kind: "create", id, session: key, bytes }),
      `loading ${label}`,
      timeoutMs,
    );
    if (reply.kind === "failed") {
      throw new ModelIncompatibleError(
        `the canonical executor cannot load ${label}: ${reply.message}`,
      );
    }
    if (reply.kind !== "created") throw this.unexpected(reply);
    return {
      key,
      generation,
      inputName: reply.inputName,
      outputName: reply.outputName,
      createMs: reply.createMs,
      released: false,
    };
  }

  /**
   * Runs a live session on one input.
   *
   * @throws InferenceTimeoutError past `timeoutMs`; HostRestartedError when another request
   * restarted the host first (retry); ModelIncompatibleError when the executor refuses the input.
   */
  async run(
    session: HostSession,
    input: Float32Array,
    dims: readonly number[],
    label: string,
    timeoutMs: number,
  ): Promise<HostRunResult> {
    if (!this.isLive(session)) throw new HostRestartedError(`session of ${label} is stale`);
    const reply = await this.request(
      (id) => ({ kind: "run", id, session: session.key, input, dims }),
      `running ${label}`,
      timeoutMs,
    );
    if (reply.kind === "failed") {
      throw new ModelIncompatibleError(
        `the canonical executor cannot run ${label} on an input of dims [${dims.join(", ")}]: ${reply.message}`,
      );
    }
    if (reply.kind !== "ran") throw this.unexpected(reply);
    return reply;
  }

  /**
   * Starts the host if it is not running and waits until it has loaded the canonical executor,
   * so the first request does not pay for loading the `.wasm`, and a host that cannot load it
   * is known before anything is served.
   *
   * @throws InferenceHostError when the executor cannot be loaded (another binary or version) or
   * the host exits first.
   */
  async ready(): Promise<void> {
    if (this.unusable !== undefined) throw new InferenceHostError(this.unusable, false);
    if (this.closed) throw new InferenceHostError("the model store is closed", false);
    if (this.child === undefined) this.start();
    const child = this.child!;
    child.channel?.ref();
    try {
      await this.loaded!.promise;
    } finally {
      if (this.queue.length === 0) this.disarm(child);
    }
  }

  /** Frees a session in the host. Runs already queued for it finish first. */
  release(session: HostSession): void {
    if (!this.isLive(session)) return;
    session.released = true;
    this.child?.send({ kind: "release", session: session.key } satisfies HostRequest);
  }

  /** Stops the host; later calls fail. */
  async close(): Promise<void> {
    this.closed = true;
    const child = this.child;
    const closing = () => new InferenceHostError("the model store was closed", false);
    this.retire(closing(), closing);
    if (child === undefined || child.exitCode !== null || child.signalCode !== null) return;
    const exited = new Promise<void>((resolve) => child.once("exit", () => resolve()));
    // The host exits by itself when its channel closes; the timer is for a host stuck in a run.
    if (child.connected) child.disconnect();
    const timer = setTimeout(() => child.kill("SIGKILL"), CLOSE_GRACE_MS);
    await exited;
    clearTimeout(timer);
  }

  private request(
    build: (id: number) => HostRequest,
    label: string,
    timeoutMs: number,
  ): Promise<HostReply> {
    if (this.closed) {
      return Promise.reject(
        new InferenceHostError(`cannot start ${label}: the model store is closed`, false),
      );
    }
    if (this.unusable !== undefined) {
      return Promise.reject(new InferenceHostError(this.unusable, false));
    }
    const child = this.child ?? this.start();
    return new Promise<HostReply>((resolve, reject) => {
      const id = this.nextId++;
      this.queue.push({ id, timeoutMs, label, resolve, reject });
      if (this.queue.length === 1) {
        this.armHeadTimer();
        child.channel?.ref();
      }
      child.send(build(id));
    });
  }

  private start(): ChildProcess {
    const child = fork(new URL(`./host${SOURCE_EXTENSION}`, import.meta.url), [], {
      serialization: "advanced",
      execArgv: hostExecArgv(),
      stdio: ["ignore", "ignore", "pipe", "ipc"],
    });
    const generation = this.generationCounter;
    child.on("message", (reply: HostReply) => this.onReply(child, reply));
    child.on("exit", (code, signal) => this.onExit(child, code, signal));
    // Spawning failed, or a message could not be sent: the host is unusable either way.
    child.on("error", (error) => this.onError(child, error));
    child.stderr?.setEncoding("utf8");
    child.stderr?.on("data", (text: string) =>
      this.logger.warn({ host: child.pid, stderr: text.trimEnd() }, "inference host stderr"),
    );
    // The host must not keep the worker alive when nothing waits for it.
    child.unref();
    child.channel?.unref();
    this.child = child;
    let settle!: (error?: Error) => void;
    const promise = new Promise<void>((resolve, reject) => {
      settle = (error) => (error === undefined ? resolve() : reject(error));
    });
    promise.catch(() => undefined); // awaited only by `ready()`
    this.loaded = { promise, settle };
    this.logger.info({ host: child.pid, generation }, "inference host started");
    return child;
  }

  private onReply(child: ChildProcess, reply: HostReply): void {
    if (child !== this.child) return;
    if (reply.kind === "ready") {
      this.loaded?.settle();
      return;
    }
    if (reply.kind === "unusable") {
      // Another binary or version: every host would say the same, so none is started again.
      this.unusable = reply.message;
      this.restart(child, new InferenceHostError(reply.message, false));
      return;
    }
    const head = this.queue[0];
    if (head === undefined || head.id !== reply.id) {
      // The host answers in order; anything else means host and worker disagree on the protocol.
      this.restart(
        child,
        new InferenceHostError(`inference host answered request ${reply.id} out of order`, false),
      );
      return;
    }
    this.queue.shift();
    if (this.queue.length > 0) this.armHeadTimer();
    else this.disarm(child);
    head.resolve(reply);
  }

  private onExit(child: ChildProcess, code: number | null, signal: string | null): void {
    if (child !== this.child) return;
    const how = signal === null ? `exit code ${code}` : `signal ${signal}`;
    const head = this.queue[0];
    this.logger.error(
      { host: child.pid, code, signal, request: head?.label },
      "inference host exited",
    );
    this.retire(
      new InferenceHostError(
        `the inference host exited (${how}) while ${head?.label ?? "idle"}; the executor ` +
          "crashed or ran out of memory on this model",
        false,
      ),
      () => new HostRestartedError(`the host exited (${how})`),
    );
  }

  private onError(child: ChildProcess, error: Error): void {
    if (child !== this.child) return;
    this.logger.error({ host: child.pid, err: error }, "inference host failed");
    this.restart(
      child,
      new InferenceHostError(`the inference host failed: ${error.message}`, true, { cause: error }),
    );
  }

  /**
   * (Re)starts the one timer, for the request now running. The timer is reused (`refresh`)
   * while the limit stays the same and left to lapse when the queue empties (it then finds no
   * request and does nothing), so the hot path creates no timers.
   */
  private armHeadTimer(): void {
    const head = this.queue[0];
    if (this.headTimer !== undefined && this.headTimeoutMs === head.timeoutMs) {
      this.headTimer.refresh();
      return;
    }
    clearTimeout(this.headTimer);
    this.headTimeoutMs = head.timeoutMs;
    // Unreferenced: pending requests keep the process alive through the IPC channel instead.
    this.headTimer = setTimeout(() => this.onTimeout(), head.timeoutMs).unref();
  }

  /** Nothing is pending: let the process exit if nothing else keeps it alive. */
  private disarm(child: ChildProcess): void {
    child.channel?.unref();
  }

  private onTimeout(): void {
    const child = this.child;
    const head = this.queue[0];
    if (child === undefined || head === undefined) return;
    this.logger.error(
      { host: child.pid, request: head.label, timeoutMs: head.timeoutMs },
      "inference timed out; killing the host",
    );
    this.restart(
      child,
      new InferenceTimeoutError(
        `${head.label} took longer than the ${head.timeoutMs} ms limit; the inference host was ` +
          "killed to stop it. Raise the limit (inferenceTimeoutMs) only if the model is known " +
          "to need it.",
      ),
    );
  }

  /** Kills `child` and fails what it had: the head with `headError`, the rest as restarted. */
  private restart(child: ChildProcess, headError: Error): void {
    if (child !== this.child) return;
    child.kill("SIGKILL");
    this.retire(headError, () => new HostRestartedError(headError.message));
  }

  /**
   * Forgets the current host and its sessions, and fails every request it had not answered: the
   * one it was running with `headError`, the ones queued behind it with `queuedError()`.
   */
  private retire(headError: Error, queuedError: () => Error): void {
    const pending = this.queue.splice(0);
    this.loaded?.settle(headError);
    this.loaded = undefined;
    clearTimeout(this.headTimer);
    this.headTimer = undefined;
    if (this.child !== undefined) this.disarm(this.child);
    this.child = undefined;
    this.generationCounter++;
    pending.forEach((request, index) => request.reject(index === 0 ? headError : queuedError()));
  }

  private unexpected(reply: HostReply): InferenceHostError {
    return new InferenceHostError(`unexpected reply from the inference host: ${reply.kind}`, false);
  }
}

/** ".ts" in this repository (run through tsx), ".js" in the built package. */
const SOURCE_EXTENSION = import.meta.url.endsWith(".ts") ? ".ts" : ".js";

/**
 * How to start the host: the TypeScript sources run through tsx's loader (the repository's),
 * which maps the `.js` import specifiers to their `.ts` files; Node's own type stripping does
 * not; the built package is plain JavaScript. The worker's own flags are not passed on (an
 * `--inspect` port would clash).
 */
function hostExecArgv(): string[] {
  return SOURCE_EXTENSION === ".ts" ? ["--import", import.meta.resolve("tsx")] : [];
}
