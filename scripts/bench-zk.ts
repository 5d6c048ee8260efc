/**
 * ZK benchmark: for each sample model and each input binding, the circuit size, the setup time,
 * cold and warm proving time, the proof's size, and the gas to verify and to settle on Hardhat's
 * EVM through InferenceHub + ZkProofVerifier. Writes `reports/zk-bench.json` and prints a table.
 *
 *   pnpm bench:zk                          INSECURE local powers of tau (cached in .cache/zk)
 *   VERITY_ZK_PTAU=<file.ptau> pnpm bench:zk   a prepared ceremony file instead
 *   VERITY_ZK_BENCH_MODELS=mnist-mlp VERITY_ZK_BENCH_BINDINGS=commitment pnpm bench:zk
 *                                          a subset (prints, does not write the report)
 *
 * The first run builds everything: a 2^16 powers of tau (about 3 minutes on 2 cores) and the
 * circuits and keys (see `setupMs`); later runs reuse the cache. Gas is steady state (worker and
 * model owner already credited once), as in `pnpm gas`. The public-signal binding of the MNIST
 * model needs a verifier larger than EIP-170's 24 KiB, so its network allows unlimited contract
 * size: that figure is for comparison only and could not be deployed on a public chain.
 */
import { cpus, loadavg } from "node:os";
import { mkdir, writeFile } from "node:fs/promises";
import { fileURLToPath } from "node:url";
import { network } from "hardhat";
import { Wallet, ZeroAddress, ZeroHash, getBytes, keccak256 } from "ethers";
import type { Signer } from "ethers";
import { openCanonicalSession } from "@verity/runtime";
import {
  IZkModelVerifier__factory,
  InferenceHub__factory,
  ModelRegistry__factory,
  ProofMode,
  ZkProofVerifier__factory,
  encodeTensor,
  executeThroughTimelock,
  parseRequestedEvent,
  proofModesMask,
  dequantize,
  quantize,
} from "@verity/contracts";
import type { Request } from "@verity/contracts";
import { SAMPLE_MODEL_NAMES, sampleModel } from "@verity/models";
import type { SampleModel } from "@verity/models";
import {
  ZkProver,
  buildZkArtifacts,
  chooseBinding,
  compileOnnx,
  decodeZkProof,
  deployZkModel,
  deployZkProofVerifier,
  deriveChallenge,
  execute,
} from "@verity/zk";
import type { ZkBinding, ZkModelArtifacts } from "@verity/zk";
import VerityModule from "../deploy/modules/Verity.js";

const CACHE_DIR = fileURLToPath(new URL("../.cache/zk/", import.meta.url));
const REPORT = new URL("../reports/zk-bench.json", import.meta.url);
const PTAU = process.env.VERITY_ZK_PTAU;
const ONLY_MODELS = process.env.VERITY_ZK_BENCH_MODELS?.split(",");
const ONLY_BINDINGS = process.env.VERITY_ZK_BENCH_BINDINGS?.split(",");
const WARM_RUNS = 5;
const ACCURACY_INPUTS = 20;
const TARGETS: Record<string, { settleGas: number; warmProveMs?: number }> = {
  "credit-risk": { settleGas: 300_000 },
  "mnist-mlp": { settleGas: 320_000, warmProveMs: 500 },
};

interface Figures {
  binding: ZkBinding;
  constraints: number;
  publicSignals: number;
  ptauPower: number;
  insecureSetup: boolean;
  /** Compile + powers of tau + Groth16 keys, when first built (the ptau may have been shared). */
  setupMs: number;
  setupBreakdownMs: { compile: number; ptau: number; zkey: number };
  proveMs: { cold: number; warm: number };
  /** The `proof` argument of submitResult (Groth16 proof, commitment, worker, input, output). */
  proofBytes: number;
  /** The model verifier's verifyInference, as eth_estimateGas less the 21,000 base. */
  verifyGas: number;
  /** ZkProofVerifier.verify as the hub calls it, as eth_estimateGas less the 21,000 base. */
  adapterGas: number;
  /** The whole submitResult transaction (receipt gasUsed), steady state. */
  settleGas: number;
  /** Largest |fixed-point result − onnxruntime float32| over the sample inputs, in real units. */
  maxAbsErrorVsOnnxruntime: number;
  /** Resident memory of the whole process (prover thread included) after the warm proofs. */
  rssMB: number;
}

const progress = (step: string) => console.log(`  ${step}`);
const median = (values: number[]) =>
  [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)];
const round = (value: number) => Math.round(value * 10) / 10;

async function accuracy(model: SampleModel): Promise<number> {
  const program = compileOnnx(model.graph, model.decimals);
  const session = await openCanonicalSession(model.bytes);
  let worst = 0;
  for (let seed = 0; seed < ACCURACY_INPUTS; seed++) {
    const x = quantize(model.sampleInput(seed), model.decimals);
    const input = Float32Array.from(dequantize(x, model.decimals));
    const expected = (await session.run(input, model.inputShape)).output;
    const actual = dequantize(execute(program, x).output.map(Number), model.decimals);
    actual.forEach((value, i) => (worst = Math.max(worst, Math.abs(value - expected[i]))));
  }
  await session.release();
  return worst;
}

async function measureOnChain(
  model: SampleModel,
  artifacts: ZkModelArtifacts,
  prover: ZkProver,
): Promise<{ verifyGas: number; adapterGas: number; settleGas: number; proofBytes: number }> {
  const { ethers, networkHelpers, ignition } = await network.create({
    override: { allowUnlimitedContractSize: true },
  });
  const [admin, modelOwner, requester, relayer] = (await ethers.getSigners()) as Signer[];
  const verity = await ignition.deploy(VerityModule, {
    parameters: { Verity: { timelockMinDelaySeconds: 0n } },
  });
  const hub = InferenceHub__factory.connect(await verity.inferenceHub.getAddress(), admin);
  const models = ModelRegistry__factory.connect(await verity.modelRegistry.getAddress(), admin);
  const hubAddress = await hub.getAddress();
  const zkVerifier = ZkProofVerifier__factory.connect(
    await deployZkProofVerifier(admin, await models.getAddress()),
    admin,
  );
  await executeThroughTimelock(verity.timelock, admin, hub, "setProofVerifier", [
    ProofMode.ZK,
    await zkVerifier.getAddress(),
  ]);
  await (
    await models.connect(modelOwner).registerModel(model.modelId, {
      uri: `file://models/${model.name}.onnx`,
      inputShape: model.inputShape,
      outputShape: model.outputShape,
      decimals: model.decimals,
      feeWei: 10n ** 15n,
      proofModes: proofModesMask(ProofMode.ZK),
      previousVersion: ZeroHash,
    })
  ).wait();
  const { verifier } = await deployZkModel(modelOwner, await models.getAddress(), artifacts);
  const chainId = (await ethers.provider.getNetwork()).chainId;
  const worker = Wallet.createRandom().address;

  const requestAndProve = async (seed: number) => {
    const input = encodeTensor(model.inputShape, quantize(model.sampleInput(seed), model.decimals));
    const deadline = BigInt(await networkHelpers.time.latest()) + 3600n;
    const tx = await hub
      .connect(requester)
      .requestInference(model.modelId, input, ProofMode.ZK, ZeroAddress, ZeroAddress, 0, deadline, {
        value: await hub.quote(model.modelId, 0),
      });
    const { request } = parseRequestedEvent((await tx.wait())!, hub);
    const proved = await prover.prove(artifacts, {
      request,
      input: getBytes(input),
      worker,
      chainId,
      hub: hubAddress,
    });
    return { request, input, ...proved };
  };
  const settle = async (request: Request, output: Uint8Array, proof: string) => {
    const receipt = await (
      await hub.connect(relayer).submitResult(request, output, ZeroHash, proof)
    ).wait();
    return Number(receipt!.gasUsed);
  };

  // Warm up: credit the worker and the model owner once, as on a live deployment.
  const warm = await requestAndProve(100);
  await settle(warm.request, warm.output, warm.proof);

  const { request, input, output, proof } = await requestAndProve(101);
  const payload = decodeZkProof(proof);
  const outputHash = keccak256(output);
  const r = deriveChallenge(
    { chainId, hub: hubAddress, requestId: request.id, worker, outputHash },
    payload.commitment,
  );
  const modelVerifier = IZkModelVerifier__factory.connect(verifier, admin);
  const verifyGas =
    Number(
      await modelVerifier.verifyInference.estimateGas(
        payload.proof as unknown as Parameters<typeof modelVerifier.verifyInference>[0],
        payload.commitment,
        r,
        input,
        output,
      ),
    ) - 21_000;
  // As the hub calls it: the challenge binds msg.sender, so estimate from the hub's address.
  const adapterGas =
    Number(
      await ethers.provider.estimateGas({
        from: hubAddress,
        to: await zkVerifier.getAddress(),
        data: zkVerifier.interface.encodeFunctionData("verify", [request, outputHash, proof]),
      }),
    ) - 21_000;
  const settleGas = await settle(request, output, proof);
  return { verifyGas, adapterGas, settleGas, proofBytes: getBytes(proof).length };
}

async function bench(model: SampleModel, binding: ZkBinding): Promise<Figures> {
  console.log(`${model.name}, ${binding} binding`);
  const artifacts: ZkModelArtifacts = await buildZkArtifacts(model.bytes, {
    cacheDir: CACHE_DIR,
    decimals: model.decimals,
    binding,
    onProgress: progress,
    ...(PTAU === undefined ? { insecureDevSetup: true } : { ptauPath: PTAU }),
  });
  const prover = new ZkProver();
  try {
    const job = (seed: number) => {
      const input = encodeTensor(
        model.inputShape,
        quantize(model.sampleInput(seed), model.decimals),
      );
      const request = {
        id: BigInt(seed),
        modelId: model.modelId,
        inputHash: keccak256(input),
      } as Request;
      return {
        request,
        input: getBytes(input),
        worker: Wallet.createRandom().address,
        chainId: 31337n,
        hub: Wallet.createRandom().address,
      };
    };
    const cold = (await prover.prove(artifacts, job(0))).proveMs;
    const warm: number[] = [];
    for (let seed = 1; seed <= WARM_RUNS; seed++)
      warm.push((await prover.prove(artifacts, job(seed))).proveMs);
    const rssMB = Math.round(process.memoryUsage().rss / 1e6);
    const chain = await measureOnChain(model, artifacts, prover);
    const { compileMs, ptauMs, zkeyMs } = artifacts.timings;
    return {
      binding,
      constraints: artifacts.constraints,
      publicSignals: artifacts.publicSignals,
      ptauPower: artifacts.ptauPower,
      insecureSetup: artifacts.insecureSetup,
      setupMs: compileMs + ptauMs + zkeyMs,
      setupBreakdownMs: { compile: compileMs, ptau: ptauMs, zkey: zkeyMs },
      proveMs: { cold: round(cold), warm: round(median(warm)) },
      ...chain,
      maxAbsErrorVsOnnxruntime: await accuracy(model),
      rssMB,
    };
  } finally {
    await prover.close();
  }
}

// Other processes on the machine slow proving down: the report records the load around the run.
const loadAtStart = loadavg().map(round);
const report: Record<string, unknown> = {
  machine: { cpus: cpus().length, cpu: cpus()[0]?.model, node: process.version },
  setup:
    PTAU === undefined
      ? "INSECURE local powers of tau (development only)"
      : `ceremony file ${PTAU}`,
  models: {} as Record<string, unknown>,
};
const rows: Record<string, unknown>[] = [];
for (const name of SAMPLE_MODEL_NAMES.filter((n) => ONLY_MODELS?.includes(n) ?? true)) {
  const model = sampleModel(name);
  const elements = model.inputShape.reduce((a, b) => a * b, 1);
  const outputs = model.outputShape.reduce((a, b) => a * b, 1);
  const chosen = chooseBinding(elements, outputs);
  const bindings: Partial<Record<ZkBinding, Figures>> = {};
  for (const binding of (["commitment", "public"] as const).filter(
    (b) => ONLY_BINDINGS?.includes(b) ?? true,
  )) {
    bindings[binding] = await bench(model, binding);
    rows.push({
      model: name,
      ...bindings[binding],
      setupBreakdownMs: undefined,
      proveMs: undefined,
      coldMs: bindings[binding]!.proveMs.cold,
      warmMs: bindings[binding]!.proveMs.warm,
    });
  }
  (report.models as Record<string, unknown>)[name] = { ...(bindings[chosen] ?? {}), bindings };
}

console.table(rows);
for (const [name, target] of Object.entries(TARGETS)) {
  const figures = (report.models as Record<string, Figures | undefined>)[name];
  if (figures === undefined) continue;
  const check = (what: string, value: number, limit: number) =>
    console.log(
      `${value <= limit ? "meets " : "MISSES"} ${name} ${what}: ${value} (target ${limit})`,
    );
  check("settleGas", figures.settleGas, target.settleGas);
  if (target.warmProveMs !== undefined)
    check("warm proveMs", figures.proveMs.warm, target.warmProveMs);
}
report.loadAverage = { start: loadAtStart, end: loadavg().map(round) };
if (ONLY_MODELS === undefined && ONLY_BINDINGS === undefined) {
  await mkdir(new URL("../reports/", import.meta.url), { recursive: true });
  await writeFile(REPORT, `${JSON.stringify(report, null, 2)}\n`);
  console.log("wrote reports/zk-bench.json");
}
