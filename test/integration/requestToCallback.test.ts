import { expect } from "chai";
import { network } from "hardhat";
import {
  Wallet,
  ZeroAddress,
  ZeroHash,
  id,
  keccak256,
  parseEther,
  sha256,
  solidityPacked,
  toUtf8Bytes,
} from "ethers";
import {
  CallbackResult,
  CreditLine__factory,
  FailureReason,
  InferenceHub__factory,
  MalformedTensorError,
  ModelRegistry__factory,
  ProofMode,
  RequestStatus,
  WorkerRegistry__factory,
  decodeTensor,
  encodeTensor,
  encodedTensorLength,
  executeThroughTimelock,
  parseRequestedEvent,
  parseSubmittedEvent,
  proofModesMask,
  recoverResultSigner,
  resultFields,
  signResult,
} from "@verity/contracts";
import type { CreditLine, InferenceHub, Request } from "@verity/contracts";
import { CreditLineOnHubModule } from "../../deploy/modules/CreditLine.js";
import VerityModule from "../../deploy/modules/Verity.js";

const { ethers, networkHelpers, ignition } = await network.create();

const MODEL_FEE = parseEther("0.001");
const DECIMALS = 6;
const ONE = 10n ** BigInt(DECIMALS);
const MAX_LIMIT = parseEther("10");
const MAX_DEFAULT_PROBABILITY = 200_000n; // 0.2
const MODEL_ID = sha256(toUtf8Bytes("risk model v1: stand-in for the ONNX file's bytes"));
const ENVIRONMENT_ID = id("verity-worker/0.1.0 onnxruntime/1.30 node/22 cpu threads=1");

/** Deploys through the Ignition modules, then registers a model, an environment and a worker. */
async function deployFixture() {
  const [admin, modelOwner, borrower, relayer] = await ethers.getSigners();
  const verity = await ignition.deploy(VerityModule, {
    parameters: { Verity: { timelockMinDelaySeconds: 0n } },
  });
  const timelock = await verity.timelock.getAddress();
  const hubAddress = await verity.inferenceHub.getAddress();
  const hub = InferenceHub__factory.connect(hubAddress, admin);
  const models = ModelRegistry__factory.connect(await verity.modelRegistry.getAddress(), admin);
  const workers = WorkerRegistry__factory.connect(await verity.workerRegistry.getAddress(), admin);

  await models.connect(modelOwner).registerModel(MODEL_ID, {
    uri: "file://models/risk-v1.onnx",
    inputShape: [1, 16],
    outputShape: [1, 1],
    decimals: DECIMALS,
    feeWei: MODEL_FEE,
    proofModes: proofModesMask(ProofMode.ATTESTED),
    previousVersion: ZeroHash,
  });
  await executeThroughTimelock(timelock, admin, workers, "approveEnvironment", [
    ENVIRONMENT_ID,
    "integration test environment",
  ]);

  // The worker signs locally with its own key, as the worker service does.
  const worker = Wallet.createRandom().connect(ethers.provider);
  await networkHelpers.setBalance(worker.address, parseEther("10"));
  await (await workers.connect(worker).register(ENVIRONMENT_ID, { value: parseEther("1") })).wait();

  const { creditLine: deployedCreditLine } = await ignition.deploy(CreditLineOnHubModule, {
    parameters: {
      CreditLineOnHub: {
        hub: hubAddress,
        riskModelId: MODEL_ID,
        decimals: BigInt(DECIMALS),
        maxLimitWei: MAX_LIMIT,
        maxDefaultProbability: MAX_DEFAULT_PROBABILITY,
      },
    },
  });
  const creditLine = CreditLine__factory.connect(await deployedCreditLine.getAddress(), borrower);
  const chainId = (await ethers.provider.getNetwork()).chainId;
  return {
    timelock,
    admin,
    modelOwner,
    borrower,
    relayer,
    worker,
    hub,
    models,
    workers,
    creditLine,
    chainId,
  };
}

/** 16 borrower features at 6 decimals. */
const features = encodeTensor(
  [1, 16],
  Array.from({ length: 16 }, (_, i) => (i - 8) * 125_000),
);

/** The borrower applies; returns the request as the worker sees it in the hub's event. */
async function apply(
  creditLine: CreditLine,
  hub: InferenceHub,
  deadlineInSeconds = 3600,
): Promise<{ request: Request; input: string; payment: bigint }> {
  const payment = await hub.quote(MODEL_ID, await creditLine.CALLBACK_GAS_LIMIT());
  const deadline = BigInt(await networkHelpers.time.latest()) + BigInt(deadlineInSeconds);
  const tx = await creditLine.applyForCredit(features, ZeroAddress, deadline, { value: payment });
  const receipt = await tx.wait();
  if (receipt === null) throw new Error("applyForCredit: no receipt");
  const { request, input } = parseRequestedEvent(receipt, hub);
  return { request, input, payment };
}

/** The credit limit CreditLine grants for a default probability (fixed-point). */
function expectedLimit(defaultProbability: bigint): bigint {
  return defaultProbability > MAX_DEFAULT_PROBABILITY
    ? 0n
    : (MAX_LIMIT * (ONE - defaultProbability)) / ONE;
}

describe("request to callback (ATTESTED, CreditLine)", function () {
  it("settles in the submitting transaction with a zero challenge window and pays everyone", async function () {
    const { borrower, relayer, worker, hub, creditLine, modelOwner, chainId } =
      await networkHelpers.loadFixture(deployFixture);
    const creditLineAddress = await creditLine.getAddress();

    const { request, input, payment } = await apply(creditLine, hub);
    expect(input).to.equal(features);
    expect(request.requester).to.equal(creditLineAddress);
    expect(request.callback).to.equal(creditLineAddress);
    expect(request.modelOwner).to.equal(modelOwner.address);
    expect(request.inputHash).to.equal(keccak256(features));
    expect(request.proofMode).to.equal(ProofMode.ATTESTED);
    expect(request.challengeWindowSeconds).to.equal(0n);
    expect(await creditLine.pendingApplication(borrower.address)).to.equal(request.id);
    const config = await hub.config();
    expect(payment).to.equal(
      config.protocolFeeWei +
        request.modelFeeWei +
        request.workerRewardWei +
        request.callbackFeeWei,
    );

    // The worker: decode and check the input against the model, "run" it, sign.
    expect(decodeTensor(input).shape).to.deep.equal([1, 16]);
    const defaultProbability = 50_000n; // 0.05
    const output = encodeTensor([1, 1], [defaultProbability]);
    const fields = resultFields(request, output, ENVIRONMENT_ID);
    const signature = await signResult(worker, hub, chainId, fields);
    expect(recoverResultSigner(await hub.getAddress(), chainId, fields, signature)).to.equal(
      worker.address,
    );

    // Anyone may carry the signed result; the relayer earns the callback fee.
    const submit = hub.connect(relayer).submitResult(request, output, ENVIRONMENT_ID, signature);
    await expect(submit)
      .to.emit(creditLine, "CreditDecided")
      .withArgs(
        borrower.address,
        request.id,
        defaultProbability,
        expectedLimit(defaultProbability),
      );
    await expect(submit)
      .to.emit(hub, "RequestSettled")
      .withArgs(request.id, worker.address, keccak256(output), CallbackResult.Succeeded);

    expect(await hub.requestStatus(request.id)).to.equal(RequestStatus.Settled);
    expect(await creditLine.creditLimitWei(borrower.address)).to.equal(parseEther("9.5"));
    expect(await creditLine.pendingApplication(borrower.address)).to.equal(0n);
    expect(await hub.balanceOf(worker.address)).to.equal(request.workerRewardWei);
    expect(await hub.balanceOf(modelOwner.address)).to.equal(MODEL_FEE);
    expect(await hub.balanceOf(relayer.address)).to.equal(request.callbackFeeWei);
    expect(await hub.protocolFeesWei()).to.equal(config.protocolFeeWei);

    // Pull payments: the worker withdraws its reward to a fresh address.
    const payee = Wallet.createRandom().address;
    await expect(hub.connect(worker).withdraw(payee))
      .to.emit(hub, "Withdrawn")
      .withArgs(worker.address, payee, request.workerRewardWei);
    expect(await ethers.provider.getBalance(payee)).to.equal(request.workerRewardWei);
    expect(await hub.balanceOf(worker.address)).to.equal(0n);
    await expect(hub.connect(worker).withdraw(payee)).to.be.revertedWithCustomError(
      hub,
      "NothingToWithdraw",
    );
    await expect(hub.connect(modelOwner).withdraw(modelOwner.address)).to.changeEtherBalance(
      ethers,
      modelOwner,
      MODEL_FEE,
      { includeFee: false },
    );
  });

  it("with a challenge window, finalizes only after it closes", async function () {
    const { timelock, admin, borrower, relayer, worker, hub, creditLine, chainId } =
      await networkHelpers.loadFixture(deployFixture);
    const challengeWindowSeconds = 3600;
    const config = await hub.config();
    await executeThroughTimelock(timelock, admin, hub, "setConfig", [
      {
        protocolFeeWei: config.protocolFeeWei,
        minWorkerRewardWei: config.minWorkerRewardWei,
        callbackGasPriceWei: config.callbackGasPriceWei,
        assignmentGraceSeconds: config.assignmentGraceSeconds,
        challengeWindowSeconds,
        maxDeadlineSeconds: config.maxDeadlineSeconds,
      },
    ]);

    const { request } = await apply(creditLine, hub);
    expect(request.challengeWindowSeconds).to.equal(BigInt(challengeWindowSeconds));
    const defaultProbability = 300_000n; // 0.3: above the threshold, declined
    const output = encodeTensor([1, 1], [defaultProbability]);
    const signature = await signResult(
      worker,
      hub,
      chainId,
      resultFields(request, output, ENVIRONMENT_ID),
    );
    const submitted = await (
      await hub.connect(relayer).submitResult(request, output, ENVIRONMENT_ID, signature)
    ).wait();
    if (submitted === null) throw new Error("submitResult: no receipt");
    const { submission, output: emittedOutput } = parseSubmittedEvent(submitted, hub);
    expect(emittedOutput).to.equal(output);
    expect(submission.worker).to.equal(worker.address);
    expect(await hub.requestStatus(request.id)).to.equal(RequestStatus.Submitted);
    expect(await hub.balanceOf(worker.address)).to.equal(0n);

    await expect(hub.connect(relayer).finalize(request, submission, output))
      .to.be.revertedWithCustomError(hub, "ChallengeWindowOpen")
      .withArgs(request.id, submission.finalizableAt);

    await networkHelpers.time.increaseTo(submission.finalizableAt);
    const finalize = hub.connect(relayer).finalize(request, submission, output);
    await expect(finalize)
      .to.emit(creditLine, "CreditDecided")
      .withArgs(borrower.address, request.id, defaultProbability, 0n);
    await expect(finalize)
      .to.emit(hub, "RequestSettled")
      .withArgs(request.id, worker.address, keccak256(output), CallbackResult.Succeeded);
    expect(await hub.requestStatus(request.id)).to.equal(RequestStatus.Settled);
    expect(await hub.balanceOf(worker.address)).to.equal(request.workerRewardWei);
    expect(await hub.balanceOf(relayer.address)).to.equal(request.callbackFeeWei);
  });

  it("refunds after the deadline, and the borrower claims the refund from CreditLine", async function () {
    const { borrower, relayer, worker, hub, creditLine, chainId } =
      await networkHelpers.loadFixture(deployFixture);
    const creditLineAddress = await creditLine.getAddress();
    const { request } = await apply(creditLine, hub, 120);

    await expect(hub.connect(relayer).refund(request))
      .to.be.revertedWithCustomError(hub, "RequestNotExpired")
      .withArgs(request.id, request.deadline);
    await networkHelpers.time.increaseTo(request.deadline + 1n);

    // Too late for the worker now.
    const output = encodeTensor([1, 1], [10_000]);
    const signature = await signResult(
      worker,
      hub,
      chainId,
      resultFields(request, output, ENVIRONMENT_ID),
    );
    await expect(hub.submitResult(request, output, ENVIRONMENT_ID, signature))
      .to.be.revertedWithCustomError(hub, "RequestExpired")
      .withArgs(request.id, request.deadline);

    // The hub keeps the protocol fee and pays the callback fee to whoever runs the refund.
    const refundWei = request.modelFeeWei + request.workerRewardWei;
    const refund = hub.connect(relayer).refund(request);
    await expect(refund)
      .to.emit(hub, "RequestRefunded")
      .withArgs(request.id, creditLineAddress, refundWei, CallbackResult.Succeeded);
    await expect(refund)
      .to.emit(creditLine, "CreditApplicationFailed")
      .withArgs(borrower.address, request.id, FailureReason.None);
    expect(await hub.requestStatus(request.id)).to.equal(RequestStatus.Refunded);
    expect(await hub.balanceOf(creditLineAddress)).to.equal(refundWei);
    expect(await hub.balanceOf(relayer.address)).to.equal(request.callbackFeeWei);
    expect(await creditLine.pendingApplication(borrower.address)).to.equal(0n);

    expect(await creditLine.refundsWei(borrower.address)).to.equal(refundWei);
    await expect(creditLine.claimRefund()).to.changeEtherBalance(ethers, borrower, refundWei, {
      includeFee: false,
    });
    expect(await creditLine.refundsWei(borrower.address)).to.equal(0n);
    expect(await hub.balanceOf(creditLineAddress)).to.equal(0n);
    await expect(creditLine.claimRefund()).to.be.revertedWithCustomError(
      creditLine,
      "NothingToClaim",
    );
  });
});

describe("tensor codec (TypeScript side of TensorCodec.sol)", function () {
  it("round-trips and matches the Solidity layout byte for byte", async function () {
    const { models } = await networkHelpers.loadFixture(deployFixture);
    const values = [0, 1, -1, 2 ** 31 - 1, -(2 ** 31), 123_456];
    const encoded = encodeTensor([2, 3], values);
    expect(encoded).to.equal(
      solidityPacked(
        ["uint8", "uint8", "uint8", "uint32", "uint32", ...values.map(() => "int32")],
        [1, 1, 2, 2, 3, ...values],
      ),
    );
    expect(decodeTensor(encoded)).to.deep.equal({ shape: [2, 3], values });
    expect(decodeTensor(encodeTensor([4], [1n, -2n, 3n, -4n]))).to.deep.equal({
      shape: [4],
      values: [1, -2, 3, -4],
    });
    // The length the registry derived for the model's input equals the TS encoder's.
    expect((await models.getModel(MODEL_ID)).inputBytes).to.equal(
      BigInt(encodedTensorLength([1, 16])),
    );
    expect((features.length - 2) / 2).to.equal(encodedTensorLength([1, 16]));
  });

  it("rejects malformed bytes and unencodable tensors with a clear error", function () {
    const good = encodeTensor([1, 2], [5, -5]);
    const malformed: Array<[string, string, RegExp]> = [
      ["empty", "0x", /shorter than its 3-byte header/],
      ["bad version", "0x02" + good.slice(4), /unsupported tensor version 0x02/],
      ["bad dtype", "0x0102" + good.slice(6), /unsupported tensor dtype 0x02/],
      ["rank 0", "0x010100", /rank must be 1..8, got 0/],
      ["rank 9", "0x010109" + "00000001".repeat(9) + "00000000", /rank must be 1..8, got 9/],
      ["truncated dims", "0x01010200000001", /needs 11 header bytes, got 7/],
      ["zero dimension", "0x0101010000000000000005", /dimension must be an integer/],
      ["missing element", good.slice(0, -8), /must be 19 bytes, got 15/],
      ["trailing byte", good + "00", /must be 19 bytes, got 20/],
    ];
    for (const [name, bytes, message] of malformed) {
      expect(() => decodeTensor(bytes), name)
        .to.throw(MalformedTensorError)
        .with.property("message")
        .that.matches(message);
    }
    expect(() => encodeTensor([1, 2], [1])).to.throw(MalformedTensorError, /needs 2 values, got 1/);
    expect(() => encodeTensor([1], [2 ** 31])).to.throw(MalformedTensorError, /not an int32/);
    expect(() => encodeTensor([1], [0.5])).to.throw(MalformedTensorError, /not an int32/);
    expect(() => encodeTensor([], [])).to.throw(MalformedTensorError, /rank must be 1..8/);
    expect(() => encodeTensor([2 ** 12, 2 ** 13], [])).to.throw(
      MalformedTensorError,
      /more than 16777216 elements/,
    );
  });
});
