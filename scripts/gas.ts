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
import type { ContractTransactionResponse } from "ethers";

const CHECK = process.env.VERITY_GAS_CHECK === "1";
const TOLERANCE = 0.01;
const REPORT = new URL("../reports/gas.json", import.meta.url);

const { ethers } = await network.create();
const [admin, treasury, modelOwner, requester, other] = await ethers.getSigners();
const workerWallet = ethers.Wallet.createRandom().connect(ethers.provider);
await admin.sendTransaction({ to: workerWallet.address, value: ethers.parseEther("100") });

const ENV = ethers.id("verity-worker gas benchmark environment");
const config = {
  protocolFeeWei: ethers.parseEther("0.0001"),
  minWorkerRewardWei: ethers.parseEther("0.0005"),
  callbackGasPriceWei: ethers.parseUnits("1", "gwei"),
  assignmentGraceSeconds: 30,
  challengeWindowSeconds: 3600,
  maxDeadlineSeconds: 86_400,
};
const disputeConfig = {
  challengeBondWei: ethers.parseEther("0.1"),
  slashAmountWei: ethers.parseEther("0.5"),
  disputeTimeoutSeconds: 3 * 86_400,
};

const models = await ethers.deployContract("ModelRegistry");
const workers = await ethers.deployContract("WorkerRegistry", [
  admin.address,
  ethers.parseEther("1"),
  7 * 86_400,
]);
const hub = await ethers.deployContract("InferenceHub", [
  admin.address,
  await models.getAddress(),
  await workers.getAddress(),
  treasury.address,
  config,
  disputeConfig,
]);
await (await workers.grantRole(await workers.SLASHER_ROLE(), await hub.getAddress())).wait();
await (await workers.approveEnvironment(ENV, "gas benchmark")).wait();
await (await workers.connect(workerWallet).register(ENV, { value: ethers.parseEther("1") })).wait();

const figures: Record<string, number> = {};
async function gasOf(tx: Promise<ContractTransactionResponse>): Promise<number> {
  const receipt = await (await tx).wait();
  if (!receipt) throw new Error("transaction was not mined");
  return Number(receipt.gasUsed);
}

/** The canonical int32 tensor encoding (contracts/libraries/TensorCodec.sol). */
function tensor(shape: number[], values: number[]): string {
  const bytes = new Uint8Array(3 + 4 * shape.length + 4 * values.length);
  const view = new DataView(bytes.buffer);
  bytes.set([1, 1, shape.length]);
  shape.forEach((d, i) => view.setUint32(3 + 4 * i, d));
  values.forEach((v, i) => view.setInt32(3 + 4 * shape.length + 4 * i, v));
  return ethers.hexlify(bytes);
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

const input = tensor(
  [1, 16],
  Array.from({ length: 16 }, (_, i) => (i + 1) * 12_345),
);
const output = tensor([1, 1], [231_000]);
const quote = await hub.quote((await registerModel()).id, 0);
const { id: modelId, gas: registerGas } = await registerModel();
figures.registerModel = registerGas;

type Request = Awaited<ReturnType<typeof request>>;
async function request(from = requester, assignee = workerWallet.address) {
  const block = await ethers.provider.getBlock("latest");
  const tx = hub
    .connect(from)
    .requestInference(modelId, input, 0, assignee, ethers.ZeroAddress, 0, block!.timestamp + 3600, {
      value: quote,
    });
  const receipt = await (await tx).wait();
  const event = receipt!.logs
    .map((log) => hub.interface.parseLog(log))
    .find((e) => e?.name === "InferenceRequested")!;
  return { gas: Number(receipt!.gasUsed), request: event.args.request.toObject(true) };
}

async function sign(req: Request["request"], out = output): Promise<string> {
  const digest = await hub.resultDigest(
    req.id,
    req.modelId,
    req.inputHash,
    ethers.keccak256(out),
    ENV,
  );
  return workerWallet.signingKey.sign(digest).serialized;
}

async function setChallengeWindow(seconds: number) {
  await (await hub.connect(admin).setConfig({ ...config, challengeWindowSeconds: seconds })).wait();
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
  const submitted = submitReceipt!.logs
    .map((log) => hub.interface.parseLog(log))
    .find((e) => e?.name === "ResultSubmitted")!;
  await ethers.provider.send("evm_increaseTime", [3600]);
  const submission = {
    worker: workerWallet.address,
    outputHash: ethers.keccak256(output),
    environmentId: ENV,
    finalizableAt: submitted.args.finalizableAt,
  };
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

console.table(Object.entries(figures).map(([key, gas]) => ({ key, gas })));
const targets: [string, number, number][] = [
  ["requestInference", figures.requestInference, 75_000],
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
