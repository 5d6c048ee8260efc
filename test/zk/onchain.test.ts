import { expect } from "chai";
import { network } from "hardhat";
import {
  Wallet,
  ZeroAddress,
  ZeroHash,
  getBytes,
  hexlify,
  keccak256,
  parseEther,
  sha256,
} from "ethers";
import {
  IZkModelVerifier__factory,
  InferenceHub__factory,
  ModelRegistry__factory,
  ProofMode,
  RequestStatus,
  ZkProofVerifier__factory,
  encodeTensor,
  parseRequestedEvent,
  proofModesMask,
  quantize,
} from "@verity/contracts";
import type { Request } from "@verity/contracts";
import { sampleModel } from "@verity/models";
import {
  ZkProver,
  checkZkCommitment,
  decodeZkProof,
  deployModelVerifier,
  deployZkModel,
  encodeZkProof,
} from "@verity/zk";
import type { ZkModelArtifacts } from "@verity/zk";
import VerityModule from "../../deploy/modules/Verity.js";
import { SETUP_TIMEOUT_MS, devArtifacts } from "./support.js";
import { tinyModelBytes } from "./tinyModel.js";

const { ethers, networkHelpers, ignition } = await network.create();
const model = sampleModel("credit-risk");
const ENVIRONMENT_ID = ZeroHash; // not read in ZK mode

/** The protocol through its Ignition module, which registers its ZkProofVerifier for ProofMode.ZK. */
async function deployZkHub() {
  const [admin, modelOwner, requester, relayer] = await ethers.getSigners();
  const verity = await ignition.deploy(VerityModule, {
    parameters: { Verity: { timelockMinDelaySeconds: 0n } },
  });
  const hub = InferenceHub__factory.connect(await verity.inferenceHub.getAddress(), admin);
  const models = ModelRegistry__factory.connect(await verity.modelRegistry.getAddress(), admin);
  const zkVerifier = ZkProofVerifier__factory.connect(
    await verity.zkProofVerifier.getAddress(),
    admin,
  );
  expect(await hub.proofVerifier(ProofMode.ZK)).to.equal(await zkVerifier.getAddress());
  return { admin, modelOwner, requester, relayer, hub, models, zkVerifier };
}

describe("ZK mode on-chain (real Groth16 proofs, credit-risk)", function () {
  this.timeout(SETUP_TIMEOUT_MS);

  let artifacts: ZkModelArtifacts;
  let prover: ZkProver;

  before(async function () {
    artifacts = await devArtifacts(model.bytes);
    prover = new ZkProver();
    await prover.load(artifacts);
  });

  after(async function () {
    await prover?.close();
  });

  async function deployFixture() {
    const { admin, modelOwner, requester, relayer, hub, models, zkVerifier } = await deployZkHub();
    await (
      await models.connect(modelOwner).registerModel(model.modelId, {
        uri: "file://models/credit-risk.onnx",
        inputShape: model.inputShape,
        outputShape: model.outputShape,
        decimals: model.decimals,
        feeWei: parseEther("0.001"),
        proofModes: proofModesMask(ProofMode.ZK),
        previousVersion: ZeroHash,
      })
    ).wait();
    const { verifier } = await deployZkModel(modelOwner, await models.getAddress(), artifacts);
    const chainId = (await ethers.provider.getNetwork()).chainId;
    const worker = Wallet.createRandom().address;
    return {
      admin,
      modelOwner,
      requester,
      relayer,
      hub,
      models,
      zkVerifier,
      verifier,
      chainId,
      worker,
    };
  }

  type Fixture = Awaited<ReturnType<typeof deployFixture>>;

  /** Requests a ZK inference on `features` (real values) and returns the request and its input. */
  async function requestZk(
    { hub, requester }: Fixture,
    seed = 1,
    assignee = ZeroAddress,
  ): Promise<{ request: Request; input: string }> {
    const input = encodeTensor(model.inputShape, quantize(model.sampleInput(seed), model.decimals));
    const deadline = BigInt(await networkHelpers.time.latest()) + 3600n;
    const tx = await hub
      .connect(requester)
      .requestInference(model.modelId, input, ProofMode.ZK, assignee, ZeroAddress, 0, deadline, {
        value: await hub.quote(model.modelId, 0),
      });
    const { request } = parseRequestedEvent((await tx.wait())!, hub);
    return { request, input };
  }

  async function proveFor(f: Fixture, request: Request, input: string, worker = f.worker) {
    return prover.prove(artifacts, {
      request,
      input: getBytes(input),
      worker,
      chainId: f.chainId,
      hub: await f.hub.getAddress(),
    });
  }

  it("binds the verifier in the registry: hashes match the artifacts and the contract", async function () {
    const f = await networkHelpers.loadFixture(deployFixture);
    await checkZkCommitment(await f.models.getAddress(), f.admin, artifacts);
    const onChain = IZkModelVerifier__factory.connect(f.verifier, f.admin);
    expect(await onChain.circuitHash()).to.equal(artifacts.circuitHash);
    expect(await onChain.insecureSetup()).to.equal(true);
    expect(await f.models.zkVerifierOf(model.modelId)).to.equal(f.verifier);
  });

  it("settles a valid proof at once and pays the worker named in the proof", async function () {
    const f = await networkHelpers.loadFixture(deployFixture);
    const { request, input } = await requestZk(f);
    const { output, proof, proveMs } = await proveFor(f, request, input);
    expect(proveMs).to.be.greaterThan(0);
    const tx = await f.hub.connect(f.relayer).submitResult(request, output, ENVIRONMENT_ID, proof);
    const receipt = (await tx.wait())!;
    expect(await f.hub.requestStatus(request.id)).to.equal(RequestStatus.Settled);
    expect(await f.hub.balanceOf(f.worker)).to.equal(request.workerRewardWei);
    expect(await f.hub.balanceOf(f.modelOwner.address)).to.equal(request.modelFeeWei);
    console.log(`      settle gas (credit-risk, commitment binding): ${receipt.gasUsed}`);
  });

  it("rejects a wrong output: re-encoded in the proof (ZkProofInvalid) or only submitted (ZkOutputMismatch)", async function () {
    const f = await networkHelpers.loadFixture(deployFixture);
    const { request, input } = await requestZk(f);
    const { output, proof } = await proveFor(f, request, input);
    const wrong = Uint8Array.from(output);
    wrong[wrong.length - 1] ^= 1;
    const forged = encodeZkProof({ ...decodeZkProof(proof), output: wrong });
    await expect(f.hub.submitResult(request, wrong, ENVIRONMENT_ID, forged))
      .to.be.revertedWithCustomError(f.zkVerifier, "ZkProofInvalid")
      .withArgs(request.id);
    await expect(f.hub.submitResult(request, wrong, ENVIRONMENT_ID, proof))
      .to.be.revertedWithCustomError(f.zkVerifier, "ZkOutputMismatch")
      .withArgs(request.id);
  });

  it("rejects a proof made for another input", async function () {
    const f = await networkHelpers.loadFixture(deployFixture);
    const { request, input } = await requestZk(f, 1);
    const { request: other, input: otherInput } = await requestZk(f, 2);
    const forOther = await proveFor(f, other, otherInput);
    // As proved: the other request's input bytes do not hash to this request's input.
    await expect(f.hub.submitResult(request, forOther.output, ENVIRONMENT_ID, forOther.proof))
      .to.be.revertedWithCustomError(f.zkVerifier, "ZkInputMismatch")
      .withArgs(request.id);
    // With this request's input bytes swapped in, the circuit's commitment and v no longer agree.
    const swapped = encodeZkProof({ ...decodeZkProof(forOther.proof), input });
    await expect(f.hub.submitResult(request, forOther.output, ENVIRONMENT_ID, swapped))
      .to.be.revertedWithCustomError(f.zkVerifier, "ZkProofInvalid")
      .withArgs(request.id);
  });

  it("rejects a proof replayed on another request with the same input", async function () {
    const f = await networkHelpers.loadFixture(deployFixture);
    const { request: first, input } = await requestZk(f, 1);
    const { request: second } = await requestZk(f, 1);
    expect(second.inputHash).to.equal(first.inputHash);
    const { output, proof } = await proveFor(f, first, input);
    await expect(f.hub.submitResult(second, output, ENVIRONMENT_ID, proof))
      .to.be.revertedWithCustomError(f.zkVerifier, "ZkProofInvalid")
      .withArgs(second.id);
    await (await f.hub.submitResult(first, output, ENVIRONMENT_ID, proof)).wait();
    expect(await f.hub.requestStatus(first.id)).to.equal(RequestStatus.Settled);
  });

  it("rejects a front-runner who names itself as the worker", async function () {
    const f = await networkHelpers.loadFixture(deployFixture);
    const { request, input } = await requestZk(f);
    const { output, proof } = await proveFor(f, request, input);
    const stolen = encodeZkProof({ ...decodeZkProof(proof), worker: f.relayer.address });
    await expect(f.hub.connect(f.relayer).submitResult(request, output, ENVIRONMENT_ID, stolen))
      .to.be.revertedWithCustomError(f.zkVerifier, "ZkProofInvalid")
      .withArgs(request.id);
  });

  it("rejects a proof for another hub or chain", async function () {
    const f = await networkHelpers.loadFixture(deployFixture);
    const { request, input } = await requestZk(f);
    const otherHub = await prover.prove(artifacts, {
      request,
      input: getBytes(input),
      worker: f.worker,
      chainId: f.chainId,
      hub: Wallet.createRandom().address,
    });
    await expect(f.hub.submitResult(request, otherHub.output, ENVIRONMENT_ID, otherHub.proof))
      .to.be.revertedWithCustomError(f.zkVerifier, "ZkProofInvalid")
      .withArgs(request.id);
  });

  it("cannot swap the verifier after requests were made: the commitment is set once", async function () {
    const f = await networkHelpers.loadFixture(deployFixture);
    const { request, input } = await requestZk(f);
    // Any other verifier contract: the owner cannot rebind the model once it has one.
    const swappedVerifier = await deployModelVerifier(f.modelOwner, artifacts);
    await expect(
      f.models.connect(f.modelOwner).setZkCommitment(model.modelId, {
        circuitHash: artifacts.circuitHash,
        verifyingKeyHash: keccak256("0x01"),
        verifier: swappedVerifier,
      }),
    )
      .to.be.revertedWithCustomError(f.models, "ZkCommitmentAlreadySet")
      .withArgs(model.modelId);
    expect(await f.models.zkVerifierOf(model.modelId)).to.equal(f.verifier);
    // The request still settles with the verifier it was made under.
    const { output, proof } = await proveFor(f, request, input);
    await (await f.hub.submitResult(request, output, ENVIRONMENT_ID, proof)).wait();
    expect(await f.hub.requestStatus(request.id)).to.equal(RequestStatus.Settled);
  });

  it("refuses ZK requests for a model whose verifier is not bound yet", async function () {
    const f = await networkHelpers.loadFixture(deployFixture);
    const modelId = keccak256("0x1234");
    await (
      await f.models.connect(f.modelOwner).registerModel(modelId, {
        uri: "file://models/unbound.onnx",
        inputShape: model.inputShape,
        outputShape: model.outputShape,
        decimals: 6,
        feeWei: 0n,
        proofModes: proofModesMask(ProofMode.ATTESTED, ProofMode.ZK),
        previousVersion: ZeroHash,
      })
    ).wait();
    const input = encodeTensor(model.inputShape, new Array<number>(16).fill(0));
    const deadline = BigInt(await networkHelpers.time.latest()) + 3600n;
    await expect(
      f.hub.requestInference(modelId, input, ProofMode.ZK, ZeroAddress, ZeroAddress, 0, deadline, {
        value: await f.hub.quote(modelId, 0),
      }),
    )
      .to.be.revertedWithCustomError(f.hub, "ProofModeNotAllowed")
      .withArgs(modelId, ProofMode.ZK);
  });

  it("lets only the assignee prove during its grace period", async function () {
    const f = await networkHelpers.loadFixture(deployFixture);
    const assignee = Wallet.createRandom().address;
    const { request, input } = await requestZk(f, 1, assignee);
    const intruder = await proveFor(f, request, input, f.worker);
    await expect(f.hub.submitResult(request, intruder.output, ENVIRONMENT_ID, intruder.proof))
      .to.be.revertedWithCustomError(f.zkVerifier, "ZkNotAssignee")
      .withArgs(request.id, f.worker, assignee);
    const assigned = await proveFor(f, request, input, assignee);
    await (
      await f.hub.submitResult(request, assigned.output, ENVIRONMENT_ID, assigned.proof)
    ).wait();
    expect(await f.hub.balanceOf(assignee)).to.equal(request.workerRewardWei);
  });

  it("answers exactly what the reference executor computes", async function () {
    const f = await networkHelpers.loadFixture(deployFixture);
    const { request, input } = await requestZk(f, 3);
    const { output, proof } = await proveFor(f, request, input);
    const payload = decodeZkProof(proof);
    expect(hexlify(payload.input)).to.equal(input);
    expect(hexlify(payload.output)).to.equal(hexlify(output));
    expect(payload.worker).to.equal(f.worker);
  });
});

describe("ZK mode on-chain, public-signal binding (tiny model)", function () {
  this.timeout(SETUP_TIMEOUT_MS);
  const bytes = tinyModelBytes();
  const modelId = sha256(bytes);
  let artifacts: ZkModelArtifacts;

  before(async function () {
    artifacts = await devArtifacts(bytes, { binding: "public" });
  });

  // A public-binding proof names no request and no worker: anyone who saw it in the mempool could
  // resubmit it naming themselves and take the reward. The registry refuses such a verifier.
  it("cannot be bound to a model: its proofs could be taken by a front-runner", async function () {
    const { modelOwner, models } = await deployZkHub();
    await (
      await models.connect(modelOwner).registerModel(modelId, {
        uri: "file://models/tiny.onnx",
        inputShape: [1, 2],
        outputShape: [1, 1],
        decimals: 6,
        feeWei: 0n,
        proofModes: proofModesMask(ProofMode.ZK),
        previousVersion: ZeroHash,
      })
    ).wait();
    expect(artifacts.publicSignals).to.equal(3);
    await expect(
      deployZkModel(modelOwner, await models.getAddress(), artifacts),
    ).to.be.revertedWithCustomError(models, "VerifierMismatch");
  });
});
