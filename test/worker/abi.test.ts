import { expect } from "chai";
import { AbiCoder, Wallet, ZeroAddress, hexlify, keccak256, randomBytes } from "ethers";
import type { ProofMode } from "@verity/contracts";
import { InferenceHub__factory, type Request } from "@verity/contracts";
import {
  TOPICS,
  decodeHubEvent,
  decodeRequested,
  encodeSubmitResult,
  encodeSubmitResults,
  hashRequest,
} from "../../packages/worker/src/abi.js";

const hub = InferenceHub__factory.createInterface();

function randomRequest(seed: number): Request {
  const address = () => Wallet.createRandom().address;
  const uint = (bytes: number) => BigInt(hexlify(randomBytes(bytes)));
  return {
    id: BigInt(seed),
    requester: address(),
    callback: seed % 2 ? ZeroAddress : address(),
    modelOwner: address(),
    assignee: seed % 3 ? ZeroAddress : address(),
    modelId: hexlify(randomBytes(32)),
    inputHash: hexlify(randomBytes(32)),
    modelFeeWei: uint(12),
    workerRewardWei: uint(12),
    callbackFeeWei: uint(12),
    assignedUntil: uint(8),
    deadline: uint(8),
    callbackGasLimit: uint(4),
    challengeWindowSeconds: uint(4),
    proofMode: (seed % 3) as ProofMode,
    zkVerifier: seed % 2 ? ZeroAddress : address(),
  };
}

const item = (seed: number) => ({
  request: randomRequest(seed),
  output: hexlify(randomBytes(3 + ((seed * 37) % 90))),
  environmentId: hexlify(randomBytes(32)),
  signature: hexlify(randomBytes(65)),
});

describe("worker hot-path ABI coding equals ethers'", () => {
  it("hashRequest", () => {
    for (let seed = 0; seed < 20; seed++) {
      const request = randomRequest(seed);
      const requestType = hub.getFunction("hashRequest")!.inputs[0];
      expect(hashRequest(request)).to.equal(
        keccak256(AbiCoder.defaultAbiCoder().encode([requestType], [request])),
      );
    }
  });

  it("submitResult and submitResults calldata, for outputs of every length modulo 32", () => {
    for (let seed = 0; seed < 40; seed++) {
      const one = item(seed);
      expect(encodeSubmitResult(one)).to.equal(
        hub.encodeFunctionData("submitResult", [
          one.request,
          one.output,
          one.environmentId,
          one.signature,
        ]),
      );
    }
    for (const size of [1, 2, 7, 32]) {
      const batch = Array.from({ length: size }, (_, i) => item(i * 11 + size));
      expect(encodeSubmitResults(batch)).to.equal(hub.encodeFunctionData("submitResults", [batch]));
    }
  });

  it("decodes InferenceRequested and the settlement events as ethers does", () => {
    const request = randomRequest(5);
    const input = hexlify(randomBytes(67));
    const requested = hub.encodeEventLog("InferenceRequested", [
      request.id,
      request.modelId,
      request.requester,
      request,
      input,
    ]);
    const decoded = decodeRequested({ address: ZeroAddress, ...requested });
    expect(decoded.input).to.equal(input);
    expect(hashRequest(decoded.request)).to.equal(hashRequest(request));
    expect(decoded.request.assignee.toLowerCase()).to.equal(request.assignee.toLowerCase());

    const worker = Wallet.createRandom().address;
    const submitted = hub.encodeEventLog("ResultSubmitted", [
      9n,
      worker,
      hexlify(randomBytes(32)),
      hexlify(randomBytes(32)),
      123n,
      input,
    ]);
    const event = decodeHubEvent({ address: ZeroAddress, ...submitted });
    expect(event).to.include({
      name: "ResultSubmitted",
      requestId: 9n,
      worker: worker.toLowerCase(),
      finalizableAt: 123n,
    });
    const failed = hub.encodeEventLog("RequestFailed", [4n, worker, 2, 0]);
    expect(decodeHubEvent({ address: ZeroAddress, ...failed })).to.deep.equal({
      name: "RequestFailed",
      requestId: 4n,
      worker: worker.toLowerCase(),
      reason: 2,
    });
    const skipped = hub.encodeEventLog("ResultSkipped", [4n, 4]);
    expect(decodeHubEvent({ address: ZeroAddress, ...skipped })).to.deep.equal({
      name: "ResultSkipped",
      requestId: 4n,
      status: 4,
    });
    expect(submitted.topics[0]).to.equal(TOPICS.ResultSubmitted);
  });
});
