/**
 * The demo (`npm start`, `pnpm demo`): Verity end to end on a local chain, with the real worker.
 *
 * A local node starts with Verity deployed and two sample models registered; a worker process
 * stakes and starts serving. The example dapp CreditLine asks the hub for credit-risk inferences;
 * each result is checked by the hub on-chain, settled, and then verified independently with the
 * SDK's `verifyResult`, which re-runs the model here. The same model answers once in ZK mode: a
 * Groth16 proof the hub checks before settling, in one transaction (the devnet builds the circuit
 * with an insecure development setup the first time, about a minute, then caches it). An
 * MNIST-shaped request follows. Then a
 * dishonest worker answers a request wrongly: its signature is valid, so the hub accepts it into
 * the challenge window, but re-execution catches the lie. A watcher (another worker process with
 * `watch` on) challenges it, proves the right output, and the dispute is decided on-chain: the
 * liar's stake is slashed, the watcher and the treasury share it, the borrower is refunded, and the
 * dapp never acts on the wrong answer.
 *
 * Exits 0 only if every step did what it claims; every process it started is stopped on the way
 * out, on failure too.
 */
import assert from "node:assert/strict";
import { formatEther, parseEther } from "ethers";
import {
  CreditLine__factory,
  ProofMode,
  RequestStatus,
  parseRequestedEvent,
  type CreditLine,
} from "@verity/contracts";
import {
  ACCOUNTS,
  spawnWorker,
  startDevnet,
  type Devnet,
  type WorkerProcess,
} from "@verity/devnet";
import { sampleModel } from "@verity/models";
import {
  createVerityClient,
  encodeInput,
  quote,
  requestInference,
  verifyResult,
  waitForResult,
  type InferenceResult,
  type VerificationReceipt,
  type VerityClient,
} from "@verity/sdk";
import { createModelRunner } from "@verity/runtime";
import type { ModelRunner } from "@verity/contracts";

const started = performance.now();
const say = (line = "") => console.log(line);
const step = (n: number, title: string) => say(`\n${n}. ${title}`);
const short = (hex: string) => `${hex.slice(0, 10)}…${hex.slice(-4)}`;
const pct = (fixed: number) => `${(Math.max(0, fixed) / 1e4).toFixed(1)}%`;
const seconds = (ms: number) => `${(ms / 1000).toFixed(2)} s`;

interface Row {
  request: string;
  model: string;
  mode: string;
  output: string;
  proofChecked: string;
  gas: string;
  latency: string;
}
const rows: Row[] = [];

const credit = sampleModel("credit-risk");
const mnist = sampleModel("mnist-mlp");
/** Up to 10 ETH of credit; applicants above a 35% default probability are declined. */
const MAX_LIMIT = parseEther("10");
const MAX_DEFAULT_PROBABILITY = 350_000;

let devnet: Devnet | undefined;
const workers: WorkerProcess[] = [];
let client: VerityClient | undefined;
let runner: ModelRunner | undefined;

/** Processes first: nothing that fails later may leave a node or a worker running. */
async function stopEverything() {
  await Promise.allSettled(workers.map((worker) => worker.stop()));
  await Promise.allSettled([devnet?.stop(), runner?.close()]);
  client?.destroy();
}
for (const signal of ["SIGINT", "SIGTERM"] as const) {
  process.once(signal, () => {
    void stopEverything().finally(() => process.exit(130));
  });
}

try {
  await main();
  say(`\nEvery step did what it claims (${seconds(performance.now() - started)} in all).`);
} catch (error) {
  console.error("\nThe demo FAILED:", error);
  process.exitCode = 1;
} finally {
  await stopEverything();
}

async function main() {
  say("Verity: verifiable AI inference on an EVM chain. Don't trust, re-execute.");

  // ------------------------------------------------------------------------------ 1. the chain
  step(
    1,
    "A local chain: hardhat node, Verity deployed through Ignition, sample models registered",
  );
  devnet = await startDevnet({
    zkModels: ["credit-risk"],
    onProgress: (progress) => say(`   zk setup: ${progress} (first run only; cached in .cache/zk)`),
  });
  const hubAddress = await devnet.hub.getAddress();
  say(`   node ${devnet.node.url} (chain ${devnet.chainId}), InferenceHub ${hubAddress}`);
  say(`   environment approved by governance: ${short(devnet.environment.id)}`);
  say(`     = ${devnet.environment.description}`);
  for (const model of Object.values(devnet.models)) {
    say(`   model ${model.name.padEnd(11)} id ${short(model.modelId)} (SHA-256 of ${model.uri})`);
  }

  // ------------------------------------------------------------------------------ 2. a worker
  step(2, "A worker process starts: it stakes 1 ETH on that environment and watches the hub");
  const honest = await spawnWorker(devnet);
  workers.push(honest);
  say(`   worker ${honest.address}, metrics ${await honest.httpUrl()}/metrics`);
  client = await createVerityClient({
    rpcUrl: devnet.node.url,
    hubAddress,
    signer: devnet.signer(ACCOUNTS.requester),
    pollingIntervalMs: 50,
  });
  runner = await createModelRunner();

  // ------------------------------------------------------------------------------ 3. the dapp
  step(3, "The example dapp, CreditLine, sets credit limits from the credit-risk model's answer");
  const creditLine = await new CreditLine__factory(devnet.signer(ACCOUNTS.admin)).deploy(
    hubAddress,
    credit.modelId,
    credit.decimals,
    MAX_LIMIT,
    MAX_DEFAULT_PROBABILITY,
  );
  await creditLine.waitForDeployment();
  const callbackGas = Number(await creditLine.CALLBACK_GAS_LIMIT());
  const price = await quote(client, { modelId: credit.modelId, callbackGasLimit: callbackGas });
  say(`   CreditLine ${await creditLine.getAddress()}: up to ${formatEther(MAX_LIMIT)} ETH,`);
  say(
    `   declined above ${pct(MAX_DEFAULT_PROBABILITY)} default probability; an application costs`,
  );
  say(`   ${formatEther(price)} ETH (model fee + protocol fee + callback gas + worker reward)`);

  // ------------------------------------------------------------------------------ 4. ATTESTED
  step(4, "Three borrowers apply. Each answer is signed by the worker (ATTESTED), checked by the");
  say("   hub on-chain, settled into CreditLine, then re-executed here by the SDK's verifyResult");
  const borrowers = [
    { name: "Alice", account: 4, seed: 4 },
    { name: "Bob", account: 5, seed: 14 },
    { name: "Carol", account: 6, seed: 8 },
  ];
  for (const borrower of borrowers) {
    const t0 = performance.now();
    const { found, gasRequest } = await applyForCredit(
      creditLine,
      borrower.account,
      credit.sampleInput(borrower.seed),
      honest.address,
      price,
    );
    const latency = performance.now() - t0;
    assert.equal(found.status, "Settled", `${borrower.name}'s request settled`);
    assert.equal(found.outcome?.callbackResult, "Succeeded", "CreditLine's callback ran");
    const probability = found.result!.decoded!.values[0];
    const borrowerAddress = await devnet.signer(borrower.account).getAddress();
    const limit: bigint = await creditLine.creditLimitWei(borrowerAddress);
    const expected =
      probability > MAX_DEFAULT_PROBABILITY
        ? 0n
        : (MAX_LIMIT * BigInt(1e6 - Math.max(0, probability))) / 1_000_000n;
    assert.equal(limit, expected, `${borrower.name}'s limit follows the model's answer`);
    const receipt = await verifyResult(client, { requestId: found.requestId, runner });
    assertVerified(receipt, honest.address);
    say(
      `   ${borrower.name.padEnd(5)} request #${found.requestId}: default probability ` +
        `${pct(probability)} -> ${limit === 0n ? "declined" : `credit limit ${formatEther(limit)} ETH`}`,
    );
    say(`         verified: ${verifiedLine(receipt)}`);
    rows.push({
      request: `#${found.requestId} ${borrower.name}`,
      model: "credit-risk",
      mode: "ATTESTED",
      output: `PD ${pct(probability)}`,
      proofChecked: "hub on-chain; SDK off-chain + re-run",
      gas: gasOf(gasRequest, found),
      latency: seconds(latency),
    });
  }

  // ------------------------------------------------------------------------------ 5. ZK (hook)
  step(5, "ZK mode: a Groth16 proof checked on-chain, final at once, no worker to trust");
  await zkRound(honest.address);

  // ------------------------------------------------------------------------------ 6. MNIST
  step(6, "An MNIST-shaped request straight from the SDK: 784 pixels in, 10 class scores out");
  {
    const t0 = performance.now();
    const pixels = mnist.sampleInput(2);
    const sent = await requestInference(client, {
      modelId: mnist.modelId,
      input: pixels, // real values in [0, 1], encoded at the model's 6 decimals by the SDK
      assignee: honest.address,
    });
    const found = await waitForResult(client, { requestId: sent.requestId });
    const latency = performance.now() - t0;
    const scores = found.result!.decoded!.real;
    const digit = scores.indexOf(Math.max(...scores));
    const receipt = await verifyResult(client, { requestId: sent.requestId, runner });
    assertVerified(receipt, honest.address);
    say(`   request #${sent.requestId}: scores [${scores.map((s) => s.toFixed(2)).join(", ")}]`);
    say(`   highest: class ${digit} (the weights are seeded, not trained: the shape is the point)`);
    say(`   verified: ${verifiedLine(receipt)}`);
    rows.push({
      request: `#${sent.requestId}`,
      model: "mnist-mlp",
      mode: "ATTESTED",
      output: `class ${digit} (10 scores)`,
      proofChecked: "hub on-chain; SDK off-chain + re-run",
      gas: gasOf(sent.gasUsed, found),
      latency: seconds(latency),
    });
  }

  // ------------------------------------------------------------------------------ 7. a liar
  step(
    7,
    "A dishonest worker joins (started with --dishonest true) and answers Dave's application;" +
      " a watcher catches it and the dispute is decided on-chain",
  );
  const config = await devnet.hub.config();
  await devnet.govern(devnet.hub, "setConfig", [
    {
      protocolFeeWei: config.protocolFeeWei,
      minWorkerRewardWei: config.minWorkerRewardWei,
      callbackGasPriceWei: config.callbackGasPriceWei,
      assignmentGraceSeconds: config.assignmentGraceSeconds,
      challengeWindowSeconds: 600,
      maxDeadlineSeconds: config.maxDeadlineSeconds,
    },
  ]);
  say("   governance first sets a 10-minute challenge window: ATTESTED results wait it out");
  const liar = await spawnWorker(devnet, {
    account: ACCOUNTS.firstWorker + 1,
    settings: { dishonest: true },
  });
  // A watcher re-runs every ATTESTED result inside its window and disputes the wrong ones.
  const watcher = await spawnWorker(devnet, {
    account: ACCOUNTS.firstWorker + 2,
    settings: { watch: true },
  });
  workers.push(liar, watcher);
  await Promise.all([liar.httpUrl(), watcher.httpUrl()]);
  say(`   watcher ${short(watcher.address)} started with watch on: it re-runs others' results`);
  const { hub, workerRegistry } = devnet;
  const treasury = await hub.treasury();
  const balances = async () => ({
    liarStake: (await workerRegistry.getWorker(liar.address)).stakeWei,
    watcher: await hub.balanceOf(watcher.address),
    treasury: await hub.balanceOf(treasury),
  });
  const before = await balances();
  {
    const dave = 7;
    const t0 = performance.now();
    const { found, gasRequest } = await applyForCredit(
      creditLine,
      dave,
      credit.sampleInput(1),
      liar.address,
      price,
    );
    const latency = performance.now() - t0;
    // The watcher may already be disputing it: the hub accepted it all the same.
    assert.ok(found.result, "the hub accepted the signed wrong answer");
    say(`   worker ${short(liar.address)} answered request #${found.requestId}; its signature is`);
    say("   valid and its stake real, so the hub accepted the answer into the challenge window");
    const receipt = await verifyResult(client, { requestId: found.requestId, runner });
    assert.equal(receipt.matches, false, "verifyResult catches the wrong answer");
    const reExecution = receipt.checks.find((check) => check.name === "re-execution")!;
    assert.equal(reExecution.ok, false, "the mismatch is in the re-execution");
    assert.equal(receipt.proof.valid, true, "the signature itself is valid: a signed lie");
    assert.equal(receipt.proof.signer, liar.address);
    const [claimed, local] = [receipt.output.onChainValues![0], receipt.output.localValues![0]];
    say(`   verifyResult re-ran the registered model: it gives ${local / 1e6}, the worker claimed`);
    say(`   ${claimed / 1e6}. Off by one millionth and still caught: re-execution is bit-exact.`);
    say(`   receipt: matches = false; ${reExecution.name} failed; signature valid (a signed lie)`);

    // The watcher challenges with a bond, proves the model's output on the request's input, and
    // the dispute resolver decides at once (credit-risk has a ZK verifier; others go to a jury).
    await waitUntilStatus(found.requestId, [RequestStatus.Refunded], 120_000);
    const [challenged] = await devnet.hub.queryFilter(
      devnet.hub.filters.ResultChallenged(found.requestId),
    );
    assert.equal(challenged.args.challenger, watcher.address, "the watcher challenged");
    const daveAddress = await devnet.signer(dave).getAddress();
    assert.equal(await creditLine.creditLimitWei(daveAddress), 0n, "CreditLine did not act");
    const daveRefund = await creditLine.refundsWei(daveAddress);
    assert.ok(daveRefund > 0n, "Dave is refunded");
    const after = await balances();
    const { slashAmountWei, challengeBondWei } = await devnet.hub.disputeConfig();
    assert.equal(before.liarStake - after.liarStake, slashAmountWei, "the liar is slashed");
    const watcherShare = after.watcher - before.watcher - challengeBondWei;
    assert.equal(after.treasury - before.treasury + watcherShare, slashAmountWei);
    say(
      `   the watcher challenged with a ${formatEther(challengeBondWei)} ETH bond, proved the right`,
    );
    say("   output with a Groth16 proof, and the dispute resolver overturned the result at once:");
    say(
      `     liar's stake      ${formatEther(before.liarStake)} → ${formatEther(after.liarStake)} ETH (slashed)`,
    );
    say(
      `     watcher (hub)     ${formatEther(before.watcher)} → ${formatEther(after.watcher)} ETH (bond back + half the slash)`,
    );
    say(
      `     treasury (hub)    ${formatEther(before.treasury)} → ${formatEther(after.treasury)} ETH (the other half)`,
    );
    say(`     Dave's refund     ${formatEther(daveRefund)} ETH, claimable from CreditLine`);
    say("   CreditLine was told the request failed and never acted on the wrong answer.");
    rows.push({
      request: `#${found.requestId} Dave`,
      model: "credit-risk",
      mode: "ATTESTED",
      output: `PD ${pct(claimed)} (wrong)`,
      proofChecked: "re-run: MISMATCH; overturned by ZK proof",
      gas: gasOf(gasRequest, found),
      latency: seconds(latency),
    });
  }

  // ------------------------------------------------------------------------------ the table
  say("\nRequests (gas = the request transaction + the transaction that carried the result)");
  say(formatTable(rows));
}

/** Applies through CreditLine, which asks the hub; waits for the worker's result. */
async function applyForCredit(
  creditLine: CreditLine,
  account: number,
  features: number[],
  assignee: string,
  price: bigint,
): Promise<{ found: InferenceResult; gasRequest: bigint }> {
  const latest = await devnet!.provider.getBlock("latest");
  const tx = await creditLine
    .connect(devnet!.signer(account))
    .applyForCredit(encodeInput(credit, features), assignee, latest!.timestamp + 3600, {
      value: price,
    });
  const receipt = (await tx.wait())!;
  const { request } = parseRequestedEvent(receipt, await devnet!.hub.getAddress());
  assert.equal(request.callback, await creditLine.getAddress());
  assert.equal(request.proofMode, ProofMode.ATTESTED);
  const found = await waitForResult(client!, { requestId: request.id, timeoutMs: 30_000 });
  return { found, gasRequest: receipt.gasUsed };
}

/** Polls the hub until the request reaches one of `statuses`. */
async function waitUntilStatus(requestId: bigint, statuses: RequestStatus[], timeoutMs: number) {
  const until = Date.now() + timeoutMs;
  for (;;) {
    const status = Number(await devnet!.hub.requestStatus(requestId)) as RequestStatus;
    if (statuses.includes(status)) return;
    if (Date.now() > until) {
      throw new Error(`request #${requestId} still in status ${status} after ${timeoutMs} ms`);
    }
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

function assertVerified(receipt: VerificationReceipt, worker: string) {
  assert.equal(receipt.matches, true, receipt.summary);
  assert.equal(receipt.proof.signer, worker);
  assert.equal(receipt.model.hashMatches, true);
  assert.equal(receipt.environment.approved, true);
}

function verifiedLine(receipt: VerificationReceipt): string {
  return (
    `model hash ok, same output on re-run, EIP-712 signer ${short(receipt.proof.signer!)} ` +
    `staked on env ${short(receipt.environment.id)}`
  );
}

function gasOf(requestGas: bigint, found: InferenceResult): string {
  const resultGas = found.result?.submitted.gasUsed ?? 0n;
  return `${requestGas + resultGas}`;
}

/**
 * The ZK round: the credit-risk model has a Groth16 circuit (built by the devnet with an INSECURE
 * local powers of tau: development only) and a verifier bound in the registry. The worker proves
 * its answer, the hub checks the proof and settles in the same transaction, and verifyResult
 * re-runs the circuit's arithmetic and asks the same verifier again.
 */
async function zkRound(worker: string) {
  const t0 = performance.now();
  const features = credit.sampleInput(21);
  const sent = await requestInference(client!, {
    modelId: credit.modelId,
    input: features,
    proofMode: "ZK",
    assignee: worker,
  });
  const found = await waitForResult(client!, { requestId: sent.requestId, timeoutMs: 120_000 });
  const latency = performance.now() - t0;
  assert.equal(found.status, "Settled", "the ZK request settled at once");
  const receipt = await verifyResult(client!, { requestId: sent.requestId, runner: runner! });
  assert.equal(receipt.matches, true, receipt.summary);
  assert.equal(receipt.proof.kind, "Groth16 proof");
  const probability = found.result!.decoded!.values[0];
  say(
    `   request #${sent.requestId}: default probability ${pct(probability)}, settled in one transaction`,
  );
  say(`   (no challenge window: the proof is the guarantee, not the worker's stake)`);
  for (const check of receipt.checks.filter(
    (c) => c.name === "re-execution" || c.name === "proof",
  )) {
    say(`   verified: ${check.detail}`);
  }
  rows.push({
    request: `#${sent.requestId}`,
    model: "credit-risk",
    mode: "ZK",
    output: `PD ${pct(probability)}`,
    proofChecked: "hub: Groth16 on-chain; SDK: circuit re-run",
    gas: gasOf(sent.gasUsed, found),
    latency: seconds(latency),
  });
}

function formatTable(table: Row[]): string {
  const header: Row = {
    request: "request",
    model: "model",
    mode: "mode",
    output: "output",
    proofChecked: "proof checked where",
    gas: "gas",
    latency: "latency",
  };
  const keys = Object.keys(header) as (keyof Row)[];
  const all = [header, ...table];
  const widths = keys.map((key) => Math.max(...all.map((row) => row[key].length)));
  const line = (row: Row) =>
    keys
      .map((key, i) => row[key].padEnd(widths[i]))
      .join(" | ")
      .trimEnd();
  return [line(header), widths.map((w) => "-".repeat(w)).join("-|-"), ...table.map(line)].join(
    "\n",
  );
}
