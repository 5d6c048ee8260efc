/**
 * The protocol's Solidity enums as plain numbers, in declaration order
 * (packages/solidity/types/Inference.sol and IModelRegistry). ethers decodes a `uint8` enum as a
 * `bigint`: compare with `Number(value)`.
 */

/** How a result proves it was computed correctly. Also a bit index in a model's `proofModes`. */
export const ProofMode = { ATTESTED: 0, ZK: 1, QUORUM: 2 } as const;
export type ProofMode = (typeof ProofMode)[keyof typeof ProofMode];

/** Where a request is in its lifecycle (the low byte of its on-chain commitment). */
export const RequestStatus = {
  None: 0,
  Pending: 1,
  Submitted: 2,
  Challenged: 3,
  Settled: 4,
  Refunded: 5,
  Failed: 6,
} as const;
export type RequestStatus = (typeof RequestStatus)[keyof typeof RequestStatus];

/** Why a worker could not run a request: the input did not fit the model, or the model could not run. */
export const FailureReason = {
  None: 0,
  InputShapeMismatch: 1,
  InputUndecodable: 2,
  InputOutOfRange: 3,
  ModelUnavailable: 4,
  ModelHashMismatch: 5,
  ModelInvalid: 6,
  UnsupportedOperator: 7,
  Timeout: 8,
  OutputTooLarge: 9,
  ModelError: 10,
} as const;
export type FailureReason = (typeof FailureReason)[keyof typeof FailureReason];

/** What happened when the hub called a consumer back. */
export const CallbackResult = { None: 0, Succeeded: 1, Reverted: 2, OutOfGas: 3 } as const;
export type CallbackResult = (typeof CallbackResult)[keyof typeof CallbackResult];

/** A model's status in the `ModelRegistry`. */
export const ModelStatus = { None: 0, Active: 1, Deprecated: 2 } as const;
export type ModelStatus = (typeof ModelStatus)[keyof typeof ModelStatus];

/**
 * The `proofModes` bitmask that allows exactly `modes`.
 *
 * @example
 * proofModesMask(ProofMode.ATTESTED, ProofMode.ZK); // 0b011
 */
export function proofModesMask(...modes: ProofMode[]): number {
  return modes.reduce<number>((mask, mode) => mask | (1 << mode), 0);
}

/**
 * The name of an enum value, for logs and errors.
 *
 * @example
 * enumName(RequestStatus, await hub.requestStatus(id)); // "Settled"
 */
export function enumName(
  enumObject: Readonly<Record<string, number>>,
  value: number | bigint,
): string {
  const name = Object.keys(enumObject).find((key) => enumObject[key] === Number(value));
  return name ?? `<unknown ${value}>`;
}
