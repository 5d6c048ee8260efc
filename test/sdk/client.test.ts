import { expect } from "chai";
import { existsSync } from "node:fs";
import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import { Wallet, parseEther, sha256 } from "ethers";
import {
  decodeTensor,
  describeHubSource,
  encodeTensor,
  encodedTensorLength,
  quantize,
} from "@verity/contracts";
import { DEFAULT_DEPLOYMENTS_DIR, writeDevnetRecord } from "@verity/contracts/deployments";
import {
  ACCOUNTS,
  devAccount,
  freePort,
  spawnWorker,
  startDevnet,
  type Devnet,
  type WorkerProcess,
} from "@verity/devnet";
import { OnnxFormatError, encodeOnnx, readModelFile, sampleModel } from "@verity/models";
import {
  ChainMismatchError,
  ContractNotDeployedError,
  ContractRevertError,
  InputTooLargeError,
  InvalidInputError,
  ModelNotFoundError,
  RequestNotFoundError,
  ResultNotAvailableError,
  RpcUnreachableError,
  SignerRequiredError,
  WaitTimeoutError,
  createVerityClient,
  getModel,
  getResult,
  listModels,
  quote,
  registerModel,
  requestInference,
  verifyResult,
  waitForResult,
  type VerityClient,
} from "@verity/sdk";
import { checkModel, createModelRunner } from "@verity/runtime";
import type { ModelRunner } from "@verity/contracts";
import { expectedOutput } from "../worker/support.js";

/** Rejects with an instance of `type`; returns the error for further checks. */
async function rejection<T>(
  promise: Promise<unknown>,
  type: new (...args: never[]) => T,
): Promise<T> {
  try {
    await promise;
  } catch (error) {
    expect(error).to.be.instanceOf(type);
    return error as T;
  }
  throw new Error(`expected a ${type.name}`);
}

describe("sdk against a local node and a real worker", function () {
  this.timeout(120_000);
  let devnet: Devnet;
  let honest: WorkerProcess;
  let dishonest: WorkerProcess;
  let client: VerityClient;
  let runner: ModelRunner;
  let dir: string;
  const credit = sampleModel("credit-risk");

  before(async () => {
    dir = await mkdtemp(join(tmpdir(), "verity-sdk-test-"));
    devnet = await startDevnet({ assignmentGraceSeconds: 20 });
    [honest, dishonest] = await Promise.all([
      spawnWorker(devnet),
      spawnWorker(devnet, { account: ACCOUNTS.firstWorker + 1, settings: { dishonest: true } }),
    ]);
    await Promise.all([honest.httpUrl(), dishonest.httpUrl()]);
    client = await createVerityClient({
      rpcUrl: devnet.node.url,
      hubAddress: await devnet.hub.getAddress(),
      privateKey: devAccount(ACCOUNTS.requester).privateKey,
      pollingIntervalMs: 50,
    });
    runner = await createModelRunner();
  });

  after(async () => {
    client?.destroy();
    await runner?.close();
    await Promise.all([honest?.stop("SIGKILL"), dishonest?.stop("SIGKILL")]);
    await devnet?.stop();
    await rm(dir, { recursive: true, force: true });
  });

  describe("connecting", () => {
    it("says no node answers, and how to start one", async () => {
      const url = `http://127.0.0.1:${await freePort()}`;
      const error = await rejection(createVerityClient({ rpcUrl: url }), RpcUnreachableError);
      expect(error.shortMessage).to.equal(`No Ethereum node answers at ${url}.`);
      expect(error.fix).to.match(/verity devnet/);
    });

    it("refuses the wrong chain and an address without code (the wrong network)", async () => {
      const hubAddress = await devnet.hub.getAddress();
      const mismatch = await rejection(
        createVerityClient({ rpcUrl: devnet.node.url, hubAddress, chainId: 1 }),
        ChainMismatchError,
      );
      expect(mismatch.shortMessage).to.match(/is chain 31337, not the expected chain 1/);
      const empty = Wallet.createRandom().address;
      const missing = await rejection(
        createVerityClient({ rpcUrl: devnet.node.url, hubAddress: empty }),
        ContractNotDeployedError,
      );
      expect(missing.shortMessage).to.match(/has no code/);
      expect(missing.fix).to.match(/wrong network/);
    });

    it("finds the hub without an address: VERITY_HUB_ADDRESS, then a running devnet's record, and says which", async () => {
      const home = await mkdtemp(join(tmpdir(), "verity-home-"));
      const saved = { home: process.env.VERITY_HOME, hub: process.env.VERITY_HUB_ADDRESS };
      process.env.VERITY_HOME = home;
      delete process.env.VERITY_HUB_ADDRESS;
      const hub = await devnet.hub.getAddress();
      const record = {
        rpcUrl: devnet.node.url,
        chainId: "31337",
        inferenceHub: hub,
        modelRegistry: await devnet.modelRegistry.getAddress(),
        workerRegistry: await devnet.workerRegistry.getAddress(),
        pid: process.pid,
        startedAt: new Date().toISOString(),
      };
      try {
        // Where a client without an address finds the hub, or why it cannot.
        const outcome = (parameters: Parameters<typeof createVerityClient>[0]) =>
          createVerityClient(parameters).then(
            (client) => {
              client.destroy();
              return describeHubSource(client.hubSource);
            },
            (error: Error) => String(error.cause ?? error),
          );
        // Nothing recorded for this node's port: the Ignition deployment, if a developer made
        // one on this machine, else an error naming every place it looked.
        expect(await outcome({ rpcUrl: devnet.node.url })).to.include(
          existsSync(join(DEFAULT_DEPLOYMENTS_DIR, "chain-31337"))
            ? "the Ignition deployment"
            : "VERITY_HUB_ADDRESS is not set",
        );

        const file = writeDevnetRecord(record);
        // The same node named "localhost" finds the same record.
        const viaRecord = await createVerityClient({
          rpcUrl: devnet.node.url.replace("127.0.0.1", "localhost"),
        });
        viaRecord.destroy();
        expect(viaRecord.addresses.inferenceHub).to.equal(hub);
        expect(describeHubSource(viaRecord.hubSource)).to.equal(
          `the running devnet recorded in ${file}`,
        );
        // Given a provider (Hardhat's, say) instead of a URL: the one running devnet of the chain.
        const viaProvider = await createVerityClient({ provider: devnet.provider });
        expect(describeHubSource(viaProvider.hubSource)).to.equal(
          `the running devnet recorded in ${file}`,
        );

        // A record left by a devnet that died is not trusted.
        writeDevnetRecord({ ...record, pid: 2 ** 22 + 1 });
        const stale = await outcome({ rpcUrl: devnet.node.url });
        expect(stale).to.not.include(file);

        // The environment variable comes first, and a wrong one is named as the source.
        process.env.VERITY_HUB_ADDRESS = Wallet.createRandom().address;
        const wrong = await rejection(
          createVerityClient({ rpcUrl: devnet.node.url }),
          ContractNotDeployedError,
        );
        expect(wrong.shortMessage).to.include("(the address came from VERITY_HUB_ADDRESS)");
        process.env.VERITY_HUB_ADDRESS = hub;
        const viaEnvironment = await createVerityClient({ rpcUrl: devnet.node.url });
        viaEnvironment.destroy();
        expect(viaEnvironment.hubSource).to.equal("VERITY_HUB_ADDRESS");
      } finally {
        for (const [key, value] of [
          ["VERITY_HOME", saved.home],
          ["VERITY_HUB_ADDRESS", saved.hub],
        ] as const) {
          if (value === undefined) delete process.env[key];
          else process.env[key] = value;
        }
        await rm(home, { recursive: true, force: true });
      }
    });

    it("reads without a key and says a write needs one", async () => {
      const reader = await createVerityClient({
        rpcUrl: devnet.node.url,
        hubAddress: await devnet.hub.getAddress(),
      });
      try {
        expect((await getModel(reader, credit.modelId)).inputShape).to.deep.equal([1, 16]);
        const error = await rejection(
          requestInference(reader, { modelId: credit.modelId, input: credit.sampleInput(1) }),
          SignerRequiredError,
        );
        expect(error.fix).to.match(/VERITY_PRIVATE_KEY/);
      } finally {
        reader.destroy();
      }
    });
  });

  describe("models", () => {
    it("registers an ONNX file: id = SHA-256, shapes read from the file, file:// uri", async () => {
      const graph = { ...credit.graph, name: "credit-risk-v2" };
      const bytes = encodeOnnx(graph);
      const path = join(dir, "credit-risk-v2.onnx");
      await writeFile(path, bytes);
      const { model, gasUsed } = await registerModel(client, {
        ...(await readModelFile(path)),
        feeWei: parseEther("0.002"),
        check: checkModel,
      });
      expect(model.modelId).to.equal(sha256(bytes));
      expect(model.inputShape).to.deep.equal([1, 16]);
      expect(model.outputShape).to.deep.equal([1, 1]);
      expect(model.uri).to.equal(pathToFileURL(path).href);
      expect(model.proofModes).to.deep.equal(["ATTESTED"]);
      expect(model.status).to.equal("Active");
      expect(gasUsed > 0n).to.equal(true);
      const listed = await listModels(client);
      expect(listed.map((m) => m.modelId)).to.include.members([
        credit.modelId,
        sampleModel("mnist-mlp").modelId,
        model.modelId,
      ]);

      const again = await rejection(
        registerModel(client, { ...(await readModelFile(path)), check: checkModel }),
        ContractRevertError,
      );
      expect(again.errorName).to.equal("ModelAlreadyRegistered");
      expect(again.shortMessage).to.equal(`Model ${model.modelId} is already registered.`);
    });

    it("runs the check before sending, and refuses an input no request could carry unchecked", async () => {
      const nonce = await devnet.provider.getTransactionCount(client.account!);
      const checked: unknown[] = [];
      const refusal = new Error("the check refused it");
      const thrown = await rejection(
        registerModel(client, {
          bytes: encodeOnnx({ ...credit.graph, name: "checked" }),
          uri: "file:///checked.onnx",
          inputShape: [1, 16],
          outputShape: [1, 1],
          check: async (bytes, shapes) => {
            checked.push(shapes);
            throw refusal;
          },
        }),
        Error,
      );
      // What the check throws reaches the caller as it is (ModelCheckError keeps its fix).
      expect(thrown).to.equal(refusal);
      expect(checked).to.deep.equal([{ inputShape: [1, 16], outputShape: [1, 1] }]);
      const large = await rejection(
        registerModel(client, {
          bytes: encodeOnnx({ ...credit.graph, name: "large" }),
          uri: "file:///large.onnx",
          inputShape: [1, 20_000],
          outputShape: [1, 1],
          check: () => Promise.reject(new Error("the check must not run")),
        }),
        InputTooLargeError,
      );
      expect(large.inputBytes).to.equal(encodedTensorLength([1, 20_000]));
      expect(await devnet.provider.getTransactionCount(client.account!)).to.equal(nonce);
    });

    it("readModelFile refuses a file that is not an ONNX model, or is missing, naming it", async () => {
      const path = join(dir, "not-a-model.onnx");
      await writeFile(path, "hello");
      const error = await rejection(readModelFile(path), OnnxFormatError);
      expect(error.message).to.match(/^.*not-a-model\.onnx: /);
      const missing = await rejection(readModelFile(join(dir, "nope.onnx")), OnnxFormatError);
      expect(missing.message).to.match(/nope\.onnx: no such file$/);
    });

    it("says an unknown model is not registered, and where to look", async () => {
      const unknown = `0x${"12".repeat(32)}`;
      const error = await rejection(getModel(client, unknown), ModelNotFoundError);
      expect(error.fix).to.match(/verity model list/);
      const quoted = await rejection(quote(client, { modelId: unknown }), ContractRevertError);
      expect(quoted.errorName).to.equal("ModelNotFound");
      await rejection(
        requestInference(client, { modelId: unknown, input: [1] }),
        ModelNotFoundError,
      );
    });
  });

  describe("requests, results and independent verification", () => {
    it("requests with real values, waits, reads the result and verifies it by re-execution", async () => {
      const real = credit.sampleInput(7);
      const statuses: string[] = [];
      const { requestId, request, gasUsed } = await requestInference(client, {
        modelId: credit.modelId,
        input: real,
        assignee: honest.address,
      });
      expect(request.assignee).to.equal(honest.address);
      expect(gasUsed > 0n).to.equal(true);
      const result = await waitForResult(client, {
        requestId,
        timeoutMs: 30_000,
        onStatus: (status) => statuses.push(status),
      });
      expect(statuses.at(-1)).to.equal("Settled");
      expect(result.final).to.equal(true);
      expect(result.outcome?.kind).to.equal("settled");
      const expected = expectedOutput("credit-risk", quantize(real, credit.decimals));
      const values = result.result!.decoded!.values;
      expect(Math.abs(values[0] - expected[0])).to.be.at.most(2);
      expect(result.result!.decoded!.real[0]).to.equal(values[0] / 1e6);
      expect(result.result!.proof).to.match(/^0x[0-9a-f]{130}$/);

      const receipt = await verifyResult(client, { requestId, runner });
      expect(receipt.matches, receipt.summary).to.equal(true);
      expect(receipt.checks.map((c) => [c.name, c.ok])).to.deep.equal([
        ["input", true],
        ["output", true],
        ["model", true],
        ["re-execution", true],
        ["proof", true],
        ["worker", true],
        ["environment", true],
      ]);
      expect(receipt.proof).to.include({
        mode: "ATTESTED",
        kind: "EIP-712 signature",
        signer: honest.address,
        submitter: honest.address,
        valid: true,
      });
      expect(receipt.environment.sameAsLocal).to.equal(true);
      expect(receipt.output.localValues).to.deep.equal(values);
    });

    it("catches a dishonest worker's signed wrong answer: re-execution differs", async () => {
      const { requestId } = await requestInference(client, {
        modelId: credit.modelId,
        input: credit.sampleInput(8),
        assignee: dishonest.address,
      });
      await waitForResult(client, { requestId, timeoutMs: 30_000 });
      const receipt = await verifyResult(client, { requestId, runner });
      expect(receipt.matches).to.equal(false);
      const byName = Object.fromEntries(receipt.checks.map((c) => [c.name, c.ok]));
      expect(byName).to.include({ model: true, "re-execution": false, proof: true, worker: true });
      expect(receipt.proof.signer).to.equal(dishonest.address);
      expect(receipt.summary).to.match(/re-execution check failed/);
      expect(receipt.output.localValues![0]).to.equal(receipt.output.onChainValues![0] - 1);
    });

    it("verifies an MNIST-shaped request from bytes, and fails a model whose file was swapped", async () => {
      const mnist = sampleModel("mnist-mlp");
      const input = quantize(mnist.sampleInput(3), mnist.decimals);
      const { requestId } = await requestInference(client, {
        modelId: mnist.modelId,
        input: encodeTensor(mnist.inputShape, input),
        assignee: honest.address,
      });
      const result = await waitForResult(client, { requestId, timeoutMs: 30_000 });
      expect(decodeTensor(result.result!.output).shape).to.deep.equal([1, 10]);
      expect((await verifyResult(client, { requestId, runner })).matches).to.equal(true);

      // A model registered from a file that is later replaced: the fetched bytes do not hash to
      // the registered id, so nothing is re-run and the receipt says why.
      const graph = { ...credit.graph, name: "credit-risk-swapped" };
      const path = join(dir, "swapped.onnx");
      await writeFile(path, encodeOnnx(graph));
      const { model } = await registerModel(client, {
        ...(await readModelFile(path)),
        check: checkModel,
      });
      const asked = await requestInference(client, {
        modelId: model.modelId,
        input: credit.sampleInput(9),
        assignee: honest.address,
      });
      await waitForResult(client, { requestId: asked.requestId, timeoutMs: 30_000 });
      await writeFile(path, encodeOnnx({ ...graph, name: "something else" }));
      const receipt = await verifyResult(client, { requestId: asked.requestId, runner });
      expect(receipt.matches).to.equal(false);
      expect(receipt.model.hashMatches).to.equal(false);
      expect(receipt.summary).to.match(/model check failed: the file at .* hashes to/);
      expect(receipt.checks.find((c) => c.name === "re-execution")!.ok).to.equal(null);
    });

    it("checks inputs before paying, times out with the status, and names missing requests", async () => {
      const short = await rejection(
        requestInference(client, { modelId: credit.modelId, input: [1, 2, 3] }),
        InvalidInputError,
      );
      expect(short.shortMessage).to.match(/takes 16 values .*got 3/);
      // A model whose uri never answers: the worker keeps retrying (a missing file it would
      // report as ModelUnavailable at once), so the request stays Pending.
      const silent = createServer(() => {});
      await new Promise<void>((resolve) => silent.listen(0, "127.0.0.1", resolve));
      const { port } = silent.address() as AddressInfo;
      const ghost = await registerModel(client, {
        bytes: encodeOnnx({ ...credit.graph, name: "ghost" }),
        uri: `http://127.0.0.1:${port}/ghost.onnx`,
        inputShape: credit.inputShape,
        outputShape: credit.outputShape,
        check: checkModel,
      });
      const { requestId } = await requestInference(client, {
        modelId: ghost.model.modelId,
        input: credit.sampleInput(1),
        assignee: "none",
      });
      const timeout = await rejection(
        waitForResult(client, { requestId, timeoutMs: 300 }),
        WaitTimeoutError,
      ).finally(() => silent.closeAllConnections());
      silent.close();
      expect(timeout.shortMessage).to.equal(`Request ${requestId} is still Pending after 300 ms.`);
      expect((await getResult(client, requestId)).result).to.equal(undefined);
      const none = await rejection(
        verifyResult(client, { requestId, runner }),
        ResultNotAvailableError,
      );
      expect(none.fix).to.match(/wait for a worker/);
      await rejection(getResult(client, 999_999n), RequestNotFoundError);
    });
  });
});
