import { expect } from "chai";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createHash } from "node:crypto";
import { encodeTensor, quantize } from "@verity/contracts";
import { encodeOnnx, sampleModel, type SampleModelName } from "@verity/models";
import {
  ExecutorFetchError,
  ModelFetchError,
  ModelHashMismatchError,
  ModelStore,
  PageModels,
  Runner,
  readCanonicalWasm,
  type ModelLocation,
  type RegisteredModel,
} from "@verity/runtime";
import { pino } from "pino";

/**
 * `PageModels`, the model source of the explorer's in-page verification, run here in Node against
 * a local HTTP server standing in for the page's servers: a model host, the relay, the `.wasm`.
 */
describe("PageModels: model bytes a page fetches and checks itself", function () {
  this.timeout(60_000);

  /** Bytes by path; anything else is a 404. Counts hits. */
  const routes = new Map<string, Uint8Array>();
  const hits: string[] = [];
  let server: Server;
  let base: string;
  let dir: string;
  const stores: ModelStore[] = [];

  before(async () => {
    dir = await mkdtemp(join(tmpdir(), "verity-page-models-"));
    routes.set("/executor.wasm", await readCanonicalWasm());
    for (const name of ["credit-risk", "mnist-mlp"] as const) {
      routes.set(`/models/${name}.onnx`, sampleModel(name).bytes);
      routes.set(`/relay/${name}.onnx`, sampleModel(name).bytes);
    }
    // Another valid model, served where credit-risk is expected: a swapped file.
    routes.set(
      "/swapped/credit-risk.onnx",
      encodeOnnx({ ...sampleModel("credit-risk").graph, name: "something else" }),
    );
    server = createServer((request, response) => {
      const path = request.url ?? "/";
      hits.push(path);
      const bytes = routes.get(path);
      if (bytes === undefined) return void response.writeHead(404, "Not Found").end();
      response.writeHead(200, { "content-type": "application/octet-stream" }).end(bytes);
    });
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });

  after(async () => {
    await Promise.all(stores.map((store) => store.close()));
    server?.closeAllConnections();
    await new Promise<void>((resolve) => (server ? server.close(() => resolve()) : resolve()));
    await rm(dir, { recursive: true, force: true });
  });

  beforeEach(() => hits.splice(0));

  const at = (path: string, label = path): ModelLocation => ({ url: new URL(path, base), label });

  function registered(name: SampleModelName, circuit = false): RegisteredModel {
    const model = sampleModel(name);
    return {
      modelId: model.modelId,
      uri: `file:///nowhere/${name}.onnx`,
      inputShape: model.inputShape,
      outputShape: model.outputShape,
      decimals: model.decimals,
      circuit,
    };
  }

  function input(name: SampleModelName, seed: number): Uint8Array {
    const model = sampleModel(name);
    const hex = encodeTensor(model.inputShape, quantize(model.sampleInput(seed), model.decimals));
    return Uint8Array.from(Buffer.from(hex.slice(2), "hex"));
  }

  function pageModels(locate: (model: RegisteredModel) => ModelLocation[]): PageModels {
    return new PageModels({ wasmUrl: new URL("/executor.wasm", base), locate });
  }

  it("refuses bytes whose SHA-256 is not the model id, with the hash it found, and asks nowhere else", async () => {
    const models = pageModels(() => [
      at("/swapped/credit-risk.onnx", "the model's uri"),
      at("/models/credit-risk.onnx", "the relay"),
    ]);
    const model = registered("credit-risk");
    const runner = new Runner(models, { timeoutMs: 5_000 });
    for (const attempt of [
      () => models.load(model),
      () => models.fetchVerified(model),
      () => runner.run(model, input("credit-risk", 1)),
    ]) {
      const error = await attempt().then(
        () => expect.fail("bytes of another hash were accepted"),
        (thrown: unknown) => thrown,
      );
      expect(error).to.be.instanceOf(ModelHashMismatchError);
      const mismatch = error as ModelHashMismatchError;
      const swapped = routes.get("/swapped/credit-risk.onnx")!;
      expect(mismatch.actual).to.equal(`0x${createHash("sha256").update(swapped).digest("hex")}`);
      expect(mismatch.expected).to.equal(model.modelId);
      expect(mismatch.message).to.include("the model's uri");
    }
    // A wrong file is the finding: the next location (which has the right file) is not asked.
    expect(hits).to.not.include("/models/credit-risk.onnx");
    // Nothing of it is kept: the model is fetched (and refused) again next time.
    expect(models.size).to.equal(0);
  });

  it("tries the next location when one cannot be fetched, and answers as the worker's ModelStore does", async () => {
    const models = pageModels((model) => [
      at(`/absent/${model.modelId}`, "the model's uri"),
      at(`/relay/${model.uri.split("/").pop()}`, "the relay"),
    ]);
    const store = new ModelStore({
      cacheDir: join(dir, "cache"),
      ipfsGateway: `${base}/ipfs/`,
      fetchTimeoutMs: 5_000,
      maxSessions: 4,
      logger: pino({ level: "silent" }),
    });
    stores.push(store);
    const inPage = new Runner(models, { timeoutMs: 5_000 });
    const inWorker = new Runner(store, { timeoutMs: 5_000 });
    for (const name of ["credit-risk", "mnist-mlp"] as const) {
      const model = { ...registered(name), uri: `${base}/models/${name}.onnx` };
      for (const seed of [1, 2]) {
        const page = await inPage.run(model, input(name, seed));
        const worker = await inWorker.run(model, input(name, seed));
        expect(page.ok && worker.ok, JSON.stringify({ page, worker })).to.equal(true);
        if (page.ok && worker.ok) {
          expect(Buffer.from(page.output).toString("hex")).to.equal(
            Buffer.from(worker.output).toString("hex"),
          );
        }
      }
    }
    expect((await models.load(registered("credit-risk"))).source).to.equal(
      `the relay (${base}/relay/credit-risk.onnx)`,
    );
    // Each model fetched once (its session is kept), the .wasm once.
    expect(hits.filter((path) => path.startsWith("/relay/"))).to.deep.equal([
      "/relay/credit-risk.onnx",
      "/relay/mnist-mlp.onnx",
    ]);
    expect(hits.filter((path) => path === "/executor.wasm").length).to.be.at.most(1);
    await models.close();
    expect(models.size).to.equal(0);
  });

  it("runs a ZK model's circuit arithmetic from the verified bytes", async () => {
    const models = pageModels(() => [at("/models/credit-risk.onnx")]);
    const runner = new Runner(models, { timeoutMs: 5_000 });
    const inference = await runner.run(registered("credit-risk", true), input("credit-risk", 3));
    expect(inference.ok).to.equal(true);
  });

  it("says when no location serves the model, and when the .wasm cannot be had", async () => {
    const nowhere = pageModels(() => [
      at("/absent/a", "the model's uri"),
      at("/absent/b", "the relay"),
    ]);
    const error = await nowhere.load(registered("credit-risk")).then(
      () => expect.fail("loaded from nowhere"),
      (thrown: unknown) => thrown,
    );
    expect(error).to.be.instanceOf(ModelFetchError);
    expect((error as ModelFetchError).message).to.match(
      /the model's uri: .*HTTP 404.*the relay: .*HTTP 404/,
    );
    expect((error as ModelFetchError).retryable).to.equal(false);

    const noWasm = new PageModels({
      wasmUrl: new URL("/absent.wasm", base),
      locate: () => [at("/models/credit-risk.onnx")],
    });
    const missing = await noWasm.warm().then(
      () => expect.fail("loaded an executor from nowhere"),
      (thrown: unknown) => thrown,
    );
    expect(missing).to.be.instanceOf(ExecutorFetchError);
    expect((missing as Error).message).to.match(
      /HTTP 404.*must serve ort-wasm-simd-threaded\.wasm/,
    );
  });
});
