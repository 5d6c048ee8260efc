import { expect } from "chai";
import { createServer } from "node:http";
import type { IncomingMessage, Server, ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { existsSync } from "node:fs";
import { mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import { createHash } from "node:crypto";
import { FailureReason, decodeTensor, encodeTensor, dequantize, quantize } from "@verity/contracts";
import {
  ONNX_IR_VERSION,
  ONNX_OPSET_VERSION,
  encodeOnnx,
  runFloat,
  sampleModel,
  staticShape,
} from "@verity/models";
import type { OnnxGraph, SampleModelName } from "@verity/models";
import { pino } from "pino";
import {
  CANONICAL_EXECUTOR,
  ExecutorMismatchError,
  WARM_UP_MODEL_BASE64,
  InferenceTimeoutError,
  ModelFetchError,
  ModelHashMismatchError,
  ModelIncompatibleError,
  ModelStore,
  Runner,
  currentEnvironment,
  environmentFromComponents,
  loadCanonicalExecutor,
  readCanonicalWasm,
} from "@verity/runtime";
import type { Inference, ModelStoreOptions, RegisteredModel } from "@verity/runtime";

const logger = pino({ level: "silent" });
const FAKE_CID = "bafybeicreditriskfixturecid";

/** A local model server: sample models, an IPFS gateway, and misbehaving routes. */
class ModelServer {
  readonly hits = new Map<string, number>();
  private server!: Server;
  private port = 0;
  /** Bytes served for paths under /models/, by file name. */
  readonly files = new Map<string, Uint8Array>();

  async start(): Promise<void> {
    this.server = createServer((request, response) => this.handle(request, response));
    await new Promise<void>((resolve) => this.server.listen(0, "127.0.0.1", resolve));
    this.port = (this.server.address() as AddressInfo).port;
  }

  url(path: string): string {
    return `http://127.0.0.1:${this.port}${path}`;
  }

  async stop(): Promise<void> {
    this.server.closeAllConnections();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }

  private handle(request: IncomingMessage, response: ServerResponse): void {
    const path = request.url ?? "/";
    this.hits.set(path, (this.hits.get(path) ?? 0) + 1);
    if (path === "/status/500") return void response.writeHead(500).end("boom");
    if (path === "/hang") return; // accepts the request and never answers
    const name = path.startsWith("/models/")
      ? path.slice("/models/".length)
      : path === `/ipfs/${FAKE_CID}/credit-risk.onnx`
        ? "credit-risk.onnx"
        : undefined;
    const bytes = name === undefined ? undefined : this.files.get(name);
    if (bytes === undefined) return void response.writeHead(404).end("not found");
    response.writeHead(200, { "content-type": "application/octet-stream" }).end(bytes);
  }
}

function registered(name: SampleModelName, uri: string): RegisteredModel {
  const model = sampleModel(name);
  return {
    modelId: model.modelId,
    uri,
    inputShape: model.inputShape,
    outputShape: model.outputShape,
    decimals: model.decimals,
  };
}

function sampleBytes(name: SampleModelName, seed: number): Uint8Array {
  const model = sampleModel(name);
  const hex = encodeTensor(model.inputShape, quantize(model.sampleInput(seed), model.decimals));
  return Uint8Array.from(Buffer.from(hex.slice(2), "hex"));
}

function sha256(bytes: Uint8Array): string {
  return `0x${createHash("sha256").update(bytes).digest("hex")}`;
}

function expectFailure(inference: Inference, reason: FailureReason, detail: RegExp): void {
  expect(inference.ok, JSON.stringify(inference)).to.equal(false);
  if (inference.ok) return;
  expect(inference.reason).to.equal(reason);
  expect(inference.detail).to.match(detail);
}

/** A one-Gemm model y = w · x, to push outputs past int32 and float32. */
function scaleGraph(weight: number): OnnxGraph {
  return {
    name: "scale",
    irVersion: ONNX_IR_VERSION,
    opsetVersion: ONNX_OPSET_VERSION,
    inputs: [{ name: "x", shape: [1, 1] }],
    outputs: [{ name: "y", shape: [1, 1] }],
    initializers: [{ name: "w", dims: [1, 1], data: Float32Array.from([weight]) }],
    nodes: [{ opType: "Gemm", name: "g", inputs: ["x", "w"], outputs: ["y"], attributes: {} }],
  };
}

/**
 * A model that runs for about a second on one core from a small input: the input tiled to
 * 2048 × 1024, then `layers` products with a 1024 × 1024 matrix (2 GMAC each).
 */
function slowGraph(layers: number): OnnxGraph {
  const size = 1024;
  const rows = 2048;
  return {
    name: "slow",
    irVersion: ONNX_IR_VERSION,
    opsetVersion: ONNX_OPSET_VERSION,
    inputs: [{ name: "x", shape: [1, size] }],
    outputs: [{ name: "y", shape: [rows, size] }],
    initializers: [
      { name: "w", dims: [size, size], data: new Float32Array(size * size).fill(1 / size) },
      { name: "repeats", dims: [2], data: Float32Array.from([rows, 1]), dataType: "int64" },
    ],
    nodes: [
      { opType: "Tile", name: "tile", inputs: ["x", "repeats"], outputs: ["h0"], attributes: {} },
      ...Array.from({ length: layers }, (_, i) => ({
        opType: "MatMul",
        name: `m${i}`,
        inputs: [`h${i}`, "w"],
        outputs: [i === layers - 1 ? "y" : `h${i + 1}`],
        attributes: {},
      })),
    ],
  };
}

describe("worker inference", function () {
  this.timeout(30_000);

  const server = new ModelServer();
  let dir: string;
  const stores: ModelStore[] = [];

  function newStore(overrides: Partial<ModelStoreOptions> = {}): ModelStore {
    const store = new ModelStore({
      cacheDir: join(dir, "cache"),
      ipfsGateway: server.url("/ipfs/"),
      fetchTimeoutMs: 2_000,
      maxSessions: 4,
      logger,
      ...overrides,
    });
    stores.push(store);
    return store;
  }

  /** Writes a graph as a file and returns it registered under its true id, with a file:// uri. */
  async function fileModel(graph: OnnxGraph, name: string): Promise<RegisteredModel> {
    const bytes = encodeOnnx(graph);
    const path = join(dir, `${name}.onnx`);
    await writeFile(path, bytes);
    return {
      modelId: sha256(bytes),
      uri: pathToFileURL(path).href,
      inputShape: staticShape(graph.inputs[0]),
      outputShape: staticShape(graph.outputs[0]),
      decimals: 6,
    };
  }

  before(async function () {
    await server.start();
    for (const name of ["credit-risk", "mnist-mlp"] as const) {
      server.files.set(`${name}.onnx`, sampleModel(name).bytes);
    }
    server.files.set("impostor.onnx", sampleModel("mnist-mlp").bytes);
  });

  after(async function () {
    await server.stop();
  });

  beforeEach(async function () {
    dir = await mkdtemp(join(tmpdir(), "verity-inference-"));
    server.hits.clear();
  });

  afterEach(async function () {
    await Promise.all(stores.splice(0).map((store) => store.close()));
    await rm(dir, { recursive: true, force: true });
  });

  describe("ModelStore", function () {
    it("fetches on a cache miss, verifies, caches by hash, and reuses the file on a hit", async function () {
      const model = registered("credit-risk", server.url("/models/credit-risk.onnx"));
      const cachePath = join(dir, "cache", `${model.modelId.slice(2)}.onnx`);

      const loaded = await newStore().load(model);
      expect(server.hits.get("/models/credit-risk.onnx")).to.equal(1);
      expect(loaded.path).to.equal(cachePath);
      expect(loaded.sizeBytes).to.equal(sampleModel("credit-risk").bytes.length);
      expect(loaded.inputName).to.equal("features");
      expect(loaded.outputName).to.equal("default_probability");
      expect(new Uint8Array(await readFile(cachePath))).to.deep.equal(
        sampleModel("credit-risk").bytes,
      );

      // A second store (a restarted worker) finds the file in the cache: no fetch.
      await newStore().load(model);
      expect(server.hits.get("/models/credit-risk.onnx")).to.equal(1);
    });

    it("shares one load between concurrent callers and one session between later ones", async function () {
      const store = newStore();
      const model = registered("mnist-mlp", server.url("/models/mnist-mlp.onnx"));
      const [a, b, c] = await Promise.all([
        store.load(model),
        store.load(model),
        store.load(model),
      ]);
      expect(server.hits.get("/models/mnist-mlp.onnx")).to.equal(1);
      expect(a).to.equal(b).and.to.equal(c);
      expect(await store.load(model)).to.equal(a);
    });

    it("refuses bytes whose SHA-256 is not the model id, and caches nothing", async function () {
      const model = registered("credit-risk", server.url("/models/impostor.onnx"));
      const error = await newStore()
        .load(model)
        .then(
          () => undefined,
          (caught: unknown) => caught,
        );
      expect(error).to.be.instanceOf(ModelHashMismatchError);
      const mismatch = error as ModelHashMismatchError;
      expect(mismatch.expected).to.equal(sampleModel("credit-risk").modelId);
      expect(mismatch.actual).to.equal(sampleModel("mnist-mlp").modelId);
      expect(mismatch.message).to.match(/refusing model 0x71f7.*hash to 0x0709/);
      expect(existsSync(join(dir, "cache", `${model.modelId.slice(2)}.onnx`))).to.equal(false);
    });

    it("deletes a corrupted cached file; fetches it again when the uri serves the right bytes", async function () {
      const good = registered("credit-risk", server.url("/models/credit-risk.onnx"));
      const cachePath = join(dir, "cache", `${good.modelId.slice(2)}.onnx`);
      await newStore().load(good);
      await writeFile(cachePath, "corrupted");

      await newStore().load(good);
      expect(server.hits.get("/models/credit-risk.onnx")).to.equal(2);
      expect(new Uint8Array(await readFile(cachePath))).to.deep.equal(
        sampleModel("credit-risk").bytes,
      );

      await writeFile(cachePath, "corrupted again");
      const impostor = { ...good, uri: server.url("/models/impostor.onnx") };
      await newStore()
        .load(impostor)
        .then(
          () => expect.fail("a mismatching file was loaded"),
          (error: unknown) => expect(error).to.be.instanceOf(ModelHashMismatchError),
        );
      expect(existsSync(cachePath)).to.equal(false);
    });

    it("loads file:// and ipfs:// (through the gateway) uris", async function () {
      const [written] = [join(dir, "credit-risk.onnx")];
      await writeFile(written, sampleModel("credit-risk").bytes);
      await newStore().load(registered("credit-risk", pathToFileURL(written).href));

      const viaIpfs = registered("credit-risk", `ipfs://${FAKE_CID}/credit-risk.onnx`);
      await newStore({ cacheDir: join(dir, "other-cache") }).load(viaIpfs);
      expect(server.hits.get(`/ipfs/${FAKE_CID}/credit-risk.onnx`)).to.equal(1);
    });

    async function fetchError(uri: string, options: Partial<ModelStoreOptions> = {}) {
      const error = await newStore(options)
        .load(registered("credit-risk", uri))
        .then(
          () => undefined,
          (caught: unknown) => caught,
        );
      expect(error).to.be.instanceOf(ModelFetchError);
      return error as ModelFetchError;
    }

    it("HTTP 404 is a ModelFetchError that is not retryable", async function () {
      const error = await fetchError(server.url("/models/nowhere.onnx"));
      expect(error.retryable).to.equal(false);
      expect(error.message).to.match(/HTTP 404/);
    });

    it("HTTP 500 is a retryable ModelFetchError", async function () {
      const error = await fetchError(server.url("/status/500"));
      expect(error.retryable).to.equal(true);
      expect(error.message).to.match(/HTTP 500/);
    });

    it("a server that never answers times out with an error naming the limit", async function () {
      const started = performance.now();
      const error = await fetchError(server.url("/hang"), { fetchTimeoutMs: 300 });
      expect(performance.now() - started).to.be.within(250, 2_000);
      expect(error.retryable).to.equal(true);
      expect(error.message).to.match(/took longer than the 300 ms limit/);
    });

    it("a refused connection is retryable; a bad uri, scheme or relative file uri is not", async function () {
      expect((await fetchError("http://127.0.0.1:1/model.onnx")).retryable).to.equal(true);
      expect((await fetchError("not a uri")).retryable).to.equal(false);
      const scheme = await fetchError("ftp://example.com/model.onnx");
      expect(scheme.retryable).to.equal(false);
      expect(scheme.message).to.match(/unsupported scheme ftp:/);
      const relative = await fetchError("file://models/credit-risk.onnx");
      expect(relative.retryable).to.equal(false);
      expect(relative.message).to.match(/file:\/\/\/absolute\/path/);
      expect((await fetchError(pathToFileURL(join(dir, "absent.onnx")).href)).retryable).to.equal(
        false,
      );
    });

    it("keeps at most maxSessions sessions, releasing the least recently used", async function () {
      const store = newStore({ maxSessions: 2 });
      const credit = registered("credit-risk", server.url("/models/credit-risk.onnx"));
      const mnist = registered("mnist-mlp", server.url("/models/mnist-mlp.onnx"));
      const scale = await fileModel(scaleGraph(2), "scale");

      const creditFirst = await store.load(credit);
      const mnistFirst = await store.load(mnist);
      expect(store.sessionCount).to.equal(2);
      expect(await store.load(credit)).to.equal(creditFirst); // credit is now most recent
      await store.load(scale); // evicts mnist
      expect(store.sessionCount).to.equal(2);
      expect(await store.load(credit)).to.equal(creditFirst);
      const mnistAgain = await store.load(mnist); // a new session, from the cache; evicts scale
      expect(mnistAgain).to.not.equal(mnistFirst);
      expect(server.hits.get("/models/mnist-mlp.onnx")).to.equal(1);
      expect(store.sessionCount).to.equal(2);

      // An evicted model still runs: the runner reopens it.
      const runner = new Runner(store, { timeoutMs: 5_000, logger });
      const inference = await runner.run(
        scale,
        Uint8Array.from(Buffer.from(encodeTensor([1, 1], [1_000_000]).slice(2), "hex")),
      );
      expect(inference.ok && inference.values).to.deep.equal([2_000_000]);
      expect(store.sessionCount).to.equal(2);
    });
  });

  describe("Runner", function () {
    let store: ModelStore;
    let runner: Runner;
    const credit = () => registered("credit-risk", server.url("/models/credit-risk.onnx"));

    beforeEach(function () {
      store = newStore();
      runner = new Runner(store, { timeoutMs: 5_000, logger });
    });

    it("answers with the quantised output of the canonical executor, matching the float64 reference", async function () {
      for (const name of ["credit-risk", "mnist-mlp"] as const) {
        const model = registered(name, server.url(`/models/${name}.onnx`));
        for (let seed = 0; seed < 8; seed++) {
          const input = sampleBytes(name, seed);
          const inference = await runner.run(model, input);
          if (!inference.ok) expect.fail(inference.detail);
          const reference = runFloat(
            sampleModel(name).graph,
            Float32Array.from(dequantize(decodeTensor(input).values, 6)),
          );
          const expected = quantize(Array.from(reference), 6);
          inference.values.forEach((value, i) =>
            expect(Math.abs(value - expected[i])).to.be.at.most(2),
          );
          expect(decodeTensor(inference.output)).to.deep.equal({
            shape: sampleModel(name).outputShape,
            values: inference.values,
          });
          expect(inference.inferenceUs).to.be.greaterThan(0).and.lessThan(100_000);
        }
      }
    });

    it("gives bit-identical outputs across runs and across two sessions in two host processes", async function () {
      const otherRunner = new Runner(newStore({ cacheDir: join(dir, "cache-2") }), {
        timeoutMs: 5_000,
        logger,
      });
      for (const name of ["credit-risk", "mnist-mlp"] as const) {
        const model = registered(name, server.url(`/models/${name}.onnx`));
        for (let seed = 0; seed < 16; seed++) {
          const input = sampleBytes(name, seed);
          const first = await runner.run(model, input);
          const again = await runner.run(model, input);
          const elsewhere = await otherRunner.run(model, input);
          if (!first.ok || !again.ok || !elsewhere.ok) expect.fail("a sample input was refused");
          expect(again.output).to.deep.equal(first.output);
          expect(elsewhere.output).to.deep.equal(first.output);
        }
      }
    });

    it("refuses other dims with InputShapeMismatch, before loading the model", async function () {
      const transposed = Buffer.from(encodeTensor([16, 1], new Array(16).fill(0)).slice(2), "hex");
      expectFailure(
        await runner.run(credit(), transposed),
        FailureReason.InputShapeMismatch,
        /input dims \[16, 1\] differ from the model's input shape \[1, 16\]/,
      );
      const short = Buffer.from(encodeTensor([1, 15], new Array(15).fill(0)).slice(2), "hex");
      expectFailure(
        await runner.run(credit(), short),
        FailureReason.InputShapeMismatch,
        /\[1, 15\]/,
      );
      expect(server.hits.size).to.equal(0);
    });

    it("refuses a wrong length, a bad header, a wrong dtype and empty bytes as InputUndecodable", async function () {
      const good = sampleBytes("credit-risk", 1);
      const cases: [Uint8Array, RegExp][] = [
        [good.subarray(0, good.length - 1), /must be 75 bytes, got 74/],
        [Uint8Array.from([...good, 0, 0, 0, 0]), /must be 75 bytes, got 79/],
        [Uint8Array.from([0x02, ...good.subarray(1)]), /unsupported tensor version 0x02/],
        [Uint8Array.from([good[0], 0x02, ...good.subarray(2)]), /unsupported tensor dtype 0x02/],
        [new Uint8Array(), /shorter than its 3-byte header/],
        [Uint8Array.from([1, 1, 9]), /rank 9 needs 39 header bytes, got 3/],
      ];
      for (const [input, detail] of cases) {
        expectFailure(await runner.run(credit(), input), FailureReason.InputUndecodable, detail);
      }
    });

    it("answers an output beyond int32 or float32 with InputOutOfRange", async function () {
      const model = await fileModel(scaleGraph(3e38), "huge");
      const encode = (value: number) => Buffer.from(encodeTensor([1, 1], [value]).slice(2), "hex");
      // 1 · 3e38 is a finite float32 but no int32 at 6 decimals; 2 · 3e38 is +Infinity.
      expectFailure(
        await runner.run(model, encode(1_000_000)),
        FailureReason.InputOutOfRange,
        /does not fit an int32/,
      );
      expectFailure(
        await runner.run(model, encode(2_000_000)),
        FailureReason.InputOutOfRange,
        /is Infinity/,
      );
      const fine = await runner.run(model, encode(0));
      expect(fine.ok && fine.values).to.deep.equal([0]);
    });

    it("throws ModelIncompatibleError when the file does not match its registered shapes", async function () {
      const wrongOutput = { ...credit(), outputShape: [1, 2] };
      await runner.run(wrongOutput, sampleBytes("credit-risk", 1)).then(
        () => expect.fail("a wrong output shape was accepted"),
        (error: unknown) => {
          expect(error).to.be.instanceOf(ModelIncompatibleError);
          expect((error as Error).message).to.match(
            /gave output dims \[1, 1\] but is registered with output shape \[1, 2\]/,
          );
        },
      );
      const wrongInput = { ...credit(), inputShape: [1, 8] };
      const eight = Buffer.from(encodeTensor([1, 8], new Array(8).fill(0)).slice(2), "hex");
      await runner.run(wrongInput, eight).then(
        () => expect.fail("a wrong input shape was run"),
        (error: unknown) => expect(error).to.be.instanceOf(ModelIncompatibleError),
      );
    });

    it("kills a run past the time limit without blocking the event loop, and keeps serving", async function () {
      const slow = await fileModel(slowGraph(50), "slow");
      const slowRunner = new Runner(store, { timeoutMs: 300, logger });
      const input = Buffer.from(
        encodeTensor([1, 1024], new Array(1024).fill(1_000_000)).slice(2),
        "hex",
      );
      await store.load(slow);
      await store.load(credit());

      let ticks = 0;
      let longestGapMs = 0;
      let last = performance.now();
      const interval = setInterval(() => {
        const now = performance.now();
        longestGapMs = Math.max(longestGapMs, now - last);
        last = now;
        ticks++;
      }, 5);
      const started = performance.now();
      const [timedOut, queuedBehind] = await Promise.allSettled([
        slowRunner.run(slow, input),
        runner.run(credit(), sampleBytes("credit-risk", 3)),
      ]);
      clearInterval(interval);

      expect(timedOut.status).to.equal("rejected");
      const error = (timedOut as PromiseRejectedResult).reason as Error;
      expect(error).to.be.instanceOf(InferenceTimeoutError);
      expect(error.message).to.match(/took longer than the 300 ms limit/);
      expect(performance.now() - started).to.be.lessThan(3_000);
      expect(ticks).to.be.greaterThan(20);
      // Run in-process, the runaway model would hold the loop for the whole 300 ms limit; a busy
      // 2-core machine can still pause it for a GC or a process start, hence not a tighter bound.
      expect(longestGapMs).to.be.lessThan(250);
      // The request queued behind the runaway one was retried on a fresh host.
      expect(queuedBehind.status).to.equal("fulfilled");
      expect((queuedBehind as PromiseFulfilledResult<Inference>).value.ok).to.equal(true);
      // And the store keeps serving.
      expect((await runner.run(credit(), sampleBytes("credit-risk", 4))).ok).to.equal(true);
    });
  });

  describe("environment", function () {
    it("pins the canonical executor, not the machine, and is stable across calls", function () {
      const environment = currentEnvironment();
      expect(environment).to.deep.equal(currentEnvironment());
      expect(environment.id).to.match(/^0x[0-9a-f]{64}$/);
      expect(environment.components).to.deep.equal({
        executionMode: "sequential",
        executionProvider: "wasm",
        graphOptimizationLevel: "basic",
        numThreads: "1",
        "onnxruntime-web": "1.30.0",
        "verity-runtime": "0.1.0",
        wasmFile: "ort-wasm-simd-threaded.wasm",
        wasmSha256: CANONICAL_EXECUTOR.wasmSha256,
      });
      expect(environment.description).to.equal(
        `verity-runtime 0.1.0, onnxruntime-web 1.30.0 wasm ${CANONICAL_EXECUTOR.wasmSha256.slice(0, 10)}…, ` +
          "1 thread, opt=basic",
      );
    });

    it("warms up with a model that is exactly encodeOnnx's one-node Identity graph", function () {
      const identity = encodeOnnx({
        name: "warm-up",
        irVersion: ONNX_IR_VERSION,
        opsetVersion: ONNX_OPSET_VERSION,
        inputs: [{ name: "x", shape: [1] }],
        outputs: [{ name: "y", shape: [1] }],
        initializers: [],
        nodes: [
          { opType: "Identity", name: "identity", inputs: ["x"], outputs: ["y"], attributes: {} },
        ],
      });
      expect(Buffer.from(identity).toString("base64")).to.equal(WARM_UP_MODEL_BASE64);
    });

    it("refuses a WebAssembly binary other than the pinned one, even after the real one loaded", async function () {
      const wasm = await readCanonicalWasm();
      await loadCanonicalExecutor(wasm);
      const tampered = wasm.slice();
      tampered[tampered.length - 1] ^= 1;
      await loadCanonicalExecutor(tampered).then(
        () => expect.fail("a tampered binary was accepted"),
        (error: Error) => {
          expect(error).to.be.instanceOf(ExecutorMismatchError);
          expect(error.message).to.contain(CANONICAL_EXECUTOR.wasmSha256);
        },
      );
    });

    it("has an id that ignores key order and changes when any component changes", function () {
      const { components, id } = currentEnvironment();
      const reversed = Object.fromEntries(Object.entries(components).reverse());
      expect(environmentFromComponents(reversed).id).to.equal(id);
      const ids = new Set([id]);
      for (const name of Object.keys(components)) {
        ids.add(
          environmentFromComponents({ ...components, [name]: `${components[name]}-changed` }).id,
        );
      }
      expect(ids.size).to.equal(Object.keys(components).length + 1);
    });
  });
});
