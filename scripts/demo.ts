/**
 * The demo: Verity's full request-to-settlement round trip on Hardhat's in-process chain.
 *
 * A borrower applies for credit with the example CreditLine dapp; the dapp asks the hub for a
 * risk-model inference; a staked worker reads the request event, computes the output, signs it
 * (EIP-712) and submits it; the hub checks the signature and the worker's stake and environment,
 * pays everyone and calls the dapp back, which sets the credit limit. Then the same with a
 * challenge window, and a request nobody answers, which is refunded.
 *
 * The worker here is scripted with a test signer and a plain-TypeScript stand-in for the model;
 * the onnxruntime worker service replaces it without changing anything on-chain.
 *
 * Exits 0 only if every step did what it claims.
 */
import assert from "node:assert/strict";
import { network } from "hardhat";
import type { ContractTransactionReceipt, ContractTransactionResponse } from "ethers";
import VerityModule from "../deploy/modules/Verity.js";
import {
  CreditLine__factory,
  InferenceHub__factory,
  ModelRegistry__factory,
  WorkerRegistry__factory,
  RequestStatus,
  decodeTensor,
  encodeTensor,
  parseRequestedEvent,
  parseSubmittedEvent,
  recoverResultSigner,
  resultFields,
  signResult,
} from "@verity/contracts";

const DECIMALS = 6;
const ONE = 10 ** DECIMALS;

const { ethers, ignition, networkHelpers } = await network.create();
const [admin, modelOwner, borrowerA, borrowerB, borrowerC, settler] = await ethers.getSigners();
const chainId = (await ethers.provider.getNetwork()).chainId;
const worker = new ethers.Wallet(ethers.id("verity demo worker key"), ethers.provider);

type Row = {
  request: string;
  model: string;
  mode: string;
  output: string;
  proof: string;
  gasAllTxs: number;
  latency: string;
};
const rows: Row[] = [];
const say = (line: string) => console.log(line);
const eth = (wei: bigint) => `${ethers.formatEther(wei)} ETH`;

async function mined(
  tx: Promise<ContractTransactionResponse>,
): Promise<ContractTransactionReceipt> {
  const receipt = await (await tx).wait();
  assert.ok(receipt && receipt.status === 1, "transaction failed");
  return receipt;
}

// ---------------------------------------------------------------- 1. deploy
say("\n1. Deploying ModelRegistry, WorkerRegistry and InferenceHub with Hardhat Ignition");
const deployed = await ignition.deploy(VerityModule);
const modelRegistry = ModelRegistry__factory.connect(
  await deployed.modelRegistry.getAddress(),
  admin,
);
const workerRegistry = WorkerRegistry__factory.connect(
  await deployed.workerRegistry.getAddress(),
  admin,
);
const hub = InferenceHub__factory.connect(await deployed.inferenceHub.getAddress(), admin);
say(`   hub ${await hub.getAddress()} on chain ${chainId}`);

// ---------------------------------------------------------------- 2. environment and worker
const environmentId = ethers.id(
  "verity-worker/demo onnxruntime-node/1.30 node/22 cpu intra-op-threads=1",
);
say("\n2. Governance approves the worker environment; the worker stakes 1 ETH on it");
await mined(workerRegistry.connect(admin).approveEnvironment(environmentId, "demo worker build"));
await mined(admin.sendTransaction({ to: worker.address, value: ethers.parseEther("2") }) as never);
await mined(
  workerRegistry.connect(worker).register(environmentId, { value: ethers.parseEther("1") }),
);
assert.equal(await workerRegistry.isEligible(worker.address), true);
say(`   worker ${worker.address} eligible: yes`);

// ---------------------------------------------------------------- 3. model
// A logistic risk model over 16 features; its id is the SHA-256 of its bytes, as for any ONNX file.
const weights = Array.from({ length: 16 }, (_, i) => ((i % 5) - 2) * 0.15);
const modelBytes = ethers.toUtf8Bytes(`demo logistic risk model ${JSON.stringify(weights)}`);
const modelId = ethers.sha256(modelBytes);
function riskModel(features: number[]): number {
  const z = features.reduce((sum, x, i) => sum + (x / ONE) * weights[i], -0.5);
  return Math.round((1 / (1 + Math.exp(-z))) * ONE); // probability of default, fixed-point
}
say("\n3. The model owner registers a 16-feature credit-risk model");
await mined(
  modelRegistry.connect(modelOwner).registerModel(modelId, {
    uri: "file://models/credit-risk.onnx",
    inputShape: [1, 16],
    outputShape: [1, 1],
    decimals: DECIMALS,
    feeWei: ethers.parseEther("0.001"),
    proofModes: 1, // ATTESTED
    previousVersion: ethers.ZeroHash,
  }),
);
say(`   model ${modelId.slice(0, 18)}... fee 0.001 ETH`);

// ---------------------------------------------------------------- 4. the dapp
say("\n4. Deploying CreditLine: up to 10 ETH of credit, declined above a 50% default probability");
const creditLine = await new CreditLine__factory(admin).deploy(
  await hub.getAddress(),
  modelId,
  DECIMALS,
  ethers.parseEther("10"),
  ONE / 2,
);
await creditLine.waitForDeployment();
const callbackGas = await creditLine.CALLBACK_GAS_LIMIT();
const price = await hub.quote(modelId, callbackGas);
say(`   an application costs ${eth(price)} (model fee, protocol fee, callback gas, worker reward)`);

/** The worker's side: read the request from the event, run the model, sign, submit. */
async function answer(receipt: ContractTransactionReceipt) {
  const { request, input } = parseRequestedEvent(receipt, hub);
  const features = decodeTensor(input).values.map(Number);
  const output = encodeTensor([1, 1], [riskModel(features)]);
  const signature = await signResult(
    worker,
    hub,
    chainId,
    resultFields(request, output, environmentId),
  );
  return { request, output, signature };
}

async function apply(borrower: typeof borrowerA, features: number[], deadlineSeconds = 3600) {
  const deadline = (await networkHelpers.time.latest()) + deadlineSeconds;
  const tx = creditLine
    .connect(borrower)
    .applyForCredit(encodeTensor([1, 16], features), worker.address, deadline, { value: price });
  return mined(tx);
}

const started = () => performance.now();
const elapsed = (t0: number) => `${(performance.now() - t0).toFixed(0)} ms`;

// ---------------------------------------------------------------- 5. instant settlement
say(
  "\n5. Borrower A applies; the worker answers; with no challenge window the result settles at once",
);
{
  const t0 = started();
  const features = Array.from({ length: 16 }, (_, i) => (i % 3) * 400_000);
  const requested = await apply(borrowerA, features);
  const { request, output, signature } = await answer(requested);
  const settled = await mined(
    hub.connect(settler).submitResult(request, output, environmentId, signature),
  );
  const probability = riskModel(features);
  const expectedLimit =
    probability > ONE / 2
      ? 0n
      : (ethers.parseEther("10") * BigInt(ONE - probability)) / BigInt(ONE);
  assert.equal(await hub.requestStatus(request.id), BigInt(RequestStatus.Settled));
  assert.equal(await creditLine.creditLimitWei(borrowerA.address), expectedLimit);
  // Independent check: who signed, from public data alone.
  const signer = recoverResultSigner(
    await hub.getAddress(),
    chainId,
    resultFields(request, output, environmentId),
    signature,
  );
  assert.equal(signer, worker.address);
  say(
    `   default probability ${((probability / ONE) * 100).toFixed(1)}% -> credit limit ${eth(expectedLimit)}`,
  );
  say(`   signature recovered off-chain to ${signer}: the staked worker`);
  rows.push({
    request: `#${request.id}`,
    model: "credit-risk",
    mode: "ATTESTED",
    output: `PD ${((probability / ONE) * 100).toFixed(1)}%`,
    proof: "EIP-712 sig, on-chain at submit",
    gasAllTxs: Number(requested.gasUsed + settled.gasUsed),
    latency: elapsed(t0),
  });
}

// ---------------------------------------------------------------- 6. with a challenge window
say("\n6. Governance sets a 10-minute challenge window; borrower B's result waits it out");
const config = await hub.config();
await mined(
  hub.connect(admin).setConfig({
    protocolFeeWei: config.protocolFeeWei,
    minWorkerRewardWei: config.minWorkerRewardWei,
    callbackGasPriceWei: config.callbackGasPriceWei,
    assignmentGraceSeconds: config.assignmentGraceSeconds,
    challengeWindowSeconds: 600,
    maxDeadlineSeconds: config.maxDeadlineSeconds,
  }),
);
{
  const t0 = started();
  const features = Array.from({ length: 16 }, (_, i) => 900_000 - i * 50_000);
  const requested = await apply(borrowerB, features);
  const { request, output, signature } = await answer(requested);
  const submitted = await mined(
    hub.connect(settler).submitResult(request, output, environmentId, signature),
  );
  const { submission } = parseSubmittedEvent(submitted, hub);
  assert.equal(await hub.requestStatus(request.id), BigInt(RequestStatus.Submitted));
  await assert.rejects(
    hub.connect(settler).finalize.staticCall(request, submission, output),
    /ChallengeWindowOpen/,
  );
  say("   finalize inside the window is refused: ChallengeWindowOpen");
  await networkHelpers.time.increaseTo(submission.finalizableAt);
  const finalized = await mined(hub.connect(settler).finalize(request, submission, output));
  assert.equal(await hub.requestStatus(request.id), BigInt(RequestStatus.Settled));
  const limit = await creditLine.creditLimitWei(borrowerB.address);
  say(`   after the window: settled, credit limit ${eth(limit)}`);
  rows.push({
    request: `#${request.id}`,
    model: "credit-risk",
    mode: "ATTESTED",
    output: `PD ${((riskModel(features) / ONE) * 100).toFixed(1)}%`,
    proof: "EIP-712 sig + 10 min window",
    gasAllTxs: Number(requested.gasUsed + submitted.gasUsed + finalized.gasUsed),
    latency: elapsed(t0),
  });
}

// ---------------------------------------------------------------- 7. nobody answers: refund
say("\n7. Borrower C applies but no worker answers before the deadline: the escrow comes back");
{
  const t0 = started();
  const requested = await apply(borrowerC, Array(16).fill(100_000), 120);
  const { request } = parseRequestedEvent(requested, hub);
  await assert.rejects(hub.connect(settler).refund.staticCall(request), /RequestNotExpired/);
  await networkHelpers.time.increaseTo(request.deadline + 1n);
  const refunded = await mined(hub.connect(settler).refund(request));
  assert.equal(await hub.requestStatus(request.id), BigInt(RequestStatus.Refunded));
  const owed = await creditLine.refundsWei(borrowerC.address);
  const before = await ethers.provider.getBalance(borrowerC.address);
  const claim = await mined(creditLine.connect(borrowerC).claimRefund());
  const after = await ethers.provider.getBalance(borrowerC.address);
  assert.equal(after - before + claim.gasUsed * claim.gasPrice, owed);
  say(`   refunded ${eth(owed)} to borrower C (the protocol fee is kept)`);
  rows.push({
    request: `#${request.id}`,
    model: "credit-risk",
    mode: "ATTESTED",
    output: "none",
    proof: "deadline passed: refund",
    gasAllTxs: Number(requested.gasUsed + refunded.gasUsed),
    latency: elapsed(t0),
  });
}

// ---------------------------------------------------------------- 8. everyone is paid
say("\n8. Payouts are pulled: the worker, the model owner and the treasury withdraw");
const workerBalance = await hub.balanceOf(worker.address);
const ownerBalance = await hub.balanceOf(modelOwner.address);
assert.ok(workerBalance > 0n && ownerBalance === ethers.parseEther("0.002"));
await mined(hub.connect(worker).withdraw(worker.address));
await mined(hub.connect(modelOwner).withdraw(modelOwner.address));
await mined(hub.collectProtocolFees());
assert.equal(await hub.balanceOf(worker.address), 0n);
say(
  `   worker ${eth(workerBalance)}, model owner ${eth(ownerBalance)}, treasury ${eth(await hub.balanceOf(admin.address))}`,
);

console.log("\nRequests");
console.table(rows);
say("Every step did what it claims.");
