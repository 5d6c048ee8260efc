import { createHash, randomBytes } from "node:crypto";
import { mkdir, readFile, rename, rm, stat, writeFile } from "node:fs/promises";
import { join, resolve } from "node:path";
import { decodeOnnx } from "@verity/models";
import * as snarkjs from "snarkjs";
import { CIRCOM_FLAGS, TOOLCHAIN, compileCircom } from "./circom.js";
import { generateCircuit } from "./circuit.js";
import type { ZkBinding } from "./circuit.js";
import { compileOnnx, parseProgram, serializeProgram } from "@verity/runtime/circuit";
import type { ZkProgram } from "@verity/runtime/circuit";
import { insecureDevPtau, userPtau } from "./ptau.js";
import type { PtauFile } from "./ptau.js";
import { verifierContractName, verifierSource, verifyingKeyHash } from "./solidity.js";
import type { VerificationKey } from "./solidity.js";

/** Bumped whenever the compiler's output changes for the same model: part of the circuit hash. */
export const COMPILER_VERSION = "verity-zk/1";

/** Everything a prover and a deployer need for one model, as `buildZkArtifacts` leaves it in the cache. */
export interface ZkModelArtifacts {
  /** 0x-prefixed SHA-256 of the ONNX bytes: the model's registry id. */
  modelId: string;
  name: string;
  decimals: number;
  binding: ZkBinding;
  inputShape: number[];
  outputShape: number[];
  /** SHA-256 over the circuit source, the compiler version and the toolchain. */
  circuitHash: string;
  /** keccak256 of the verifying key as the verifier contract encodes it. */
  verifyingKeyHash: string;
  contractName: string;
  /** Solidity source of the per-model verifier; its unit name is `verifierSourceName`. */
  verifierSource: string;
  verifierSourceName: string;
  /** True when the powers of tau were generated locally: development only, never production. */
  insecureSetup: boolean;
  ptauHash: string;
  ptauPower: number;
  constraints: number;
  publicSignals: number;
  /** How long each step took when these artifacts were built (a cache hit costs none of it). */
  timings: { compileMs: number; ptauMs: number; zkeyMs: number };
  paths: {
    dir: string;
    circuit: string;
    r1cs: string;
    wasm: string;
    program: string;
    zkey: string;
    verificationKey: string;
    verifier: string;
  };
}

export interface BuildZkArtifactsOptions {
  /** Cache root, e.g. `<repo>/.cache/zk` (gitignored). */
  cacheDir: string;
  /** A prepared powers-of-tau file (production: a public ceremony's). Takes precedence. */
  ptauPath?: string;
  /** Without `ptauPath`: generate (once, cached) a local powers of tau. INSECURE, development only. */
  insecureDevSetup?: boolean;
  onProgress?: (step: string) => void;
  /** The model's registered fixed-point decimals (default 6, the sample models'). */
  decimals?: number;
  /** Default: `chooseBinding` by the model's input and output sizes. */
  binding?: ZkBinding;
}

/** No way to run the setup with the options given. */
export class ZkSetupError extends Error {
  override name = "ZkSetupError";
}

/**
 * The binding for a model of `inputs` and `outputs` elements: always the commitment binding. The
 * public binding (every element a public signal) was cheaper to verify below three elements, but
 * its proof names no request and no worker, so a front-runner could copy it and take the reward;
 * the registry refuses a public-binding verifier. It can still be built on request (`binding:
 * "public"`) for off-chain measurement.
 */
export function chooseBinding(_inputs: number, _outputs: number): ZkBinding {
  return "commitment";
}

function sha256Hex(data: string | Uint8Array): string {
  return `0x${createHash("sha256").update(data).digest("hex")}`;
}

/** The ptau power snarkjs needs for a circuit: the smallest 2^k above constraints + public signals. */
export function requiredPower(constraints: number, publicSignals: number): number {
  return Math.floor(Math.log2(constraints + publicSignals)) + 1;
}

async function exists(path: string): Promise<boolean> {
  try {
    await stat(path);
    return true;
  } catch {
    return false;
  }
}

/** Builds `dir` through `build(tmp)` in a scratch directory renamed into place, unless it exists. */
async function buildOnce(dir: string, build: (tmp: string) => Promise<void>): Promise<boolean> {
  if (await exists(dir)) return false;
  const tmp = `${dir}.tmp-${process.pid}-${randomBytes(4).toString("hex")}`;
  await mkdir(tmp, { recursive: true });
  try {
    await build(tmp);
    await rename(tmp, dir);
  } catch (error) {
    await rm(tmp, { recursive: true, force: true });
    // Another process finished the same directory first: theirs is as good as ours.
    if (await exists(dir)) return false;
    throw error;
  }
  return true;
}

/**
 * Compiles a model to a circuit, runs the Groth16 setup and writes the per-model Solidity
 * verifier, caching every step by content hash under `cacheDir`: nothing is rebuilt that has not
 * changed. Terminates snarkjs's worker threads before returning.
 *
 * @throws ZkCompileError for an operator or shape the compiler does not handle (naming the node),
 * ZkSetupError when no powers of tau is given and `insecureDevSetup` is not set.
 */
export async function buildZkArtifacts(
  modelBytes: Uint8Array,
  options: BuildZkArtifactsOptions,
): Promise<ZkModelArtifacts> {
  const progress = options.onProgress ?? (() => {});
  if (options.ptauPath === undefined && options.insecureDevSetup !== true) {
    throw new ZkSetupError(
      "no powers of tau: pass ptauPath (a prepared public ceremony file, e.g. " +
        "powersOfTau28_hez_final_<power>.ptau) or insecureDevSetup: true for development",
    );
  }
  const cacheDir = resolve(options.cacheDir);
  const modelId = sha256Hex(modelBytes);
  const decimals = options.decimals ?? 6;
  const graph = decodeOnnx(modelBytes);
  const program = compileOnnx(graph, decimals);
  const binding = options.binding ?? chooseBinding(program.sizes[0], program.sizes[program.output]);
  const { source } = generateCircuit(program, binding);
  const circuitHash = sha256Hex(
    JSON.stringify({
      compiler: COMPILER_VERSION,
      toolchain: TOOLCHAIN,
      flags: CIRCOM_FLAGS,
      source,
    }),
  );

  // 1. Circuit: source, r1cs, witness generator, program.
  const circuitDir = join(cacheDir, "circuits", circuitHash.slice(2));
  let compileMs = 0;
  await buildOnce(circuitDir, async (tmp) => {
    progress(
      `compiling circuit ${circuitHash.slice(0, 18)} for "${program.name}" (${binding} binding)`,
    );
    const started = Date.now();
    await writeFile(join(tmp, "circuit.circom"), source);
    await writeFile(join(tmp, "program.json"), serializeProgram(program));
    await compileCircom(join(tmp, "circuit.circom"), tmp);
    const info = await snarkjs.r1cs.info(join(tmp, "circuit.r1cs"));
    compileMs = Date.now() - started;
    await writeFile(
      join(tmp, "info.json"),
      JSON.stringify({
        constraints: info.nConstraints,
        publicSignals: info.nPubInputs + info.nOutputs,
        compileMs,
      }),
    );
  });
  const info = JSON.parse(await readFile(join(circuitDir, "info.json"), "utf8")) as {
    constraints: number;
    publicSignals: number;
    compileMs: number;
  };
  compileMs = info.compileMs;
  const power = requiredPower(info.constraints, info.publicSignals);

  // 2. Powers of tau.
  const ptauStarted = Date.now();
  let ptau: PtauFile;
  if (options.ptauPath !== undefined) {
    ptau = await userPtau(options.ptauPath, power);
  } else {
    progress(`INSECURE development setup for "${program.name}": local powers of tau 2^${power}`);
    ptau = await insecureDevPtau(join(cacheDir, "ptau"), power, progress);
  }
  const ptauMs = Date.now() - ptauStarted;

  // 3. Groth16 keys and the Solidity verifier.
  const setupDir = join(
    cacheDir,
    "setups",
    `${circuitHash.slice(2, 18)}-${ptau.hash.slice(2, 18)}`,
  );
  const contractName = verifierContractName(program.name, modelId);
  const verifierSourceName = `contracts/zk/generated/${contractName}.sol`;
  await buildOnce(setupDir, async (tmp) => {
    progress(
      `Groth16 setup for "${program.name}" (${info.constraints} constraints, ptau 2^${ptau.power}` +
        `${ptau.insecure ? ", INSECURE dev" : ""})`,
    );
    const started = Date.now();
    const initial = join(tmp, "circuit.0.zkey");
    await snarkjs.zKey.newZKey(join(circuitDir, "circuit.r1cs"), ptau.path, initial);
    // Phase 2: one contribution with fresh randomness (see docs/zk.md on its trust).
    await snarkjs.zKey.contribute(
      initial,
      join(tmp, "circuit.zkey"),
      "verity phase 2",
      randomBytes(64).toString("hex"),
    );
    await rm(initial);
    const key = (await snarkjs.zKey.exportVerificationKey(
      join(tmp, "circuit.zkey"),
    )) as VerificationKey;
    const zkeyMs = Date.now() - started;
    await writeFile(join(tmp, "verification_key.json"), JSON.stringify(key, null, 2));
    const artifacts = {
      modelId,
      name: program.name,
      decimals,
      binding,
      inputShape: program.inputShape,
      outputShape: program.outputShape,
      circuitHash,
      verifyingKeyHash: verifyingKeyHash(key),
      contractName,
      verifierSourceName,
      insecureSetup: ptau.insecure,
      ptauHash: ptau.hash,
      ptauPower: ptau.power,
      constraints: info.constraints,
      publicSignals: info.publicSignals,
      timings: { compileMs, ptauMs, zkeyMs },
    };
    await writeFile(
      join(tmp, `${contractName}.sol`),
      verifierSource({
        contractName,
        modelName: program.name,
        modelId,
        binding,
        circuitHash,
        insecureSetup: ptau.insecure,
        inputShape: program.inputShape,
        outputShape: program.outputShape,
        key,
      }),
    );
    await writeFile(join(tmp, "artifacts.json"), JSON.stringify(artifacts, null, 2));
  });
  await terminateCurve();

  const artifacts = await readArtifacts(setupDir, circuitDir);
  if (artifacts.modelId !== modelId) {
    // The same circuit can serve two byte-different ONNX files (e.g. a bumped model_version).
    artifacts.modelId = modelId;
  }
  await recordBuild(cacheDir, modelId, binding, { setupDir, circuitDir });
  progress(
    `ZK artifacts for "${program.name}" ready: ${artifacts.contractName}, ${artifacts.constraints} ` +
      `constraints${artifacts.insecureSetup ? ", INSECURE dev setup" : ""}`,
  );
  return artifacts;
}

interface IndexEntry {
  setupDir: string;
  circuitDir: string;
}

/** `<cacheDir>/models/<id>.json`: the last build of a model, per binding. */
type ModelIndex = Partial<Record<ZkBinding, IndexEntry>>;

const indexPath = (cacheDir: string, modelId: string) =>
  join(cacheDir, "models", `${modelId.toLowerCase().replace(/^0x/, "")}.json`);

async function readIndex(cacheDir: string, modelId: string): Promise<ModelIndex> {
  try {
    return JSON.parse(await readFile(indexPath(cacheDir, modelId), "utf8")) as ModelIndex;
  } catch {
    return {};
  }
}

async function recordBuild(
  cacheDir: string,
  modelId: string,
  binding: ZkBinding,
  entry: IndexEntry,
): Promise<void> {
  const index = { ...(await readIndex(cacheDir, modelId)), [binding]: entry };
  await mkdir(join(cacheDir, "models"), { recursive: true });
  const path = indexPath(cacheDir, modelId);
  const tmp = `${path}.${process.pid}.tmp`;
  await writeFile(tmp, JSON.stringify(index, null, 2));
  await rename(tmp, path);
}

async function readArtifacts(setupDir: string, circuitDir: string): Promise<ZkModelArtifacts> {
  const stored = JSON.parse(await readFile(join(setupDir, "artifacts.json"), "utf8")) as Omit<
    ZkModelArtifacts,
    "paths" | "verifierSource"
  >;
  const verifier = join(setupDir, `${stored.contractName}.sol`);
  return {
    ...stored,
    verifierSource: await readFile(verifier, "utf8"),
    paths: {
      dir: setupDir,
      circuit: join(circuitDir, "circuit.circom"),
      r1cs: join(circuitDir, "circuit.r1cs"),
      wasm: join(circuitDir, "circuit_js", "circuit.wasm"),
      program: join(circuitDir, "program.json"),
      zkey: join(setupDir, "circuit.zkey"),
      verificationKey: join(setupDir, "verification_key.json"),
      verifier,
    },
  };
}

/**
 * The artifacts `buildZkArtifacts` last built for `modelId` in `cacheDir` with `binding` (by
 * default the one `chooseBinding` picks for the model's size, else whichever exists), or
 * undefined when there are none (or their files were removed).
 */
export async function loadZkArtifacts(
  cacheDir: string,
  modelId: string,
  binding?: ZkBinding,
): Promise<ZkModelArtifacts | undefined> {
  const index = await readIndex(resolve(cacheDir), modelId);
  const load = async (entry: IndexEntry | undefined) => {
    if (entry === undefined) return undefined;
    try {
      const artifacts = await readArtifacts(entry.setupDir, entry.circuitDir);
      artifacts.modelId = modelId.toLowerCase();
      return artifacts;
    } catch {
      return undefined;
    }
  };
  if (binding !== undefined) return load(index[binding]);
  const any = (await load(index.commitment)) ?? (await load(index.public));
  if (any === undefined || index[preferredBinding(any)] === undefined) return any;
  return load(index[preferredBinding(any)]);
}

function preferredBinding(artifacts: ZkModelArtifacts): ZkBinding {
  const count = (shape: number[]) => shape.reduce((a, b) => a * b, 1);
  return chooseBinding(count(artifacts.inputShape), count(artifacts.outputShape));
}

/** The compiled program of `artifacts`, for the reference executor. */
export async function loadProgram(artifacts: ZkModelArtifacts): Promise<ZkProgram> {
  return parseProgram(await readFile(artifacts.paths.program, "utf8"));
}

/**
 * Stops the worker threads snarkjs's curve keeps alive (otherwise the process never exits).
 * Safe to call when no curve was built.
 */
export async function terminateCurve(): Promise<void> {
  const global = globalThis as { curve_bn128?: { terminate(): Promise<void> } | null };
  await global.curve_bn128?.terminate();
}
