import { expect } from "chai";
import { Wallet, ZeroAddress, getBytes, keccak256 } from "ethers";
import {
  MalformedTensorError,
  ProofMode,
  decodeTensor,
  encodeTensor,
  quantize,
} from "@verity/contracts";
import type { Request } from "@verity/contracts";
import { sampleModel } from "@verity/models";
import {
  ZkInputError,
  ZkProver,
  ZkRangeError,
  compileOnnx,
  decodeZkProof,
  execute,
} from "@verity/zk";
import type { ZkModelArtifacts } from "@verity/zk";
import { SETUP_TIMEOUT_MS, devArtifacts, expectRejection } from "./support.js";

const model = sampleModel("credit-risk");

/** A request as the hub would commit to it, for the given input bytes. */
function requestFor(input: string, modelId = model.modelId): Request {
  return {
    id: 9n,
    requester: Wallet.createRandom().address,
    callback: Wallet.createRandom().address,
    modelOwner: Wallet.createRandom().address,
    assignee: Wallet.createRandom().address,
    modelId,
    inputHash: keccak256(input),
    modelFeeWei: 0n,
    workerRewardWei: 0n,
    callbackFeeWei: 0n,
    assignedUntil: 0n,
    deadline: 0n,
    callbackGasLimit: 0n,
    challengeWindowSeconds: 0n,
    proofMode: ProofMode.ZK,
    zkVerifier: ZeroAddress,
  };
}

describe("ZK prover (worker thread)", function () {
  this.timeout(SETUP_TIMEOUT_MS);
  let artifacts: ZkModelArtifacts;
  let prover: ZkProver;
  const context = {
    worker: Wallet.createRandom().address,
    chainId: 31337n,
    hub: Wallet.createRandom().address,
  };

  before(async function () {
    artifacts = await devArtifacts(model.bytes);
    prover = new ZkProver({ threads: 2 });
  });

  after(async function () {
    await prover.close();
  });

  it("proves the reference executor's output, with timings; the second proof is warm", async function () {
    const x = quantize(model.sampleInput(4), model.decimals);
    const input = encodeTensor(model.inputShape, x);
    const first = await prover.prove(artifacts, {
      request: requestFor(input),
      input: getBytes(input),
      ...context,
    });
    const expected = execute(compileOnnx(model.graph, model.decimals), x).output.map(Number);
    expect(decodeTensor(first.output)).to.deep.equal({
      shape: model.outputShape,
      values: expected,
    });
    expect(first.proveMs).to.be.greaterThan(0);
    expect(first.groth16Ms).to.be.greaterThan(0);
    const second = await prover.prove(artifacts, {
      request: requestFor(input),
      input: getBytes(input),
      ...context,
    });
    expect(second.loadMs).to.be.below(5);
    expect(decodeZkProof(second.proof).worker).to.equal(context.worker);
  });

  it("does not block the event loop while proving", async function () {
    const input = encodeTensor(model.inputShape, quantize(model.sampleInput(5), model.decimals));
    let ticks = 0;
    const timer = setInterval(() => ticks++, 5);
    await prover.prove(artifacts, {
      request: requestFor(input),
      input: getBytes(input),
      ...context,
    });
    clearInterval(timer);
    expect(ticks).to.be.greaterThan(3);
  });

  it("refuses inputs it cannot prove, with errors a worker can map to failure reasons", async function () {
    const good = encodeTensor(model.inputShape, new Array(16).fill(0));
    const prove = (input: string, request = requestFor(input)) =>
      prover.prove(artifacts, { request, input: getBytes(input), ...context });

    const wrongShape = encodeTensor([1, 15], new Array(15).fill(0));
    await expectRejection(
      prove(wrongShape),
      ZkInputError,
      /shape \[1,15\]; the model takes \[1,16\]/,
    );
    await expectRejection(prove("0x0101"), MalformedTensorError, /header/);
    await expectRejection(
      prove(good, requestFor(wrongShape)),
      ZkInputError,
      /do not hash to the request's inputHash/,
    );
    await expectRejection(
      prove(good, requestFor(good, keccak256("0x01"))),
      ZkInputError,
      /request is for model/,
    );
    const overflow = encodeTensor(model.inputShape, new Array(16).fill(2 ** 31 - 1));
    await expectRejection(prove(overflow), ZkRangeError, /outside int32/);
  });

  it("restarts its thread after close()", async function () {
    const local = new ZkProver({ threads: 1 });
    const input = encodeTensor(model.inputShape, quantize(model.sampleInput(6), model.decimals));
    const job = { request: requestFor(input), input: getBytes(input), ...context };
    const before = await local.prove(artifacts, job);
    await local.close();
    const after = await local.prove(artifacts, job);
    expect(after.output).to.deep.equal(before.output);
    await local.close();
  });
});
