/**
 * @verity/zk: Groth16 proofs of model inference, verified on-chain.
 *
 * - `compileOnnx` → `ZkProgram` (the layer IR), `generateCircuit` → circom source;
 * - `execute`: the reference executor, whose integer arithmetic is exactly the circuit's;
 * - `buildZkArtifacts` / `loadZkArtifacts`: circuit, powers of tau, Groth16 keys and the
 *   per-model Solidity verifier, cached by content hash;
 * - `ZkProver`: proves in a worker thread and returns `submitResult`'s output and proof;
 * - `deployZkModel`, `deployZkProofVerifier`, `checkZkCommitment`: on-chain setup with ethers.
 *
 * See docs/zk.md for the fixed-point semantics, the input binding, the setup's trust and limits.
 *
 * @example
 * const artifacts = await buildZkArtifacts(model.bytes, { cacheDir: ".cache/zk", insecureDevSetup: true });
 * const prover = new ZkProver();
 * const { output, proof } = await prover.prove(artifacts, { request, input, worker, chainId, hub });
 */
export * from "./binding.js";
export * from "./circuit.js";
export { CircomError, TOOLCHAIN, calculateWitness, compileCircom } from "./circom.js";
export * from "./deploy.js";
export * from "./errors.js";
// The circuit arithmetic lives with the executor that answers requests (@verity/runtime); it is
// part of this package's API too, since circuits and proofs are built from it.
export * from "@verity/runtime/circuit";
export * from "./prover.js";
export { PtauError, preparePtau, readPtauHeader, userPtau, writeInsecurePtau } from "./ptau.js";
export type { PtauFile } from "./ptau.js";
export * from "./setup.js";
export { encodeVerifyingKey, verifierContractName, verifyingKeyHash } from "./solidity.js";
export type { VerificationKey } from "./solidity.js";
