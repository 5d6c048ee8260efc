/**
 * The prover's worker thread: decodes the input, runs the reference executor, derives the binding
 * signals, computes the witness and the Groth16 proof, and encodes `submitResult`'s proof bytes.
 * Keeps each model's circuit, key and witness calculator in memory, and snarkjs's curve alive,
 * so only the first proof of a model pays for loading.
 */
import { readFile } from "node:fs/promises";
import { createRequire } from "node:module";
import os from "node:os";
import { join } from "node:path";
import { parentPort, workerData } from "node:worker_threads";
import { keccak256 } from "ethers";
import { decodeTensor, encodeTensor } from "@verity/contracts";
import * as snarkjs from "snarkjs";
import {
  deriveChallenge,
  encodeZkProof,
  evaluateBinding,
  groth16ToEvm,
  spongeCommitment,
} from "../binding.js";
import { packageRoot } from "../circom.js";
import { execute, parseProgram, toField, type ZkProgram } from "@verity/runtime/circuit";
import { ZkInputError } from "../errors.js";
import type {
  ProveJob,
  ProveResult,
  ThreadArtifacts,
  ThreadRequest,
  ThreadResponse,
} from "./protocol.js";

interface WitnessCalculator {
  calculateWTNSBin(input: Record<string, unknown>, sanityCheck?: boolean): Promise<Uint8Array>;
}

const port = parentPort!;
const { threads } = workerData as { threads?: number };
if (threads !== undefined) {
  // ffjavascript sizes its thread pool from os.cpus(): show it the share this prover may use.
  const cpus = os.cpus.bind(os);
  os.cpus = () => cpus().slice(0, Math.max(1, threads));
}

// snarkjs's own witness runtime (its ES module build), kept instantiated between proofs.
const requireFromSnarkjs = createRequire(join(packageRoot("snarkjs"), "package.json"));
const circomRuntimeRoot = packageRoot("circom_runtime", requireFromSnarkjs);
const circomRuntime = (await import(join(circomRuntimeRoot, "main.js"))) as {
  WitnessCalculatorBuilder(code: Uint8Array, options?: unknown): Promise<WitnessCalculator>;
};

interface LoadedModel {
  program: ZkProgram;
  zkey: Uint8Array;
  witness: WitnessCalculator;
}

const models = new Map<string, Promise<LoadedModel>>();

async function load(artifacts: ThreadArtifacts): Promise<{ model: LoadedModel; loadMs: number }> {
  const started = performance.now();
  let loading = models.get(artifacts.paths.dir);
  if (loading === undefined) {
    loading = (async () => {
      const [programJson, zkey, wasm] = await Promise.all([
        readFile(artifacts.paths.program, "utf8"),
        readFile(artifacts.paths.zkey),
        readFile(artifacts.paths.wasm),
      ]);
      return {
        program: parseProgram(programJson),
        zkey: new Uint8Array(zkey),
        witness: await circomRuntime.WitnessCalculatorBuilder(new Uint8Array(wasm)),
      };
    })();
    models.set(artifacts.paths.dir, loading);
    loading.catch(() => models.delete(artifacts.paths.dir));
  }
  const model = await loading;
  return { model, loadMs: performance.now() - started };
}

async function prove(artifacts: ThreadArtifacts, job: ProveJob): Promise<ProveResult> {
  const started = performance.now();
  const { model, loadMs } = await load(artifacts);
  const { program } = model;
  if (job.modelId.toLowerCase() !== artifacts.modelId.toLowerCase()) {
    throw new ZkInputError(
      `the request is for model ${job.modelId}; these artifacts prove ${artifacts.modelId}`,
    );
  }
  if (keccak256(job.input) !== job.inputHash.toLowerCase()) {
    throw new ZkInputError(`input bytes do not hash to the request's inputHash ${job.inputHash}`);
  }
  const tensor = decodeTensor(job.input);
  if (tensor.shape.join(",") !== program.inputShape.join(",")) {
    throw new ZkInputError(
      `input has shape [${tensor.shape}]; the model takes [${program.inputShape}]`,
    );
  }
  const x = tensor.values.map(BigInt);
  const { output: y } = execute(program, x);
  const output = encodeTensor(artifacts.outputShape, y);
  const outputHash = keccak256(output);

  let commitment = 0n;
  let expected: bigint[];
  const witnessInput: Record<string, unknown> = { x: x.map(toField) };
  if (artifacts.binding === "commitment") {
    commitment = await spongeCommitment(x);
    const r = deriveChallenge(
      {
        chainId: job.chainId,
        hub: job.hub,
        requestId: job.requestId,
        worker: job.worker,
        outputHash,
      },
      commitment,
    );
    witnessInput.r = r;
    expected = [commitment, evaluateBinding(x, y, r), r];
  } else {
    expected = [...y, ...x].map(toField);
  }

  const witnessStarted = performance.now();
  const witness = await model.witness.calculateWTNSBin(witnessInput, true);
  const groth16Started = performance.now();
  const { proof, publicSignals } = await snarkjs.groth16.prove(
    { type: "mem", data: model.zkey },
    { type: "mem", data: witness },
  );
  const finished = performance.now();
  if (
    publicSignals.length !== expected.length ||
    publicSignals.some((s, i) => BigInt(s) !== expected[i])
  ) {
    throw new Error(
      "the circuit's public signals differ from the reference executor's: " +
        `[${publicSignals}] vs [${expected}] (a compiler bug; please report it)`,
    );
  }
  return {
    output: new Uint8Array(Buffer.from(output.slice(2), "hex")),
    proof: encodeZkProof({
      proof: groth16ToEvm(proof),
      commitment,
      worker: job.worker,
      input: job.input,
      output,
    }),
    proveMs: finished - started,
    witnessMs: groth16Started - witnessStarted,
    groth16Ms: finished - groth16Started,
    loadMs,
    publicSignals,
  };
}

// One job at a time: proofs share the curve's thread pool.
let queue: Promise<unknown> = Promise.resolve();
port.on("message", (request: ThreadRequest) => {
  queue = queue.then(async () => {
    let response: ThreadResponse;
    try {
      if (request.kind === "load") {
        await load(request.artifacts);
        response = { id: request.id, ok: true };
      } else {
        response = {
          id: request.id,
          ok: true,
          result: await prove(request.artifacts, request.job),
        };
      }
    } catch (error) {
      const { name, message } = error instanceof Error ? error : new Error(String(error));
      response = { id: request.id, ok: false, error: { name, message } };
    }
    port.postMessage(response);
  });
});
