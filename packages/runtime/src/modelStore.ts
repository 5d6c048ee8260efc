import { mkdir, readFile, rename, rm, writeFile } from "node:fs/promises";
import { join } from "node:path";
import type { Logger } from "pino";
import { dequantizeInto } from "@verity/contracts";
import { InferenceHostError, ModelHashMismatchError } from "./errors.js";
import { sha256Hex } from "./executor.js";
import { fetchModelBytes } from "./fetch.js";
import { HostRestartedError, InferenceHost } from "./inferenceHost.js";
import type { HostRunResult, HostSession } from "./inferenceHost.js";
import type { ModelSource, RegisteredModel } from "./modelSource.js";

export interface ModelStoreOptions {
  /** Verified model files live here as `<sha256 hex>.onnx`. */
  cacheDir: string;
  /** e.g. `http://127.0.0.1:8080/ipfs/`: `ipfs://<cid>/<path>` is fetched as `<gateway><cid>/<path>`. */
  ipfsGateway: string;
  fetchTimeoutMs: number;
  /** Sessions kept open at once; the least recently used is released beyond this. */
  maxSessions: number;
  logger: Logger;
  /** Largest model file accepted, in bytes. Default 1 GiB (onnxruntime's protobuf limit is 2 GiB). */
  maxModelBytes?: number;
  /** Limit on creating one onnxruntime session. Default 60 s. */
  sessionTimeoutMs?: number;
}

/** A model whose file is verified and whose onnxruntime session is open. */
export interface LoadedModel {
  readonly modelId: string;
  /** The verified file in the cache. */
  readonly path: string;
  readonly sizeBytes: number;
  readonly inputName: string;
  readonly outputName: string;
  /** How long onnxruntime took to create the session, in the inference host. */
  readonly sessionCreateMs: number;
}

const DEFAULT_MAX_MODEL_BYTES = 2 ** 30;
const DEFAULT_SESSION_TIMEOUT_MS = 60_000;
/** A run whose session goes away under it is tried again, this many times in all. */
const MAX_RUN_ATTEMPTS = 3;

/** A `LoadedModel` with what running it needs. */
class OpenModel implements LoadedModel {
  readonly inputName: string;
  readonly outputName: string;
  readonly sessionCreateMs: number;
  /**
   * Reused for every run: the IPC channel copies it when the run is sent, so the next run may
   * overwrite it at once.
   */
  readonly inputBuffer: Float32Array;

  constructor(
    readonly modelId: string,
    readonly path: string,
    readonly sizeBytes: number,
    readonly session: HostSession,
    inputElements: number,
  ) {
    this.inputName = session.inputName;
    this.outputName = session.outputName;
    this.sessionCreateMs = session.createMs;
    this.inputBuffer = new Float32Array(inputElements);
  }
}

/**
 * Content-addressed model files and the onnxruntime sessions that run them.
 *
 * A file is fetched from its uri unless `<cacheDir>/<sha256 hex>.onnx` exists, and its SHA-256 is
 * checked against the model id before anything reads it as a model, on every load, cached or
 * not. Sessions live in the inference host process (see `InferenceHost`), at most `maxSessions`,
 * least recently used released first.
 */
export class ModelStore implements ModelSource {
  private readonly options: Required<ModelStoreOptions>;
  private readonly logger: Logger;
  private readonly host: InferenceHost;
  /** Open models by id, least recently used first (Map keeps insertion order). */
  private readonly open = new Map<string, OpenModel>();
  /** Loads in progress by id: concurrent loads of one model share one promise. */
  private readonly loading = new Map<string, Promise<OpenModel>>();
  private closed = false;

  constructor(options: ModelStoreOptions) {
    if (!Number.isInteger(options.maxSessions) || options.maxSessions < 1) {
      throw new Error(`maxSessions must be a positive integer, got ${options.maxSessions}`);
    }
    this.options = {
      maxModelBytes: DEFAULT_MAX_MODEL_BYTES,
      sessionTimeoutMs: DEFAULT_SESSION_TIMEOUT_MS,
      ...options,
    };
    this.logger = options.logger;
    this.host = new InferenceHost(options.logger.child({ component: "inference-host" }));
  }

  /**
   * Fetches (file://, http(s)://, ipfs:// through the gateway) unless the cache has the file,
   * verifies its SHA-256 against `modelId` before loading (a cached file too), then creates or
   * reuses its session in the canonical executor. Concurrent loads of one model share one promise.
   *
   * @throws ModelFetchError, ModelHashMismatchError (the file is never loaded; a bad cached
   * file is deleted), ModelIncompatibleError (the executor refuses the file),
   * InferenceTimeoutError or InferenceHostError (creating the session).
   */
  async load(model: RegisteredModel): Promise<LoadedModel> {
    return this.openModel(model);
  }

  /**
   * The model's verified bytes, without creating a session: from the cache, or fetched from its
   * uri and checked against `modelId` as `load` does.
   *
   * @throws ModelFetchError, ModelHashMismatchError
   */
  fetchVerified(model: RegisteredModel): Promise<{ path: string; bytes: Uint8Array }> {
    return this.verifiedBytes(model, model.modelId.toLowerCase());
  }

  /**
   * Runs `model` on fixed-point `values` (already checked against its input shape): dequantises
   * them into the model's reused input buffer and runs them in the inference host. Reopens the
   * session and retries if it was evicted, or the host restarted, before the run started.
   *
   * @internal the `Runner` calls this; use `Runner.run`.
   */
  async execute(
    model: RegisteredModel,
    values: readonly number[],
    timeoutMs: number,
  ): Promise<HostRunResult> {
    for (let attempt = 1; attempt <= MAX_RUN_ATTEMPTS; attempt++) {
      const open = await this.openModel(model);
      // Evicted or its host restarted while this caller waited: open it again.
      if (!this.host.isLive(open.session)) continue;
      dequantizeInto(values, model.decimals, open.inputBuffer);
      try {
        return await this.host.run(
          open.session,
          open.inputBuffer,
          model.inputShape,
          `model ${model.modelId}`,
          timeoutMs,
        );
      } catch (error) {
        if (!(error instanceof HostRestartedError)) throw error;
      }
    }
    throw new InferenceHostError(
      `could not run model ${model.modelId} in ${MAX_RUN_ATTEMPTS} attempts: its session was ` +
        "evicted or the inference host restarted each time. Raise maxSessions if many models " +
        "are in use at once.",
      true,
    );
  }

  /**
   * Starts the inference host and waits until it has loaded the canonical executor: a process
   * whose `.wasm` is not the pinned one fails here, before it serves anything.
   *
   * @throws InferenceHostError
   */
  warm(): Promise<void> {
    return this.host.ready();
  }

  /** Open sessions: at most `maxSessions`. */
  get sessionCount(): number {
    let count = 0;
    for (const open of this.open.values()) if (this.host.isLive(open.session)) count++;
    return count;
  }

  /** Releases every session and stops the inference host. */
  async close(): Promise<void> {
    this.closed = true;
    this.open.clear();
    await this.host.close();
  }

  private openModel(model: RegisteredModel): Promise<OpenModel> {
    const modelId = model.modelId.toLowerCase();
    const open = this.open.get(modelId);
    if (open !== undefined && this.host.isLive(open.session)) {
      this.open.delete(modelId); // most recently used goes last
      this.open.set(modelId, open);
      return Promise.resolve(open);
    }
    if (this.closed) return Promise.reject(new Error("the ModelStore is closed; create a new one"));
    let pending = this.loading.get(modelId);
    if (pending === undefined) {
      pending = this.createOpenModel(model, modelId).finally(() => this.loading.delete(modelId));
      this.loading.set(modelId, pending);
    }
    return pending;
  }

  private async createOpenModel(model: RegisteredModel, modelId: string): Promise<OpenModel> {
    const { path, bytes } = await this.verifiedBytes(model, modelId);
    const label = `model ${modelId}`;
    let session: HostSession;
    try {
      session = await this.host.createSession(bytes, label, this.options.sessionTimeoutMs);
    } catch (error) {
      if (!(error instanceof HostRestartedError)) throw error;
      session = await this.host.createSession(bytes, label, this.options.sessionTimeoutMs);
    }
    const inputElements = model.inputShape.reduce((product, dim) => product * dim, 1);
    const open = new OpenModel(modelId, path, bytes.length, session, inputElements);
    this.open.delete(modelId);
    this.open.set(modelId, open);
    this.evictBeyondLimit();
    this.logger.info(
      { modelId, bytes: bytes.length, sessionCreateMs: Math.round(session.createMs * 10) / 10 },
      "model loaded",
    );
    return open;
  }

  private evictBeyondLimit(): void {
    for (const [modelId, open] of this.open) {
      if (this.open.size <= this.options.maxSessions) return;
      this.open.delete(modelId);
      this.host.release(open.session);
      this.logger.debug({ modelId }, "session released (least recently used)");
    }
  }

  /** The model's bytes, from the cache or its uri, with their SHA-256 checked. */
  private async verifiedBytes(
    model: RegisteredModel,
    modelId: string,
  ): Promise<{ path: string; bytes: Uint8Array }> {
    const hex = modelId.replace(/^0x/, "");
    if (!/^[0-9a-f]{64}$/.test(hex)) {
      throw new Error(`model id ${model.modelId} is not a 0x-prefixed SHA-256 (32 bytes of hex)`);
    }
    const path = join(this.options.cacheDir, `${hex}.onnx`);
    const cached = await readIfExists(path);
    if (cached !== undefined) {
      const actual = await sha256Hex(cached);
      if (actual === modelId) return { path, bytes: cached };
      // A corrupted cache is not the model's fault: drop it and fetch again, loudly.
      await rm(path, { force: true });
      this.logger.error(
        { modelId, path, actual },
        "cached model file does not match its id; deleted it, fetching again",
      );
    }
    const started = performance.now();
    const bytes = await fetchModelBytes(model.uri, {
      ipfsGateway: this.options.ipfsGateway,
      timeoutMs: this.options.fetchTimeoutMs,
      maxBytes: this.options.maxModelBytes,
    });
    const actual = await sha256Hex(bytes);
    if (actual !== modelId) {
      this.logger.error(
        { modelId, uri: model.uri, actual },
        "model hash mismatch; refusing the file",
      );
      throw new ModelHashMismatchError(model.uri, modelId, actual);
    }
    await this.writeCache(path, bytes);
    this.logger.info(
      {
        modelId,
        uri: model.uri,
        bytes: bytes.length,
        fetchMs: Math.round(performance.now() - started),
      },
      "model fetched and verified",
    );
    return { path, bytes };
  }

  /** Atomically, so a crash never leaves a half-written file under a verified name. */
  private async writeCache(path: string, bytes: Uint8Array): Promise<void> {
    await mkdir(this.options.cacheDir, { recursive: true });
    const temporary = `${path}.${process.pid}.${Date.now()}.tmp`;
    await writeFile(temporary, bytes);
    await rename(temporary, path);
  }
}

async function readIfExists(path: string): Promise<Uint8Array | undefined> {
  try {
    return new Uint8Array(await readFile(path));
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === "ENOENT") return undefined;
    throw error;
  }
}
