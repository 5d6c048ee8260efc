import {
  TypedDataEncoder,
  concat,
  keccak256,
  toBeHex,
  verifyTypedData,
  zeroPadValue,
} from "ethers";
import type { BigNumberish, BytesLike, Signer, TypedDataDomain, TypedDataField } from "ethers";
import type { FailureReason } from "./enums.js";
import type { Request } from "./request.js";

/** The hub's EIP-712 domain name and version (`EIP712("Verity InferenceHub", "1")`). */
export const HUB_EIP712_NAME = "Verity InferenceHub";
export const HUB_EIP712_VERSION = "1";

/** `InferenceHub.RESULT_TYPEHASH`'s type: what a worker signs for a result. */
export const resultTypes = {
  InferenceResult: [
    { name: "requestId", type: "uint256" },
    { name: "modelId", type: "bytes32" },
    { name: "inputHash", type: "bytes32" },
    { name: "outputHash", type: "bytes32" },
    { name: "environmentId", type: "bytes32" },
  ],
} satisfies Record<string, TypedDataField[]>;

/** `InferenceHub.FAILURE_TYPEHASH`'s type: what a worker signs for a failure report. */
export const failureTypes = {
  InferenceFailure: [
    { name: "requestId", type: "uint256" },
    { name: "modelId", type: "bytes32" },
    { name: "inputHash", type: "bytes32" },
    { name: "reason", type: "uint8" },
    { name: "environmentId", type: "bytes32" },
  ],
} satisfies Record<string, TypedDataField[]>;

/** The fields of a signed result. Hashes are 0x-prefixed 32-byte hex strings. */
export interface ResultFields {
  requestId: BigNumberish;
  modelId: string;
  inputHash: string;
  /** keccak256 of the output tensor bytes. */
  outputHash: string;
  environmentId: string;
}

/** The fields of a signed failure report. */
export interface FailureFields {
  requestId: BigNumberish;
  modelId: string;
  inputHash: string;
  reason: FailureReason;
  environmentId: string;
}

/** The hub's EIP-712 domain on `chainId` at `hubAddress`. */
export function hubDomain(chainId: BigNumberish, hubAddress: string): TypedDataDomain {
  return {
    name: HUB_EIP712_NAME,
    version: HUB_EIP712_VERSION,
    chainId,
    verifyingContract: hubAddress,
  };
}

/** A hub given as an address or as a contract (typechain or ethers) deployed at one. */
export type HubLike = string | { getAddress(): Promise<string> };

async function hubAddressOf(hub: HubLike): Promise<string> {
  return typeof hub === "string" ? hub : hub.getAddress();
}

/**
 * The result fields for `output` to `request`, with `outputHash = keccak256(output)`.
 *
 * @example
 * const signature = await signResult(worker, hub, chainId, resultFields(request, output, envId));
 */
export function resultFields(
  request: Pick<Request, "id" | "modelId" | "inputHash">,
  output: BytesLike,
  environmentId: string,
): ResultFields {
  return {
    requestId: request.id,
    modelId: request.modelId,
    inputHash: request.inputHash,
    outputHash: keccak256(output),
    environmentId,
  };
}

/**
 * Signs a result as `InferenceHub.submitResult` verifies it (ATTESTED mode), with ethers'
 * `signer.signTypedData`.
 *
 * @example
 * const proof = await signResult(workerWallet, hub, 31337n, resultFields(request, output, envId));
 * await hub.submitResult(request, output, envId, proof);
 */
export async function signResult(
  signer: Signer,
  hub: HubLike,
  chainId: BigNumberish,
  fields: ResultFields,
): Promise<string> {
  return signer.signTypedData(hubDomain(chainId, await hubAddressOf(hub)), resultTypes, {
    ...fields,
  });
}

/** Signs a failure report as `InferenceHub.reportFailure` verifies it. */
export async function signFailure(
  signer: Signer,
  hub: HubLike,
  chainId: BigNumberish,
  fields: FailureFields,
): Promise<string> {
  return signer.signTypedData(hubDomain(chainId, await hubAddressOf(hub)), failureTypes, {
    ...fields,
  });
}

/**
 * The hub's EIP-712 digests with the domain separator and type hashes computed once: what a worker
 * that signs hundreds of results a second uses. `resultDigest` and `failureDigest` below are the
 * one-off forms of the same functions.
 *
 * @example
 * const digests = hubDigests(31337n, hubAddress);
 * const signature = wallet.signingKey.sign(digests.result(fields)).serialized;
 */
export function hubDigests(chainId: BigNumberish, hubAddress: string) {
  const domainSeparator = TypedDataEncoder.hashDomain(hubDomain(chainId, hubAddress));
  const resultTypeHash = keccak256(
    new TextEncoder().encode(TypedDataEncoder.from(resultTypes).encodeType("InferenceResult")),
  );
  const failureTypeHash = keccak256(
    new TextEncoder().encode(TypedDataEncoder.from(failureTypes).encodeType("InferenceFailure")),
  );
  // Every field is a static 32-byte word, so the struct hash is keccak256 of the words in order.
  const digest = (typeHash: string, words: (BigNumberish | string)[]) =>
    keccak256(
      concat([
        "0x1901",
        domainSeparator,
        keccak256(concat([typeHash, ...words.map((word) => zeroPadValue(toBeHex(word), 32))])),
      ]),
    );
  return {
    result: (fields: ResultFields): string =>
      digest(resultTypeHash, [
        fields.requestId,
        fields.modelId,
        fields.inputHash,
        fields.outputHash,
        fields.environmentId,
      ]),
    failure: (fields: FailureFields): string =>
      digest(failureTypeHash, [
        fields.requestId,
        fields.modelId,
        fields.inputHash,
        fields.reason,
        fields.environmentId,
      ]),
  };
}

/** The digest a worker signs for a result: equals `InferenceHub.resultDigest(...)`. */
export function resultDigest(
  hubAddress: string,
  chainId: BigNumberish,
  fields: ResultFields,
): string {
  return hubDigests(chainId, hubAddress).result(fields);
}

/** The digest a worker signs for a failure report: equals `InferenceHub.failureDigest(...)`. */
export function failureDigest(
  hubAddress: string,
  chainId: BigNumberish,
  fields: FailureFields,
): string {
  return hubDigests(chainId, hubAddress).failure(fields);
}

/**
 * The address that signed a result, checked off-chain exactly as the hub recovers it. Whether that
 * address was an eligible worker is the worker registry's question.
 */
export function recoverResultSigner(
  hubAddress: string,
  chainId: BigNumberish,
  fields: ResultFields,
  signature: string,
): string {
  return verifyTypedData(hubDomain(chainId, hubAddress), resultTypes, fields, signature);
}

/** The address that signed a failure report. */
export function recoverFailureSigner(
  hubAddress: string,
  chainId: BigNumberish,
  fields: FailureFields,
  signature: string,
): string {
  return verifyTypedData(hubDomain(chainId, hubAddress), failureTypes, fields, signature);
}
