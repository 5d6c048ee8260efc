/**
 * @verity/sdk: a typed client for Verity, shaped like viem: small functions that take a client
 * first, `XParameters` / `XReturnType` types, and a `BaseError` family that says what went wrong
 * and what to do. Light: ethers and @verity/contracts only, no Node built-ins, so a page bundles
 * it as it is; re-execution brings its executor from @verity/runtime.
 *
 * - `createVerityClient`: connect (and check the chain and the contracts);
 * - models: `registerModel`, `getModel`, `listModels`;
 * - requests: `quote`, `requestInference`, `waitForResult`, `getResult`;
 * - after a result: `challengeResult`, `getDispute`, `withdrawBalance`; model owners'
 *   `setModelFee`, `deprecateModel`;
 * - independent verification: `verifyResult` (re-executes the model, checks the proof off-chain),
 *   with `createModelRunner` of @verity/runtime in Node or a page's own `ModelRunner`
 *   (`Runner` + `PageModels` of @verity/runtime/browser);
 * - tensors: the canonical codec (`encodeTensor`, `decodeTensor`) and real ↔ fixed point
 *   (`encodeInput`, `decodeOutput`, `toFixedPoint`, `fromFixedPoint`).
 *
 * @example
 * import { createVerityClient, requestInference, waitForResult, verifyResult } from "@verity/sdk";
 * const client = await createVerityClient({ privateKey: process.env.VERITY_PRIVATE_KEY });
 * const { requestId } = await requestInference(client, { modelId, input: features });
 * const result = await waitForResult(client, { requestId });
 * const receipt = await verifyResult(client, { requestId, runner: await createModelRunner() });
 */
export * from "./client.js";
export * from "./disputes.js";
export * from "./errors.js";
export * from "./models.js";
export * from "./requests.js";
export * from "./tensor.js";
export * from "./verify.js";
export { ProofMode, RequestStatus, FailureReason, CallbackResult } from "@verity/contracts";
export type { Request, Submission } from "@verity/contracts";
