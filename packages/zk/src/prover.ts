import { Worker } from "node:worker_threads";
import { MalformedTensorError } from "@verity/contracts";
import type { Request } from "@verity/contracts";
import { ZkInputError } from "./errors.js";
import { ZkRangeError } from "@verity/runtime/circuit";
import type { ZkModelArtifacts } from "./setup.js";
import type {
  ProveResult,
  ThreadArtifacts,
  ThreadRequest,
  ThreadResponse,
} from "./thread/protocol.js";

export interface ZkProveJob {
  /** The request as the hub committed to it. */
  request: Request;
  /** The request's input tensor bytes (from `InferenceRequested`). */
  input: Uint8Array;
  /** The account the reward is paid to; the proof is valid for it alone. */
  worker: string;
  chainId: bigint;
  /** The hub that will call the ZK verifier; the proof is valid on it alone. */
  hub: string;
}

export interface ZkProof {
  /** The output tensor in the canonical encoding: `submitResult`'s `output`. */
  output: Uint8Array;
  /** Hex: exactly `submitResult`'s `proof` (abi-encoded `ZkProofVerifier.ZkProof`). */
  proof: string;
  /**
   * Time in the prover thread for this job, from receiving it to the encoded proof: decode,
   * execute, commit, witness, Groth16, encode. A cold first proof includes `loadMs` and building
   * snarkjs's curve.
   */
  proveMs: number;
  witnessMs: number;
  groth16Ms: number;
  /** Loading the model's circuit and key into the thread for this job (0 when already loaded). */
  loadMs: number;
}

/** Errors the thread reports are rebuilt with their class, so callers can map them to failures. */
const ERRORS: Record<string, new (message: string) => Error> = {
  ZkRangeError,
  ZkInputError,
  MalformedTensorError,
};

function threadArtifacts(artifacts: ZkModelArtifacts): ThreadArtifacts {
  return {
    modelId: artifacts.modelId,
    binding: artifacts.binding,
    outputShape: artifacts.outputShape,
    paths: {
      dir: artifacts.paths.dir,
      wasm: artifacts.paths.wasm,
      zkey: artifacts.paths.zkey,
      program: artifacts.paths.program,
    },
  };
}

/**
 * Proves inference for the worker, off the event loop: one worker thread holds the circuits, the
 * keys and snarkjs's curve (with its own pool of `threads` threads) and proves one job at a time.
 *
 * Errors: `ZkInputError` (not the request's input, or the wrong shape), `MalformedTensorError`
 * (undecodable input), `ZkRangeError` (a value outside int32: the circuit has no witness).
 *
 * @example
 * const prover = new ZkProver();
 * const { output, proof, proveMs } = await prover.prove(artifacts, { request, input, worker, chainId, hub });
 * await hub.submitResult(request, output, environmentId, proof);
 * await prover.close();
 */
export class ZkProver {
  readonly #threads: number | undefined;
  #thread: Worker | undefined;
  #nextId = 1;
  readonly #pending = new Map<
    number,
    { resolve: (r?: ProveResult) => void; reject: (e: Error) => void }
  >();

  /** `threads`: size of snarkjs's thread pool (default: every core). */
  constructor(options: { threads?: number } = {}) {
    this.#threads = options.threads;
  }

  /** Loads a model into the prover thread ahead of its first proof. */
  async load(artifacts: ZkModelArtifacts): Promise<void> {
    await this.#send({ id: 0, kind: "load", artifacts: threadArtifacts(artifacts) });
  }

  async prove(artifacts: ZkModelArtifacts, job: ZkProveJob): Promise<ZkProof> {
    const result = await this.#send({
      id: 0,
      kind: "prove",
      artifacts: threadArtifacts(artifacts),
      job: {
        input: job.input,
        requestId: job.request.id,
        inputHash: job.request.inputHash,
        modelId: job.request.modelId,
        worker: job.worker,
        chainId: job.chainId,
        hub: job.hub,
      },
    });
    const { output, proof, proveMs, witnessMs, groth16Ms, loadMs } = result!;
    return { output, proof, proveMs, witnessMs, groth16Ms, loadMs };
  }

  /** Stops the prover thread (and snarkjs's threads with it). Pending jobs are rejected. */
  async close(): Promise<void> {
    const thread = this.#thread;
    this.#thread = undefined;
    if (thread !== undefined) await thread.terminate();
  }

  #send(request: ThreadRequest): Promise<ProveResult | undefined> {
    const thread = this.#start();
    const id = this.#nextId++;
    return new Promise((resolve, reject) => {
      this.#pending.set(id, { resolve, reject });
      thread.postMessage({ ...request, id });
    });
  }

  #start(): Worker {
    if (this.#thread !== undefined) return this.#thread;
    const thread = new Worker(new URL("./thread/entry.mjs", import.meta.url), {
      workerData: { threads: this.#threads },
    });
    thread.on("message", (response: ThreadResponse) => {
      const pending = this.#pending.get(response.id);
      if (pending === undefined) return;
      this.#pending.delete(response.id);
      if (response.ok) {
        pending.resolve(response.result);
      } else {
        const ErrorClass = ERRORS[response.error.name] ?? Error;
        pending.reject(new ErrorClass(response.error.message));
      }
    });
    const failAll = (error: Error) => {
      for (const { reject } of this.#pending.values()) reject(error);
      this.#pending.clear();
      if (this.#thread === thread) this.#thread = undefined;
    };
    thread.on("error", failAll);
    thread.on("exit", (code) => failAll(new Error(`the prover thread exited (code ${code})`)));
    this.#thread = thread;
    return thread;
  }
}
