/**
 * Models for a `Runner` in a web page: the page fetches each model's bytes itself, hashes them
 * and refuses any whose SHA-256 is not the model id, and runs them in the canonical executor on
 * its own thread. What serves the bytes (the model's host, an IPFS gateway, the explorer's relay)
 * is not trusted: a wrong file is refused here, not believed. No Node built-ins.
 *
 * No time limit: a WebAssembly call cannot be interrupted from the thread that runs it, and a
 * page has no process to kill (`ModelStore` kills its host process instead). A run that never
 * ends keeps the page busy until it is closed. Running the executor in a Web Worker, which can be
 * terminated, would bound it; the models Verity serves run in milliseconds, so this does not yet.
 *
 * @example
 * const models = new PageModels({
 *   wasmUrl: new URL("executor/ort-wasm-simd-threaded.wasm", document.baseURI),
 *   locate: (model) => [{ url: new URL(`api/models/${model.modelId}`, document.baseURI), label: "the relay" }],
 * });
 * const runner = new Runner(models, { timeoutMs: 5_000 });
 */
import { dequantizeInto } from "@verity/contracts";
import { downloadModel } from "./download.js";
import {
  ExecutorFetchError,
  ModelFetchError,
  ModelHashMismatchError,
  ModelIncompatibleError,
} from "./errors.js";
import {
  CANONICAL_EXECUTOR,
  createCanonicalSession,
  loadCanonicalExecutor,
  sha256Hex,
  type CanonicalRun,
  type CanonicalSession,
} from "./executor.js";
import type { ModelSource, RegisteredModel } from "./modelSource.js";

/** One place the page may fetch a model's bytes from. */
export interface ModelLocation {
  /** Absolute (resolve a page-relative path against `document.baseURI`). */
  url: URL;
  /** Who serves it, for messages and receipts: "the model's uri", "the explorer's relay". */
  label: string;
}

export interface PageModelsOptions {
  /** Where `CANONICAL_EXECUTOR.wasmFile` is served; fetched once, then checked by its SHA-256. */
  wasmUrl: URL;
  /**
   * Where to fetch a model's bytes, in order. The next place is tried when one cannot be fetched
   * (network error, CORS, HTTP error); never when one gave bytes: bytes of another hash are the
   * finding (`ModelHashMismatchError`), not a reason to ask elsewhere until something agrees.
   */
  locate(model: RegisteredModel): ModelLocation[];
  /** Per download of a model or of the `.wasm`; default 60 s. */
  fetchTimeoutMs?: number;
  /** Largest model file accepted, in bytes; default 256 MiB (the page holds it in memory). */
  maxModelBytes?: number;
  /** Models kept (verified bytes and session); the least recently used is released beyond. Default 4. */
  maxModels?: number;
}

const DEFAULT_FETCH_TIMEOUT_MS = 60_000;
const DEFAULT_MAX_MODEL_BYTES = 256 * 2 ** 20;
const DEFAULT_MAX_MODELS = 4;

interface PageModel {
  bytes: Promise<VerifiedBytes>;
  session?: Promise<CanonicalSession>;
}

interface VerifiedBytes {
  bytes: Uint8Array;
  /** The location that served them: its label and URL. */
  source: string;
}

/** A `ModelSource` for a web page: bytes fetched and hashed here, sessions cached by model id. */
export class PageModels implements ModelSource {
  private readonly options: Required<PageModelsOptions>;
  /** By lowercase model id, least recently used first (Map keeps insertion order). */
  private readonly models = new Map<string, PageModel>();
  private executor: Promise<void> | undefined;

  constructor(options: PageModelsOptions) {
    this.options = {
      fetchTimeoutMs: DEFAULT_FETCH_TIMEOUT_MS,
      maxModelBytes: DEFAULT_MAX_MODEL_BYTES,
      maxModels: DEFAULT_MAX_MODELS,
      ...options,
    };
    if (!Number.isInteger(this.options.maxModels) || this.options.maxModels < 1) {
      throw new Error(`maxModels must be a positive integer, got ${this.options.maxModels}`);
    }
  }

  /**
   * Fetches the `.wasm` from `wasmUrl` and loads the canonical executor from it, once: refused
   * unless its SHA-256 is the pinned one.
   *
   * @throws ExecutorFetchError, ExecutorMismatchError
   */
  warm(): Promise<void> {
    if (this.executor === undefined) {
      const loading = (async () => loadCanonicalExecutor(await this.fetchWasm()))();
      // A failed load is tried again by the next caller (the server may have been restarting).
      loading.catch(() => {
        if (this.executor === loading) this.executor = undefined;
      });
      this.executor = loading;
    }
    return this.executor;
  }

  /**
   * The model's bytes, from the first of its locations that serves them, with their SHA-256
   * checked against `model.modelId` here.
   *
   * @throws ModelFetchError when no location serves them; ModelHashMismatchError (with `actual`)
   * when the bytes are another file.
   */
  async fetchVerified(model: RegisteredModel): Promise<{ bytes: Uint8Array; source: string }> {
    return this.entry(model).bytes;
  }

  /**
   * Fetches and checks the model and creates its session, without running it.
   *
   * @returns where the verified bytes came from: the location's label and URL.
   * @throws as `fetchVerified`; ExecutorFetchError, ExecutorMismatchError (the `.wasm`);
   * ModelIncompatibleError when the executor refuses the file.
   */
  async load(model: RegisteredModel): Promise<{ source: string }> {
    await this.session(model);
    return { source: (await this.entry(model).bytes).source };
  }

  /**
   * Runs the model on fixed-point `values` in the canonical executor, on the page's thread.
   * `timeoutMs` is not enforced (see the file's comment): the run returns when it is done.
   *
   * @throws as `load`; ModelIncompatibleError when the executor refuses the input.
   */
  async execute(
    model: RegisteredModel,
    values: readonly number[],
    _timeoutMs: number,
  ): Promise<CanonicalRun> {
    const session = await this.session(model);
    const input = new Float32Array(model.inputShape.reduce((product, dim) => product * dim, 1));
    dequantizeInto(values, model.decimals, input);
    try {
      return await session.run(input, model.inputShape);
    } catch (error) {
      throw new ModelIncompatibleError(
        `the canonical executor cannot run model ${model.modelId} on an input of dims ` +
          `[${model.inputShape.join(", ")}]: ${(error as Error).message}`,
        { cause: error },
      );
    }
  }

  /** Models currently kept. */
  get size(): number {
    return this.models.size;
  }

  /** Releases every session. The executor stays loaded for the page's lifetime. */
  async close(): Promise<void> {
    const models = [...this.models.values()];
    this.models.clear();
    await Promise.all(models.map((entry) => release(entry)));
  }

  private session(model: RegisteredModel): Promise<CanonicalSession> {
    const entry = this.entry(model);
    if (entry.session === undefined) {
      const session = (async () => {
        const [{ bytes }] = await Promise.all([entry.bytes, this.warm()]);
        try {
          return await createCanonicalSession(bytes);
        } catch (error) {
          throw new ModelIncompatibleError(
            `the canonical executor cannot load model ${model.modelId}: ${(error as Error).message}`,
            { cause: error },
          );
        }
      })();
      entry.session = session;
      session.catch(() => {
        if (entry.session === session) entry.session = undefined;
      });
    }
    return entry.session;
  }

  /** The model's entry, most recently used last; a failed fetch is forgotten, to be tried again. */
  private entry(model: RegisteredModel): PageModel {
    const modelId = model.modelId.toLowerCase();
    let entry = this.models.get(modelId);
    if (entry !== undefined) {
      this.models.delete(modelId);
      this.models.set(modelId, entry);
      return entry;
    }
    const created: PageModel = { bytes: this.fetchAndCheck(model, modelId) };
    created.bytes.catch(() => {
      if (this.models.get(modelId) === created) this.models.delete(modelId);
    });
    this.models.set(modelId, created);
    for (const [id, old] of this.models) {
      if (this.models.size <= this.options.maxModels) break;
      this.models.delete(id);
      void release(old);
    }
    entry = created;
    return entry;
  }

  private async fetchAndCheck(model: RegisteredModel, modelId: string): Promise<VerifiedBytes> {
    if (!/^0x[0-9a-f]{64}$/.test(modelId)) {
      throw new Error(`model id ${model.modelId} is not a 0x-prefixed SHA-256 (32 bytes of hex)`);
    }
    const failures: { label: string; error: ModelFetchError }[] = [];
    for (const location of this.options.locate(model)) {
      let bytes: Uint8Array;
      try {
        bytes = await downloadModel(model.uri, location.url, {
          timeoutMs: this.options.fetchTimeoutMs,
          maxBytes: this.options.maxModelBytes,
        });
      } catch (error) {
        if (!(error instanceof ModelFetchError)) throw error;
        failures.push({ label: location.label, error });
        continue;
      }
      const source = `${location.label} (${location.url.href})`;
      const actual = await sha256Hex(bytes);
      if (actual !== modelId) throw new ModelHashMismatchError(source, modelId, actual);
      return { bytes, source };
    }
    throw new ModelFetchError(
      model.uri,
      failures.length === 0
        ? `the page has nowhere to fetch model ${model.uri} from`
        : `the page could not fetch model ${model.uri}: ${failures.map((f) => `${f.label}: ${f.error.message}`).join("; ")}`,
      failures.some((failure) => failure.error.retryable),
    );
  }

  private async fetchWasm(): Promise<Uint8Array> {
    const { wasmUrl } = this.options;
    const fix =
      `the page's server must serve ${CANONICAL_EXECUTOR.wasmFile} of onnxruntime-web ` +
      `${CANONICAL_EXECUTOR.version}, unmodified, at ${wasmUrl.href}`;
    let response: Response;
    try {
      response = await fetch(wasmUrl, { signal: AbortSignal.timeout(this.options.fetchTimeoutMs) });
    } catch (error) {
      throw new ExecutorFetchError(
        `could not fetch the canonical executor from ${wasmUrl.href}: ${(error as Error).message}; ${fix}`,
        { cause: error },
      );
    }
    if (!response.ok) {
      await response.body?.cancel();
      throw new ExecutorFetchError(
        `could not fetch the canonical executor from ${wasmUrl.href}: HTTP ${response.status} ` +
          `${response.statusText}; ${fix}`,
      );
    }
    return new Uint8Array(await response.arrayBuffer());
  }
}

async function release(entry: PageModel): Promise<void> {
  const session = await entry.session?.catch(() => undefined);
  await session?.release();
}
