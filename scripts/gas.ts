/**
 * Gas benchmark: measures the transaction gas (receipt.gasUsed, including the 21,000 base) of each
 * user-facing call on Hardhat's in-process EVM, and writes `reports/gas.json`.
 *
 * Every figure is taken in steady state: accounts already hold a hub balance and the counters are
 * non-zero, as on a live deployment, so no first-write surcharge inflates them.
 *
 *   pnpm gas        measure and write reports/gas.json
 *   pnpm gas:check  measure and compare with the committed reports/gas.json (fails on > 1% drift)
 */
import { readFile, writeFile, mkdir } from "node:fs/promises";
import { network } from "hardhat";
import { keccak256, type ContractTransactionResponse } from "ethers";
import VerityModule from "../deploy/modules/Verity.js";
import {
  DisputeResolver__factory,
  InferenceHub__factory,
  QuorumCoordinator__factory,
  ModelRegistry__factory,
  WorkerRegistry__factory,
  encodeTensor,
  executeThroughTimelock,
  resultFields,
  signResult,
  parseRequestedEvent,
  parseSubmittedEvent,
  ProofMode,
  proofModesMask,
  type Request as HubRequest,
  quantize,
} from "@verity/contracts";
import { sampleModel } from "@verity/models";
import { ZkProver, buildZkArtifacts, deployZkModel } from "@verity/zk";

const CHECK = process.env.VERITY_GAS_CHECK === "1";
const TOLERANCE = 0.01;
const REPORT = new URL("../reports/gas.json", import.meta.url);

const { ethers, ignition } = await network.create();
const [admin, modelOwner, requester, other] = await ethers.getSigners();
const chainId = (await ethers.provider.getNetwork()).chainId;
const workerWallet = ethers.Wallet.createRandom().connect(ethers.provider);
await admin.sendTransaction({ to: workerWallet.address, value: ethers.parseEther("100") });

const ENV = ethers.id("verity-worker gas benchmark environment");
// The same deployment as everywhere else, with a challenge window so finalize can be measured.
const deployed = await ignition.deploy(VerityModule, {
  parameters: { Verity: { challengeWindowSeconds: 3600n, timelockMinDelaySeconds: 0n } },
});
const timelock = await deployed.timelock.getAddress();
const models = ModelRegistry__factory.connect(await deployed.modelRegistry.getAddress(), admin);
const workers = WorkerRegistry__factory.connect(await deployed.workerRegistry.getAddress(), admin);
const hub = InferenceHub__factory.connect(await deployed.inferenceHub.getAddress(), admin);
const config = await hub.config();
await executeThroughTimelock(timelock, admin, workers, "approveEnvironment", [
  ENV,
  "gas benchmark",
]);
await (await workers.connect(workerWallet).register(ENV, { value: ethers.parseEther("1") })).wait();

const figures: Record<string, number> = {};
async function gasOf(tx: Promise<ContractTransactionResponse>): Promise<number> {
  const receipt = await (await tx).wait();
  if (!receipt) throw new Error("transaction was not mined");
  return Number(receipt.gasUsed);
}

let modelCount = 0;
async function registerModel(): Promise<{ id: string; gas: number }> {
  const id = ethers.sha256(ethers.toUtf8Bytes(`model ${modelCount++}`));
  const spec = {
    uri: "ipfs://bafybeigdyrzt5sfp7udm7hu76uh7y26nf3efuylqabf3oclgtqy55fbzdi",
    inputShape: [1, 16],
    outputShape: [1, 1],
    decimals: 6,
    feeWei: ethers.parseEther("0.001"),
    proofModes: 1,
    previousVersion: ethers.ZeroHash,
  };
  return { id, gas: await gasOf(models.connect(modelOwner).registerModel(id, spec)) };
}

const input = encodeTensor(
  [1, 16],
  Array.from({ length: 16 }, (_, i) => (i + 1) * 12_345),
);
const output = encodeTensor([1, 1], [231_000]);
const quote = await hub.quote((await registerModel()).id, 0);
const { id: modelId, gas: registerGas } = await registerModel();
figures.registerModel = registerGas;

async function request(
  from = requester,
  assignee = workerWallet.address,
  what: { modelId?: string; mode?: ProofMode; input?: string } = {},
) {
  const block = await ethers.provider.getBlock("latest");
  const model = what.modelId ?? modelId;
  const tx = hub
    .connect(from)
    .requestInference(
      model,
      what.input ?? input,
      what.mode ?? ProofMode.ATTESTED,
      assignee,
      ethers.ZeroAddress,
      0,
      block!.timestamp + 3600,
      { value: model === modelId ? quote : await hub.quote(model, 0) },
    );
  const receipt = (await (await tx).wait())!;
  return { gas: Number(receipt.gasUsed), request: parseRequestedEvent(receipt, hub).request };
}

function sign(req: HubRequest, out = output): Promise<string> {
  return signResult(workerWallet, hub, chainId, resultFields(req, out, ENV));
}

async function setChallengeWindow(seconds: number) {
  const next = {
    protocolFeeWei: config.protocolFeeWei,
    minWorkerRewardWei: config.minWorkerRewardWei,
    callbackGasPriceWei: config.callbackGasPriceWei,
    assignmentGraceSeconds: config.assignmentGraceSeconds,
    challengeWindowSeconds: seconds,
    maxDeadlineSeconds: config.maxDeadlineSeconds,
  };
  await executeThroughTimelock(timelock, admin, hub, "setConfig", [next]);
}

// Warm up: credit every account once, as on a live deployment.
{
  await setChallengeWindow(0);
  const { request: req } = await request();
  await (await hub.connect(other).submitResult(req, output, ENV, await sign(req))).wait();
  const { request: expiring } = await request();
  await ethers.provider.send("evm_increaseTime", [3601]);
  await (await hub.connect(other).refund(expiring)).wait();
}

// requestInference with a 16-value input.
figures.requestInference = (await request()).gas;

// ATTESTED with a challenge window: submit, then finalize after it.
await setChallengeWindow(3600);
{
  const { request: req } = await request();
  const submitReceipt = await (
    await hub.connect(other).submitResult(req, output, ENV, await sign(req))
  ).wait();
  figures["submitResult.attested"] = Number(submitReceipt!.gasUsed);
  const { submission } = parseSubmittedEvent(submitReceipt!, hub);
  await ethers.provider.send("evm_increaseTime", [3600]);
  figures.finalize = await gasOf(hub.connect(other).finalize(req, submission, output));
}

// ATTESTED with a zero window: one transaction submits and settles.
await setChallengeWindow(0);
{
  const { request: req } = await request();
  figures["submitResult.attested.instant"] = await gasOf(
    hub.connect(other).submitResult(req, output, ENV, await sign(req)),
  );
}

// A batch of 32 results, each settled at once (zero window).
{
  const items = [];
  for (let i = 0; i < 32; i++) {
    const { request: req } = await request();
    items.push({ request: req, output, environmentId: ENV, signature: await sign(req) });
  }
  const gas = await gasOf(hub.connect(other).submitResults(items));
  figures["submitResults.attested.batch32.perResult"] = Math.round(gas / 32);
}

// Refund after the deadline.
{
  const { request: req } = await request();
  await ethers.provider.send("evm_increaseTime", [3601]);
  figures.refund = await gasOf(hub.connect(other).refund(req));
}

// Withdraw a credited balance.
figures.withdraw = await gasOf(hub.connect(workerWallet).withdraw(workerWallet.address));

// QUORUM: three workers answer one request (the default quorum of 2, so three seats), each with
// a commit and a reveal; the first commit opens the round, the second matching reveal settles it
// in the hub and the third closes and pays the round. Per worker: all six transactions over three.
{
  const coordinator = QuorumCoordinator__factory.connect(
    await deployed.quorumCoordinator.getAddress(),
    admin,
  );
  const members = [workerWallet];
  for (let i = 0; i < 2; i++) {
    const member = ethers.Wallet.createRandom().connect(ethers.provider);
    await (
      await admin.sendTransaction({ to: member.address, value: ethers.parseEther("10") })
    ).wait();
    await (await workers.connect(member).register(ENV, { value: ethers.parseEther("1") })).wait();
    members.push(member);
  }
  const quorumModel = ethers.sha256(ethers.toUtf8Bytes("quorum model"));
  await (
    await models.connect(modelOwner).registerModel(quorumModel, {
      uri: "ipfs://bafybeigdyrzt5sfp7udm7hu76uh7y26nf3efuylqabf3oclgtqy55fbzdi",
      inputShape: [1, 16],
      outputShape: [1, 1],
      decimals: 6,
      feeWei: ethers.parseEther("0.001"),
      proofModes: proofModesMask(ProofMode.ATTESTED, ProofMode.QUORUM),
      previousVersion: ethers.ZeroHash,
    })
  ).wait();
  const round = async (): Promise<number> => {
    const { request: req } = await request(requester, ethers.ZeroAddress, {
      modelId: quorumModel,
      mode: ProofMode.QUORUM,
    });
    let gas = 0;
    const salts = members.map((_, i) => ethers.id(`salt ${req.id} ${i}`));
    for (const [i, member] of members.entries()) {
      const commitment = await coordinator.commitmentOf(
        req.id,
        member.address,
        keccak256(output),
        salts[i],
      );
      gas += await gasOf(coordinator.connect(member).commit(req, commitment));
    }
    for (const [i, member] of members.entries()) {
      gas += await gasOf(coordinator.connect(member).reveal(req, output, salts[i]));
    }
    return gas;
  };
  await round(); // warm-up: the members' balances in the coordinator exist from here on
  figures["submitResult.quorum3.perWorker"] = Math.round((await round()) / members.length);
}

// Disputes over an ATTESTED result of a model with a ZK verifier: `challenge` (bond, within the
// window), then the dispute resolver decides with a real Groth16 proof of the right output
// (credit-risk, development setup): the result is overturned, the worker slashed, the challenger
// paid, the requester refunded.
{
  const resolver = DisputeResolver__factory.connect(
    await deployed.disputeResolver.getAddress(),
    admin,
  );
  const zkModel = sampleModel("credit-risk");
  const artifacts = await buildZkArtifacts(zkModel.bytes, {
    cacheDir: new URL("../.cache/zk/", import.meta.url).pathname,
    insecureDevSetup: true,
  });
  await (
    await models.connect(modelOwner).registerModel(zkModel.modelId, {
      uri: "file://models/credit-risk.onnx",
      inputShape: zkModel.inputShape,
      outputShape: zkModel.outputShape,
      decimals: zkModel.decimals,
      feeWei: ethers.parseEther("0.001"),
      proofModes: proofModesMask(ProofMode.ATTESTED, ProofMode.ZK),
      previousVersion: ethers.ZeroHash,
    })
  ).wait();
  await deployZkModel(modelOwner, await models.getAddress(), artifacts);
  await setChallengeWindow(3600);
  const prover = new ZkProver();
  const bond = (await hub.disputeConfig()).challengeBondWei;
  const dispute = async (seed: number): Promise<{ challenge: number; resolve: number }> => {
    // The slash left the worker below the minimum: top it up, as an operator would.
    const staked = (await workers.getWorker(workerWallet.address)).stakeWei;
    const minimum = await workers.MIN_STAKE_WEI();
    if (staked < minimum)
      await (await workers.connect(workerWallet).addStake({ value: minimum - staked })).wait();
    const zkInput = encodeTensor(
      zkModel.inputShape,
      quantize(zkModel.sampleInput(seed), zkModel.decimals),
    );
    const { request: req } = await request(requester, ethers.ZeroAddress, {
      modelId: zkModel.modelId,
      mode: ProofMode.ATTESTED,
      input: zkInput,
    });
    const proved = await prover.prove(artifacts, {
      request: req,
      input: ethers.getBytes(zkInput),
      worker: other.address,
      chainId,
      hub: await resolver.getAddress(),
    });
    const elements = zkModel.outputShape.reduce((a, b) => a * b, 1);
    const wrongOutput = encodeTensor(zkModel.outputShape, new Array(elements).fill(123_456_789));
    const submitted = (await (
      await hub.connect(other).submitResult(req, wrongOutput, ENV, await sign(req, wrongOutput))
    ).wait())!;
    const { submission } = parseSubmittedEvent(submitted, hub);
    const challengeTx = await hub
      .connect(other)
      .challenge(req, submission, keccak256(proved.output), { value: bond });
    const challengeReceipt = (await challengeTx.wait())!;
    const challengedAt = (await ethers.provider.getBlock(challengeReceipt.blockNumber))!.timestamp;
    const record = {
      challenger: other.address,
      bondWei: bond,
      claimedOutputHash: keccak256(proved.output),
      challengedAt,
    };
    const resolve = await gasOf(
      resolver
        .connect(other)
        .resolveWithProof(req, submission, record, proved.output, proved.proof),
    );
    return { challenge: Number(challengeReceipt.gasUsed), resolve };
  };
  await dispute(1); // warm-up
  const measured = await dispute(2);
  figures.challenge = measured.challenge;
  figures["resolveDispute.zk"] = measured.resolve;
  await prover.close();
}

console.table(Object.entries(figures).map(([key, gas]) => ({ key, gas })));
const targets: [string, number, number][] = [
  // The request carries what decides it (its ZK verifier among them): 80k is the budget.
  ["requestInference", figures.requestInference, 80_000],
  ["submitResult.attested + finalize", figures["submitResult.attested"] + figures.finalize, 90_000],
  [
    "submitResults batch of 32, per result",
    figures["submitResults.attested.batch32.perResult"],
    40_000,
  ],
];
for (const [name, gas, target] of targets) {
  console.log(`${gas <= target ? "meets " : "MISSES"} ${name}: ${gas} (target ${target})`);
}

if (CHECK) {
  const committed: Record<string, number> = JSON.parse(await readFile(REPORT, "utf8"));
  const drift = Object.entries(committed).filter(([key, gas]) => {
    const now = figures[key];
    return now === undefined || Math.abs(now - gas) > gas * TOLERANCE;
  });
  if (drift.length > 0) {
    for (const [key, gas] of drift)
      console.error(`gas drift: ${key} committed ${gas}, measured ${figures[key]}`);
    console.error("Run `pnpm gas` and commit reports/gas.json if the change is intended.");
    process.exitCode = 1;
  } else {
    console.log(`gas snapshot matches reports/gas.json within ${TOLERANCE * 100}%`);
  }
} else {
  await mkdir(new URL("../reports/", import.meta.url), { recursive: true });
  await writeFile(REPORT, JSON.stringify(figures, null, 2) + "\n");
  console.log("wrote reports/gas.json");
}
