/** Messages between `ZkProver` and its worker thread. */
import type { ZkProof } from "../prover.js";

/** The part of `ZkModelArtifacts` the thread needs (plain data: it is structured-cloned). */
export interface ThreadArtifacts {
  modelId: string;
  binding: "commitment" | "public";
  outputShape: number[];
  paths: { dir: string; wasm: string; zkey: string; program: string };
}

export interface ProveJob {
  input: Uint8Array;
  requestId: bigint;
  inputHash: string;
  modelId: string;
  worker: string;
  chainId: bigint;
  hub: string;
}

export type ThreadRequest =
  | { id: number; kind: "load"; artifacts: ThreadArtifacts }
  | { id: number; kind: "prove"; artifacts: ThreadArtifacts; job: ProveJob };

/** What the thread returns for a proof: the public result plus the signals, for checking. */
export type ProveResult = ZkProof & { publicSignals: string[] };

export type ThreadResponse =
  | { id: number; ok: true; result?: ProveResult }
  | { id: number; ok: false; error: { name: string; message: string } };
