import type { ErrorDescription } from "ethers";
import { decodeRevert } from "./chain.js";
import { RpcError, RpcUnavailableError } from "./rpc.js";

/**
 * EIP-7825: no transaction may use more gas than this, whatever the block gas limit. Chains that
 * predate it may allow more, but a worker that stays under it is sendable everywhere.
 */
export const TX_GAS_CAP = 16_777_216n;

const TX_BASE_GAS = 21_000n;
/** EIP-2028. */
const CALLDATA_NONZERO_GAS = 16n;
const CALLDATA_ZERO_GAS = 4n;
/** The hub logs every output it accepts in ResultSubmitted: LOG data is 8 gas a byte. */
const LOG_DATA_GAS = 8n;
/**
 * What a result costs besides its bytes, at the least: signature recovery, the registry's
 * eligibility check, the commitment and balance writes. Kept low on purpose: the floor below
 * only has to rule out what can never fit; the node's estimate decides the rest.
 */
const RESULT_EXECUTION_GAS = 30_000n;

/** Calldata gas of `data` (0x hex). */
export function calldataGas(data: string): bigint {
  let zero = 0n;
  let nonZero = 0n;
  for (let i = 2; i < data.length; i += 2) {
    if (data.charCodeAt(i) === 48 && data.charCodeAt(i + 1) === 48) zero++;
    else nonZero++;
  }
  return zero * CALLDATA_ZERO_GAS + nonZero * CALLDATA_NONZERO_GAS;
}

/** Memory gas to hold `bytes` once: the hub hashes and logs the output from memory. */
function memoryGas(bytes: number): bigint {
  const words = BigInt(Math.ceil(bytes / 32));
  return 3n * words + (words * words) / 512n;
}

/**
 * The least gas any node charges for carrying one result of `outputBytes` whose encoded call
 * is `data`, without the transaction's base cost (a batch pays that once).
 */
export function resultGasFloor(data: string, outputBytes: number): bigint {
  return (
    calldataGas(data) +
    LOG_DATA_GAS * BigInt(outputBytes) +
    memoryGas(outputBytes) +
    RESULT_EXECUTION_GAS
  );
}

/** Whether a transaction whose items cost `itemFloors` at the least could fit under `cap`. */
export function fitsInTransaction(itemFloors: readonly bigint[], cap = TX_GAS_CAP): boolean {
  return TX_BASE_GAS + itemFloors.reduce((sum, gas) => sum + gas, 0n) <= cap;
}

/**
 * What a failed estimate or send says, so that the worker can decide who it is about:
 * - `revert`: the hub refused this action (a custom error, decoded): the entry's business;
 * - `gas`: out of gas, over the block gas limit or the per-transaction cap, too large: this
 *   transaction cannot carry it; alone, its entry cannot be sent;
 * - `nonce`: our nonce is off (resynchronised by the sender): retry soon, nobody's fault;
 * - `fee`: our fees are below what the node takes now: retry soon with fresh fees;
 * - `funds`: the account cannot pay for gas: hold sends, the operator must top it up;
 * - `transport`: the node could not be reached or answered garbage: back off;
 * - `refused`: any other answer from the node (a revert without decodable data, an unknown
 *   error): treated as the entry's, with retries before giving up.
 */
export type SendFailure =
  | { kind: "revert"; revert: ErrorDescription; reason: string }
  | { kind: "gas" | "nonce" | "fee" | "funds" | "transport" | "refused"; reason: string };

const GAS = /gas|too large|oversized|exceeds (the )?(max|size|limit)|size limit|tx size/i;
const NONCE = /nonce|replacement transaction underpriced|already (been )?used/i;
const FEE = /underpriced|fee cap|base fee|max fee|priority fee|\btip\b/i;
const FUNDS = /insufficient funds|insufficient balance|balance too low|exceeds balance/i;

export function classifyFailure(error: unknown): SendFailure {
  const revert = decodeRevert(error);
  if (revert) {
    return {
      kind: "revert",
      revert,
      reason: `${revert.name}(${revert.args.map(String).join(", ")})`,
    };
  }
  const reason = error instanceof Error ? error.message : String(error);
  if (error instanceof RpcUnavailableError) return { kind: "transport", reason };
  if (error instanceof GasCapError) return { kind: "gas", reason };
  if (!(error instanceof RpcError)) return { kind: "refused", reason };
  // Funds before gas: "insufficient funds for gas * price + value" names both.
  if (FUNDS.test(error.message)) return { kind: "funds", reason };
  if (NONCE.test(error.message)) return { kind: "nonce", reason };
  if (FEE.test(error.message)) return { kind: "fee", reason };
  if (GAS.test(error.message)) return { kind: "gas", reason };
  return { kind: "refused", reason };
}

/** A transaction that would need more gas than one transaction may carry. */
export class GasCapError extends Error {
  override name = "GasCapError";
}
