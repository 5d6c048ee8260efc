import { mkdtemp, stat, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import { expect } from "chai";
import { ZeroAddress, ZeroHash, parseEther, sha256 } from "ethers";
import {
  CallbackResult,
  FailureReason,
  failureOutput,
  GasBurnerConsumer__factory,
  ProofMode,
  RequestStatus,
  parseRequestedEvent,
  proofModesMask,
  type Request,
} from "@verity/contracts";
import {
  ACCOUNTS,
  spawnWorker,
  startDevnet,
  type Devnet,
  type WorkerProcess,
} from "@verity/devnet";
import { ONNX_IR_VERSION, ONNX_OPSET_VERSION, encodeOnnx } from "@verity/models";
import { SETTLED, journalEntries, sampleHealth, sampleInput, waitForStatus } from "./support.js";

/** 2^20 int32 values: a 4 MiB tensor, whose calldata alone is about four times the gas cap. */
const BIG_OUTPUT_ELEMENTS = 1 << 20;

/** A model that tiles its 16 inputs into a [1, 2^20] output: tiny to ship, huge to answer. */
async function registerBigOutputModel(devnet: Devnet): Promise<string> {
  const bytes = encodeOnnx({
    name: "tile to 4 MiB",
    irVersion: ONNX_IR_VERSION,
    opsetVersion: ONNX_OPSET_VERSION,
    inputs: [{ name: "input", shape: [1, 16] }],
    outputs: [{ name: "output", shape: [1, BIG_OUTPUT_ELEMENTS] }],
    initializers: [
      {
        name: "repeats",
        dims: [2],
        data: Float32Array.from([1, BIG_OUTPUT_ELEMENTS / 16]),
        dataType: "int64",
      },
    ],
    nodes: [
      {
        opType: "Tile",
        name: "tile",
        inputs: ["input", "repeats"],
        outputs: ["output"],
        attributes: {},
      },
    ],
  });
  const path = join(await mkdtemp(join(tmpdir(), "verity-big-model-")), "big.onnx");
  await writeFile(path, bytes);
  const modelId = sha256(bytes);
  const registry = devnet.modelRegistry.connect(devnet.signer(ACCOUNTS.modelOwner));
  await (
    await registry.registerModel(modelId, {
      uri: pathToFileURL(path).href,
      inputShape: [1, 16],
      outputShape: [1, BIG_OUTPUT_ELEMENTS],
      decimals: 6,
      feeWei: parseEther("0.001"),
      proofModes: proofModesMask(ProofMode.ATTESTED),
      previousVersion: ZeroHash,
    })
  ).wait();
  return modelId;
}

interface Spec {
  modelId: string;
  input: string;
  callback?: string;
  callbackGasLimit?: number;
}

/**
 * Puts every request in one block, so the worker sees them in one poll and answers them in one
 * batch: a hostile request then shares its transaction with the honest ones.
 */
async function requestInOneBlock(devnet: Devnet, specs: Spec[]): Promise<Request[]> {
  const hub = devnet.hub.connect(devnet.signer(ACCOUNTS.requester));
  const now = (await devnet.provider.getBlock("latest"))!.timestamp;
  await devnet.node.rpc("evm_setAutomine", [false]);
  try {
    const sent = [];
    for (const spec of specs) {
      const limit = spec.callbackGasLimit ?? 0;
      sent.push(
        await hub.requestInference(
          spec.modelId,
          spec.input,
          ProofMode.ATTESTED,
          ZeroAddress,
          spec.callback ?? ZeroAddress,
          limit,
          now + 120,
          { value: await hub.quote(spec.modelId, limit), gasLimit: 1_000_000 },
        ),
      );
    }
    await devnet.node.rpc("evm_setAutomine", [true]);
    await devnet.node.rpc("evm_mine");
    const receipts = await Promise.all(sent.map((tx) => tx.wait()));
    expect(new Set(receipts.map((r) => r!.blockNumber)).size).to.equal(1);
    return receipts.map((receipt) => parseRequestedEvent(receipt!, hub).request);
  } finally {
    await devnet.node.rpc("evm_setAutomine", [true]);
  }
}

describe("worker against hostile requests", function () {
  this.timeout(180_000);
  let devnet: Devnet;
  let worker: WorkerProcess;
  let burner: string;
  let bigModel: string;

  before(async () => {
    devnet = await startDevnet({ assignmentGraceSeconds: 2, models: ["credit-risk"] });
    const consumer = await new GasBurnerConsumer__factory(devnet.signer(ACCOUNTS.admin)).deploy();
    burner = await consumer.getAddress();
    bigModel = await registerBigOutputModel(devnet);
    worker = await spawnWorker(devnet, { settings: { pollIntervalMs: 25 } });
    await worker.httpUrl();
  });

  after(async () => {
    await worker?.stop("SIGKILL");
    await devnet?.stop();
  });

  // More callback gas than a transaction can forward would leave neither answer nor refund able to
  // land, stranding the escrow: the hub refuses such a request outright.
  it("cannot be sent a request whose callback no transaction could carry", async () => {
    const hub = devnet.hub.connect(devnet.signer(ACCOUNTS.requester));
    const creditRisk = devnet.models["credit-risk"].modelId;
    const limit = 17_000_000;
    const now = (await devnet.provider.getBlock("latest"))!.timestamp;
    await expect(
      hub.requestInference.staticCall(
        creditRisk,
        sampleInput("credit-risk", 6),
        ProofMode.ATTESTED,
        ZeroAddress,
        burner,
        limit,
        now + 120,
        { value: await hub.quote(creditRisk, limit) },
      ),
    )
      .to.be.revertedWithCustomError(hub, "CallbackGasLimitTooHigh")
      .withArgs(limit, await hub.MAX_CALLBACK_GAS_LIMIT());
  });

  it("drops what no transaction can carry, and settles everything sent alongside on time", async () => {
    const health = sampleHealth(await worker.httpUrl());
    const creditRisk = devnet.models["credit-risk"].modelId;
    const honest = (seed: number): Spec => ({
      modelId: creditRisk,
      input: sampleInput("credit-risk", seed),
    });
    const specs: Spec[] = [
      honest(1),
      // Burns all the gas it is given: nodes that refuse to estimate that must not stall anyone.
      { ...honest(2), callback: burner, callbackGasLimit: 1_000_000 },
      honest(3),
      // Its answer is 4 MiB: four times what the gas cap lets a transaction carry.
      { modelId: bigModel, input: sampleInput("credit-risk", 4) },
      honest(5),
      honest(7),
    ];
    const startedMs = Date.now();
    const requests = await requestInOneBlock(devnet, specs);
    const [first, burning, third, big, fifth, seventh] = requests;
    const others = [first, third, fifth, seventh];

    await waitForStatus(
      devnet,
      [...others, burning].map((r) => r.id),
      SETTLED,
      20_000,
    );
    const settledWithinMs = Date.now() - startedMs;
    for (const req of others) {
      const [settled] = await devnet.hub.queryFilter(devnet.hub.filters.RequestSettled(req.id));
      const block = await devnet.provider.getBlock(settled.blockNumber);
      expect(block!.timestamp, `request ${req.id} settled before its deadline`).to.be.at.most(
        Number(req.deadline),
      );
    }
    // The hub contains the burner: its callback ran out of gas, the request settled anyway.
    const [burnt] = await devnet.hub.queryFilter(devnet.hub.filters.RequestSettled(burning.id));
    expect(Number(burnt.args.callbackResult)).to.equal(CallbackResult.OutOfGas);

    // The oversized answer was never sent: it was reported as too large, so its requester was
    // refunded at once, and the journal holds the reason, not the output.
    await waitForStatus(devnet, [big.id], [RequestStatus.Failed], 20_000);
    const [failed] = await devnet.hub.queryFilter(devnet.hub.filters.RequestFailed(big.id));
    expect(Number(failed.args.reason)).to.equal(FailureReason.OutputTooLarge);
    const journaled = (await journalEntries(worker.dataDir)).get(String(big.id))!;
    // At most the two-byte failure output the hub logged, never the answer itself.
    expect(journaled.output).to.be.oneOf([undefined, failureOutput(FailureReason.OutputTooLarge)]);
    expect(String(journaled.note)).to.match(/gas/);
    expect((await stat(join(worker.dataDir, "journal.jsonl"))).size).to.be.below(256 * 1024);
    const reported = worker.logs.filter((line) => line.reason === "OutputTooLarge");
    expect(reported.map((line) => line.requestId)).to.include.members([String(big.id)]);

    await health.stop();
    expect(health.statuses.length, "/healthz samples").to.be.greaterThan(0);
    expect(
      health.statuses.filter((status) => status !== 200),
      "/healthz answers that were not 200",
    ).to.deep.equal([]);
    expect(worker.logs.filter((line) => line.msg === "tick failed; retrying")).to.deep.equal([]);
    console.log(
      `      honest requests and the burner settled ${settledWithinMs} ms after their block`,
    );
  });
});
