import { AbiCoder, getBytes, hexlify, keccak256, toUtf8Bytes } from "ethers";
import type { BytesLike } from "ethers";
import { buildPoseidon } from "circomlibjs";
import { SNARK_FIELD, toField } from "@verity/runtime/circuit";
import { SPONGE_RATE } from "./circuit.js";

/**
 * The commitment binding off-chain, mirroring contracts/zk (ZkProofVerifier.challenge and
 * ZkModelVerifier's Horner evaluation) and the circuit's sponge. See docs/zk.md.
 */

/** keccak256("Verity ZK challenge v1"): `ZkProofVerifier.CHALLENGE_DOMAIN`. */
export const CHALLENGE_DOMAIN = keccak256(toUtf8Bytes("Verity ZK challenge v1"));

const INT32_OFFSET = 2n ** 31n;

type Poseidon = Awaited<ReturnType<typeof buildPoseidon>>;
let poseidon: Promise<Poseidon> | undefined;

/**
 * The circuit's commitment c to its input: a Poseidon sponge (circomlib's permutation), 16
 * elements a call, each call's initial state the previous call's output, the first's zero.
 */
export async function spongeCommitment(elements: readonly bigint[]): Promise<bigint> {
  poseidon ??= buildPoseidon();
  const hash = await poseidon;
  let state: bigint | undefined;
  for (let start = 0; start < elements.length; start += SPONGE_RATE) {
    const chunk = elements.slice(start, start + SPONGE_RATE).map(toField);
    const out = hash(chunk, state ?? 0n, 1);
    state = hash.F.toObject(out) as bigint;
  }
  if (state === undefined) throw new Error("cannot commit to an empty input");
  return state;
}

/** v = Σ (e_k + 2^31)·r^k mod p over e = input ‖ output, as the circuit and the verifier compute it. */
export function evaluateBinding(
  input: readonly bigint[],
  output: readonly bigint[],
  challenge: bigint,
): bigint {
  let acc = 0n;
  for (const element of [...input, ...output].reverse()) {
    acc = (acc * challenge + element + INT32_OFFSET) % SNARK_FIELD;
  }
  return acc;
}

/** What the challenge binds: the proof is valid for this request, worker, hub and chain only. */
export interface ChallengeContext {
  chainId: bigint;
  hub: string;
  requestId: bigint;
  worker: string;
  outputHash: string;
}

/** `ZkProofVerifier.challenge`: keccak256 of the context and the commitment, reduced mod p. */
export function deriveChallenge(context: ChallengeContext, commitment: bigint): bigint {
  const encoded = AbiCoder.defaultAbiCoder().encode(
    ["bytes32", "uint256", "address", "uint256", "address", "bytes32", "uint256"],
    [
      CHALLENGE_DOMAIN,
      context.chainId,
      context.hub,
      context.requestId,
      context.worker,
      context.outputHash,
      commitment,
    ],
  );
  return BigInt(keccak256(encoded)) % SNARK_FIELD;
}

/** The `ZkProofVerifier.ZkProof` struct that `submitResult`'s `proof` argument encodes. */
export interface ZkProofPayload {
  /** Groth16 A, B, C in the EVM's order (see `groth16ToEvm`). */
  proof: bigint[];
  commitment: bigint;
  worker: string;
  input: BytesLike;
  output: BytesLike;
}

const PROOF_TUPLE =
  "tuple(uint256[8] proof, uint256 commitment, address worker, bytes input, bytes output)";

/** abi.encode(ZkProof): exactly the `proof` argument of `InferenceHub.submitResult`. */
export function encodeZkProof(payload: ZkProofPayload): string {
  if (payload.proof.length !== 8) throw new Error("a Groth16 proof is 8 words");
  return AbiCoder.defaultAbiCoder().encode(
    [PROOF_TUPLE],
    [
      [
        payload.proof,
        payload.commitment,
        payload.worker,
        hexlify(payload.input),
        hexlify(payload.output),
      ],
    ],
  );
}

/** Reads back `encodeZkProof`'s bytes. */
export function decodeZkProof(data: BytesLike): ZkProofPayload {
  const [tuple] = AbiCoder.defaultAbiCoder().decode([PROOF_TUPLE], getBytes(data));
  return {
    proof: Array.from(tuple[0] as bigint[]),
    commitment: tuple[1] as bigint,
    worker: tuple[2] as string,
    input: tuple[3] as string,
    output: tuple[4] as string,
  };
}

/** snarkjs's proof JSON as it comes out of `groth16.prove`. */
export interface SnarkjsProof {
  pi_a: string[];
  pi_b: string[][];
  pi_c: string[];
}

/** A, B, C as the EVM's pairing precompile takes them: G2 coordinates are (imaginary, real). */
export function groth16ToEvm(proof: SnarkjsProof): bigint[] {
  return [
    proof.pi_a[0],
    proof.pi_a[1],
    proof.pi_b[0][1],
    proof.pi_b[0][0],
    proof.pi_b[1][1],
    proof.pi_b[1][0],
    proof.pi_c[0],
    proof.pi_c[1],
  ].map((value) => BigInt(value));
}
