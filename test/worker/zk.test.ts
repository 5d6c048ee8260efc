import { expect } from "chai";
import { ProofMode, RequestStatus, decodeTensor, encodeTensor } from "@verity/contracts";
import { spawnWorker, startDevnet, type Devnet, type WorkerProcess } from "@verity/devnet";
import { sampleModel } from "@verity/models";
import { compileOnnx, execute } from "@verity/zk";
import { CACHE_DIR, SETUP_TIMEOUT_MS } from "../zk/support.js";
import {
  eventCounts,
  expectedOutput,
  request,
  requestAll,
  sampleInput,
  settledOutput,
  waitForStatus,
} from "./support.js";

const MODEL = sampleModel("credit-risk");

describe("worker in ZK mode (real Groth16 proofs, verified by the hub)", function () {
  this.timeout(SETUP_TIMEOUT_MS);
  let devnet: Devnet;
  let worker: WorkerProcess;

  before(async () => {
    // The devnet builds credit-risk's circuit (cached in .cache/zk), binds its verifier in the
    // registry and hands the worker its artifacts directory.
    devnet = await startDevnet({
      models: ["credit-risk"],
      zkModels: ["credit-risk"],
      zkArtifactsDir: CACHE_DIR,
    });
    worker = await spawnWorker(devnet, { settings: { pollIntervalMs: 25 } });
    await worker.httpUrl();
  });

  after(async () => {
    await worker?.stop();
    await devnet?.stop();
  });

  it("proves a ZK request; the hub checks the proof and settles it at once with the circuit's output", async () => {
    const input = sampleInput("credit-risk", 800);
    const req = await request(devnet, "credit-risk", input, {
      modelId: MODEL.modelId,
      proofMode: ProofMode.ZK,
    });
    await waitForStatus(devnet, [req.id], [RequestStatus.Settled], 120_000);
    const counts = await eventCounts(devnet, req.id);
    expect(counts.RequestSettled).to.equal(1);
    const [submitted] = await devnet.hub.queryFilter(devnet.hub.filters.ResultSubmitted(req.id));
    expect(submitted.args.worker).to.equal(worker.address);
    // Fixed-point circuit arithmetic against the float64 reference: a few units of 10^-6 apart.
    const output = decodeTensor(await settledOutput(devnet, req.id)).values;
    const expected = expectedOutput("credit-risk", decodeTensor(input).values);
    output.forEach((value, i) => expect(Math.abs(value - expected[i])).to.be.at.most(20));
    const metrics = await (await fetch(`${await worker.httpUrl()}/metrics`)).text();
    expect(metrics).to.match(/verity_worker_zk_prove_seconds_count 1/);
  });

  // One worker's word must not fail a ZK request (it could veto the proof that decides it), so an
  // input it cannot prove is left to the deadline, when the worker refunds it.
  it("neither proves nor reports an undecodable ZK input, and refunds it after its deadline", async () => {
    const values = Array.from({ length: 16 }, () => 0);
    const good = encodeTensor(MODEL.inputShape, values);
    const undecodable = `0x09${good.slice(4)}`;
    const req = await request(devnet, "credit-risk", undecodable, {
      modelId: MODEL.modelId,
      proofMode: ProofMode.ZK,
      deadlineSeconds: 60,
    });
    await devnet.node.rpc("evm_increaseTime", [61]);
    await devnet.node.rpc("evm_mine");
    await waitForStatus(devnet, [req.id], [RequestStatus.Refunded], 60_000);
    expect(await devnet.hub.queryFilter(devnet.hub.filters.RequestFailed(req.id))).to.have.length(
      0,
    );
    expect(await devnet.hub.queryFilter(devnet.hub.filters.ResultSubmitted(req.id))).to.have.length(
      0,
    );
  });
});

describe("worker on a model with a ZK commitment, in ATTESTED mode", function () {
  this.timeout(SETUP_TIMEOUT_MS);

  it("answers with the circuit's arithmetic, the output a ZK dispute would decide", async () => {
    const devnet = await startDevnet({
      models: ["credit-risk"],
      zkModels: ["credit-risk"],
      zkArtifactsDir: CACHE_DIR,
    });
    const worker = await spawnWorker(devnet, { settings: { pollIntervalMs: 25 } });
    try {
      await worker.httpUrl();
      // Seeds where the float forward pass and the circuit round differently, so answering with
      // onnxruntime would fail this test.
      const inputs = [903, 904, 907].map((seed) => sampleInput("credit-risk", seed));
      const requests = await requestAll(devnet, "credit-risk", inputs, { modelId: MODEL.modelId });
      await waitForStatus(
        devnet,
        requests.map((r) => r.id),
        [RequestStatus.Settled],
      );
      const program = compileOnnx(MODEL.graph, MODEL.decimals);
      let floatDiffers = 0;
      for (const [i, req] of requests.entries()) {
        const values = decodeTensor(inputs[i]).values;
        const circuit = execute(program, values).output.map(Number);
        expect(decodeTensor(await settledOutput(devnet, req.id)).values).to.deep.equal(circuit);
        if (expectedOutput("credit-risk", values)[0] !== circuit[0]) floatDiffers++;
      }
      expect(floatDiffers).to.be.greaterThan(0);
    } finally {
      await worker.stop();
      await devnet.stop();
    }
  });
});
