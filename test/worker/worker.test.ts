import { expect } from "chai";
import type { NonceManager } from "ethers";
import { getBytes, hexlify, randomBytes } from "ethers";
import {
  FailureReason,
  RequestStatus,
  decodeTensor,
  encodeTensor,
  hubDigests,
  type Request,
} from "@verity/contracts";
import {
  ACCOUNTS,
  spawnWorker,
  startDevnet,
  startRpcProxy,
  type Devnet,
  type WorkerProcess,
} from "@verity/devnet";
import { encodeOnnx, sampleModel } from "@verity/models";
import {
  SETTLED,
  advanceTime,
  eventCounts,
  expectedOutput,
  registerModel,
  request,
  requestAll,
  sampleInput,
  settledOutput,
  startModelServer,
  waitForStatus,
} from "./support.js";

/** Within two fixed-point units: float32 (onnxruntime) against the float64 reference. */
function expectCloseTo(actual: number[], expected: number[]) {
  expect(actual.length).to.equal(expected.length);
  actual.forEach((value, i) =>
    expect(Math.abs(value - expected[i])).to.be.at.most(2, `element ${i}`),
  );
}

/**
 * Each request settled exactly once with the model's output. Unless several workers compete
 * (where a late result is skipped by the hub, as designed), nobody submitted anything twice.
 */
async function expectSettledOnceWithModelOutput(
  devnet: Devnet,
  requests: Request[],
  inputs: string[],
  { competing = false } = {},
) {
  await waitForStatus(
    devnet,
    requests.map((r) => r.id),
    SETTLED,
  );
  for (const [i, req] of requests.entries()) {
    const counts = await eventCounts(devnet, req.id);
    expect(counts.RequestSettled, `request ${req.id} settled`).to.equal(1);
    if (!competing) expect(counts.ResultSkipped, `request ${req.id} submitted twice`).to.equal(0);
    const output = decodeTensor(await settledOutput(devnet, req.id)).values;
    const name = req.modelId === devnet.models["mnist-mlp"]?.modelId ? "mnist-mlp" : "credit-risk";
    expectCloseTo(output, expectedOutput(name, decodeTensor(inputs[i]).values));
  }
}

/** The reason of the request's `RequestFailed` event. */
async function failureReasonOf(devnet: Devnet, requestId: bigint): Promise<number> {
  const [failed] = await devnet.hub.queryFilter(devnet.hub.filters.RequestFailed(requestId));
  return Number(failed.args.reason);
}

// The same suite on a second, independent node: nothing here may rely on Hardhat's quirks.
for (const node of ["hardhat", "anvil"] as const)
  describe(`worker against a local node${node === "hardhat" ? "" : ` (${node})`}`, function () {
    this.timeout(120_000);
    let devnet: Devnet;
    let worker: WorkerProcess;

    before(async () => {
      devnet = await startDevnet({ assignmentGraceSeconds: 2, node });
      worker = await spawnWorker(devnet, {
        settings: { pollIntervalMs: 25, modelFetchTimeoutMs: 500 },
      });
      await worker.httpUrl();
    });

    after(async () => {
      await worker?.stop("SIGKILL");
      await devnet?.stop();
    });

    it("settles ATTESTED requests once each, with onnxruntime's output for both sample models", async () => {
      const inputs = [
        sampleInput("credit-risk", 1),
        sampleInput("credit-risk", 2),
        sampleInput("mnist-mlp", 1),
      ];
      const requests = [
        await request(devnet, "credit-risk", inputs[0]),
        await request(devnet, "credit-risk", inputs[1]),
        await request(devnet, "mnist-mlp", inputs[2]),
      ];
      await expectSettledOnceWithModelOutput(devnet, requests, inputs);
      // The signature the hub accepted is the worker's, over its environment.
      const [submitted] = await devnet.hub.queryFilter(
        devnet.hub.filters.ResultSubmitted(requests[0].id),
      );
      expect(submitted.args.worker).to.equal(worker.address);
      expect(submitted.args.environmentId).to.equal(devnet.environment.id);
    });

    it("answers bad input with reportFailure on-chain, and the requester gets the escrow back", async () => {
      const values = Array.from({ length: 16 }, () => 1_000_000);
      const wrongShape = encodeTensor([2, 8], values); // same length, other dimensions
      const undecodable = hexlify(
        Uint8Array.from([0x09, ...getBytes(encodeTensor([1, 16], values)).slice(1)]),
      );
      // The largest inputs the encoding allows drive the MLP's scores past int32 at 6 decimals.
      const mnist = sampleModel("mnist-mlp");
      const overflowing = encodeTensor(
        mnist.inputShape,
        Array.from({ length: 784 }, () => 2 ** 31 - 1),
      );
      const requester = await devnet.signer(ACCOUNTS.requester).getAddress();
      const before = await devnet.hub.balanceOf(requester);
      const requests = [
        await request(devnet, "credit-risk", wrongShape),
        await request(devnet, "credit-risk", undecodable),
        await request(devnet, "mnist-mlp", overflowing),
      ];
      await waitForStatus(
        devnet,
        requests.map((r) => r.id),
        [RequestStatus.Failed],
      );
      const reasons = [];
      for (const req of requests) {
        const [failed] = await devnet.hub.queryFilter(devnet.hub.filters.RequestFailed(req.id));
        reasons.push(Number(failed.args.reason));
      }
      expect(reasons).to.deep.equal([
        FailureReason.InputShapeMismatch,
        FailureReason.InputUndecodable,
        FailureReason.InputOutOfRange,
      ]);
      const refunded = requests.reduce(
        (sum, r) => sum + r.modelFeeWei + r.workerRewardWei + r.callbackFeeWei,
        0n,
      );
      expect((await devnet.hub.balanceOf(requester)) - before).to.equal(refunded);
    });

    it("never sees a wrong-length input: the hub refuses it at request time", async () => {
      const tooShort = encodeTensor(
        [1, 15],
        Array.from({ length: 15 }, () => 0),
      );
      let refusal: string | undefined;
      try {
        await request(devnet, "credit-risk", tooShort);
      } catch (error) {
        const data = (error as { data?: string }).data;
        refusal = data === undefined ? String(error) : devnet.hub.interface.parseError(data)?.name;
      }
      expect(refusal).to.equal("InputLengthMismatch");
    });

    it("serves /healthz and Prometheus /metrics with what happened", async () => {
      const url = await worker.httpUrl();
      const health = (await (await fetch(`${url}/healthz`)).json()) as { ok: boolean };
      expect(health.ok).to.equal(true);
      const metrics = await (await fetch(`${url}/metrics`)).text();
      const value = (name: string) =>
        Number(new RegExp(`^${name} (\\d+(\\.\\d+)?)`, "m").exec(metrics)?.[1]);
      expect(value("verity_worker_requests_seen_total")).to.be.at.least(6);
      expect(value("verity_worker_requests_settled_total")).to.be.at.least(3);
      expect(metrics).to.match(
        /verity_worker_requests_failed_total\{reason="InputShapeMismatch"\} 1/,
      );
      expect(metrics).to.match(/verity_worker_inference_seconds_count \d+/);
      expect(metrics).to.match(/verity_worker_end_to_end_seconds_bucket/);
      expect(value("verity_worker_balance_eth")).to.be.greaterThan(0);
    });

    it("refuses a model whose bytes differ from the registered hash, and reports it at once", async () => {
      const impostor = encodeOnnx({
        ...sampleModel("credit-risk").graph,
        name: "registered but never served",
      });
      const modelId = await registerModel(devnet, impostor, devnet.models["credit-risk"].uri);
      const req = await request(devnet, "credit-risk", sampleInput("credit-risk", 3), {
        modelId,
        deadlineSeconds: 60,
      });
      await worker.waitForLog(
        (line) =>
          line.reason === "ModelHashMismatch" && String(line.detail ?? "").includes("hash to"),
      );
      // Long before the deadline: the requester is refunded when the report lands.
      await waitForStatus(devnet, [req.id], [RequestStatus.Failed]);
      expect(await failureReasonOf(devnet, req.id)).to.equal(FailureReason.ModelHashMismatch);
      expect((await eventCounts(devnet, req.id)).RequestSettled).to.equal(0);
    });

    it("reports a model uri that 404s at once, and refunds one that never answers", async () => {
      const server = await startModelServer({
        "/missing.onnx": (respond) => respond(404),
        "/hangs.onnx": () => {},
      });
      try {
        const missing = await registerModel(devnet, randomBytes(64), `${server.url}/missing.onnx`);
        const hangs = await registerModel(devnet, randomBytes(64), `${server.url}/hangs.onnx`);
        const requests = [
          await request(devnet, "credit-risk", sampleInput("credit-risk", 4), {
            modelId: missing,
            deadlineSeconds: 60,
          }),
          await request(devnet, "credit-risk", sampleInput("credit-risk", 5), {
            modelId: hangs,
            deadlineSeconds: 60,
          }),
        ];
        // A 404 will not heal: reported without waiting for the deadline.
        await waitForStatus(devnet, [requests[0].id], [RequestStatus.Failed]);
        expect(await failureReasonOf(devnet, requests[0].id)).to.equal(
          FailureReason.ModelUnavailable,
        );
        await worker.waitForLog(
          (line) =>
            line.msg === "model unavailable; will retry" &&
            line.requestId === String(requests[1].id),
        );
        await advanceTime(devnet, 120);
        await waitForStatus(devnet, [requests[1].id], [RequestStatus.Refunded]);
      } finally {
        await server.close();
      }
    });

    it("refunds a request whose deadline passes while its model is still downloading", async () => {
      const slowBytes = encodeOnnx({
        ...sampleModel("credit-risk").graph,
        name: "slow to download",
      });
      let release: (() => void) | undefined;
      const server = await startModelServer({
        "/slow.onnx": (respond) => {
          release = () => respond(200, slowBytes);
        },
      });
      try {
        const modelId = await registerModel(devnet, slowBytes, `${server.url}/slow.onnx`);
        const req = await request(devnet, "credit-risk", sampleInput("credit-risk", 6), {
          modelId,
          deadlineSeconds: 30,
        });
        await advanceTime(devnet, 60); // the deadline passes while the download hangs
        release?.();
        await waitForStatus(devnet, [req.id], [RequestStatus.Refunded]);
        expect((await eventCounts(devnet, req.id)).RequestSettled).to.equal(0);
      } finally {
        await server.close();
      }
    });

    it("shares the hub with a second worker: every request settles exactly once", async () => {
      const second = await spawnWorker(devnet, {
        account: ACCOUNTS.firstWorker + 1,
        settings: { pollIntervalMs: 25 },
      });
      try {
        await second.httpUrl();
        const inputs = Array.from({ length: 12 }, (_, i) => sampleInput("credit-risk", 100 + i));
        const requests = await requestAll(devnet, "credit-risk", inputs);
        await expectSettledOnceWithModelOutput(devnet, requests, inputs, { competing: true });
        expect(worker.process.exitCode).to.equal(null);
        expect(second.process.exitCode).to.equal(null);
      } finally {
        await second.stop();
      }
    });

    it("checks that its own digests are the hub's", async () => {
      const hubAddress = await devnet.hub.getAddress();
      const digests = hubDigests(devnet.chainId, hubAddress);
      const fields = {
        requestId: 7n,
        modelId: devnet.models["credit-risk"].modelId,
        inputHash: hexlify(randomBytes(32)),
        outputHash: hexlify(randomBytes(32)),
        environmentId: devnet.environment.id,
      };
      expect(digests.result(fields)).to.equal(
        await devnet.hub.resultDigest(
          fields.requestId,
          fields.modelId,
          fields.inputHash,
          fields.outputHash,
          fields.environmentId,
        ),
      );
      expect(digests.failure({ ...fields, reason: FailureReason.InputUndecodable })).to.equal(
        await devnet.hub.failureDigest(
          fields.requestId,
          fields.modelId,
          fields.inputHash,
          FailureReason.InputUndecodable,
          fields.environmentId,
        ),
      );
    });
  });

describe("worker faults", function () {
  this.timeout(180_000);
  let devnet: Devnet;

  beforeEach(async () => {
    devnet = await startDevnet({ assignmentGraceSeconds: 2, models: ["credit-risk"] });
  });

  afterEach(async () => {
    await devnet?.stop();
  });

  it("survives kill -9 with results in flight: after a restart each request settles once, none twice", async () => {
    const first = await spawnWorker(devnet, { settings: { pollIntervalMs: 25 } });
    await first.httpUrl();
    // Mine every 2 s, so the worker's transactions wait in the pool when it is killed.
    await devnet.node.rpc("evm_setAutomine", [false]);
    await devnet.node.rpc("evm_setIntervalMining", [2_000]);
    const inputs = Array.from({ length: 10 }, (_, i) => sampleInput("credit-risk", 200 + i));
    const pending = inputs.map((input) => request(devnet, "credit-risk", input));
    await first.waitForLog(
      (line) => line.msg === "sent transaction" && line.kind === "submit",
      20_000,
    );
    await first.stop("SIGKILL");
    const requests = await Promise.all(pending);
    const restarted = await spawnWorker(devnet, {
      dataDir: first.dataDir,
      settings: { pollIntervalMs: 25 },
    });
    try {
      await restarted.waitForLog((line) => line.msg === "resuming from the journal");
      await expectSettledOnceWithModelOutput(devnet, requests, inputs);
    } finally {
      await restarted.stop();
      await devnet.node.rpc("evm_setIntervalMining", [0]);
      await devnet.node.rpc("evm_setAutomine", [true]);
    }
  });

  it("rides out its RPC endpoint going away for 10 s", async () => {
    const proxy = await startRpcProxy(devnet.node.port);
    const worker = await spawnWorker(devnet, {
      settings: { rpcUrl: proxy.url, pollIntervalMs: 25, rpcBackoffMs: 100, rpcRetries: 20 },
    });
    try {
      await worker.httpUrl();
      await proxy.cut();
      const inputs = Array.from({ length: 5 }, (_, i) => sampleInput("credit-risk", 300 + i));
      const requests = await requestAll(devnet, "credit-risk", inputs);
      await new Promise((resolve) => setTimeout(resolve, 10_000));
      expect(worker.process.exitCode).to.equal(null);
      await proxy.restore();
      await expectSettledOnceWithModelOutput(devnet, requests, inputs);
      const metrics = await (await fetch(`${await worker.httpUrl()}/metrics`)).text();
      expect(metrics).to.match(/verity_worker_rpc_errors_total\{method="[^"]+"\} [1-9]/);
    } finally {
      await worker.stop();
      await proxy.close();
    }
  });

  it("follows a reorg: requests the chain forgot are dropped, the ones that replace them settle", async () => {
    const worker = await spawnWorker(devnet, { settings: { pollIntervalMs: 25 } });
    try {
      await worker.httpUrl();
      const snapshot = await devnet.node.rpc<string>("evm_snapshot");
      const lost = await requestAll(
        devnet,
        "credit-risk",
        [400, 401, 402].map((seed) => sampleInput("credit-risk", seed)),
      );
      await waitForStatus(
        devnet,
        lost.map((r) => r.id),
        SETTLED,
      );
      expect(await devnet.node.rpc<boolean>("evm_revert", [snapshot])).to.equal(true);
      (devnet.signer(ACCOUNTS.requester) as NonceManager).reset(); // its nonce went back too
      // The same ids now hold other inputs: the worker must answer these, not the forgotten ones.
      const inputs = [500, 501, 502, 503].map((seed) => sampleInput("credit-risk", seed));
      const replacing = await requestAll(devnet, "credit-risk", inputs);
      expect(replacing[0].id).to.equal(lost[0].id);
      await expectSettledOnceWithModelOutput(devnet, replacing, inputs);
      await worker.waitForLog(
        (line) => line.msg === "chain reorganised under the checkpoint; rescanning",
      );
      expect(worker.process.exitCode).to.equal(null);
    } finally {
      await worker.stop();
    }
  });

  it("stops on SIGTERM with exit code 0 after finishing in-flight work, and resumes from its journal", async () => {
    const worker = await spawnWorker(devnet, { settings: { pollIntervalMs: 25 } });
    await worker.httpUrl();
    const inputs = [600, 601].map((seed) => sampleInput("credit-risk", seed));
    const requests = await requestAll(devnet, "credit-risk", inputs);
    await waitForStatus(
      devnet,
      requests.map((r) => r.id),
      SETTLED,
    );
    expect(await worker.stop("SIGTERM")).to.equal(0);
    await worker.waitForLog((line) => line.msg === "worker stopped");
    const again = await spawnWorker(devnet, {
      dataDir: worker.dataDir,
      settings: { pollIntervalMs: 25 },
    });
    try {
      const next = await request(devnet, "credit-risk", inputs[0]);
      await expectSettledOnceWithModelOutput(devnet, [next], [inputs[0]]);
    } finally {
      await again.stop();
    }
  });
});

describe("worker with a challenge window", function () {
  this.timeout(120_000);
  let devnet: Devnet;

  before(async () => {
    devnet = await startDevnet({ challengeWindowSeconds: 600, models: ["credit-risk"] });
  });

  after(async () => {
    await devnet?.stop();
  });

  it("submits, waits out the window, then finalizes its own result", async () => {
    const worker = await spawnWorker(devnet, { settings: { pollIntervalMs: 25 } });
    try {
      await worker.httpUrl();
      const input = sampleInput("credit-risk", 700);
      const req = await request(devnet, "credit-risk", input);
      await waitForStatus(devnet, [req.id], [RequestStatus.Submitted]);
      await advanceTime(devnet, 601);
      await expectSettledOnceWithModelOutput(devnet, [req], [input]);
      const finalized = worker.logs.filter(
        (line) => line.msg === "sent transaction" && line.kind === "finalize",
      );
      expect(finalized).to.have.length(1);
    } finally {
      await worker.stop();
    }
  });

  it("re-sends a transaction stuck in the pool with higher fees, under the same nonce", async () => {
    const worker = await spawnWorker(devnet, {
      settings: { pollIntervalMs: 25, gasBumpAfterMs: 1_000 },
    });
    try {
      await worker.httpUrl();
      await devnet.node.rpc("evm_setAutomine", [false]); // nothing is mined until we say so
      const input = sampleInput("credit-risk", 701);
      const sent = devnet.hub
        .connect(devnet.signer(ACCOUNTS.requester))
        .requestInference(
          devnet.models["credit-risk"].modelId,
          input,
          0,
          "0x0000000000000000000000000000000000000000",
          "0x0000000000000000000000000000000000000000",
          0,
          (await devnet.provider.getBlock("latest"))!.timestamp + 3600,
          { value: await devnet.hub.quote(devnet.models["credit-risk"].modelId, 0) },
        );
      const pending = await sent;
      await devnet.node.rpc("evm_mine"); // the request lands; the worker's answer will not
      const receipt = await pending.wait();
      const id = BigInt(receipt!.logs[0].topics[1]);
      const bump = await worker.waitForLog(
        (line) => line.msg === "gas bump: transaction not mined in time",
      );
      expect(bump.nonce).to.be.a("number");
      await devnet.node.rpc("evm_setAutomine", [true]);
      await devnet.node.rpc("evm_mine");
      await waitForStatus(devnet, [id], [RequestStatus.Submitted, RequestStatus.Settled]);
      const [submitted] = await devnet.hub.queryFilter(devnet.hub.filters.ResultSubmitted(id));
      // Bumped once a second while nothing was mined: the replacement that landed is one of ours.
      const replacements = worker.logs
        .filter((line) => line.msg === "gas bump: transaction not mined in time")
        .map((line) => line.replacement);
      expect(replacements).to.include(submitted.transactionHash);
      const tx = await devnet.provider.getTransaction(submitted.transactionHash);
      expect(tx!.nonce).to.equal(bump.nonce);
    } finally {
      await devnet.node.rpc("evm_setAutomine", [true]);
      await worker.stop();
    }
  });
});
