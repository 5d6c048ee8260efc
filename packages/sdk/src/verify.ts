import { getBytes, keccak256 } from "ethers";
import {
  ModelFetchError,
  ModelHashMismatchError,
  ProofMode,
  ZkProofVerifier__factory,
  decodeTensor,
  enumName,
  recoverResultSigner,
  resultFields,
  type Environment,
  type ModelRunner,
  type RegisteredModel,
} from "@verity/contracts";
import type { VerityClient } from "./client.js";
import { describeFailureReason, toVerityError } from "./errors.js";
import { getModel, type ModelInfo } from "./models.js";
import { requireResult, type InferenceResult } from "./requests.js";

/** One thing `verifyResult` checked. `ok: null` means it could not be checked here. */
export interface VerificationCheck {
  name: "input" | "output" | "model" | "re-execution" | "proof" | "worker" | "environment";
  ok: boolean | null;
  detail: string;
}

/** What `verifyResult` found, check by check. */
export interface VerificationReceipt {
  requestId: bigint;
  chainId: bigint;
  hub: string;
  /** The request's status when it was verified. */
  status: InferenceResult["status"];
  /** Every check passed: the output is what the registered model gives on this input, and the
   * proof is valid for it. */
  matches: boolean;
  /** One sentence: why it matches, or the first reason it does not. */
  summary: string;
  model: {
    modelId: string;
    uri: string;
    /** SHA-256 of the bytes fetched from `uri`, when they could be fetched. */
    fetchedSha256?: string;
    hashMatches: boolean;
  };
  environment: {
    /** The environment the worker declared and signed. */
    id: string;
    /** Approved in the WorkerRegistry when the result was submitted. */
    approved: boolean;
    /** The environment this verifier re-ran the model in. */
    local: Environment;
    sameAsLocal: boolean;
  };
  proof: {
    mode: keyof typeof ProofMode;
    /** What the proof is: "EIP-712 signature", ... */
    kind: string;
    /** The account the proof names (the recovered signer in ATTESTED mode). */
    signer?: string;
    /** The worker the hub credited with the result. */
    submitter: string;
    valid: boolean | null;
  };
  output: {
    /** keccak256 of the output accepted on-chain. */
    onChainHash: string;
    onChainValues?: number[];
    /** keccak256 and values of the output computed here. */
    localHash?: string;
    localValues?: number[];
    matches: boolean;
  };
  checks: VerificationCheck[];
}

/** Checks a result's proof off-chain; one per proof mode. */
export type ProofChecker = (context: ProofContext) => Promise<VerificationCheck[]>;

/** What a proof checker gets. */
export interface ProofContext {
  client: VerityClient;
  found: InferenceResult & { result: NonNullable<InferenceResult["result"]> };
  model: ModelInfo;
}

export interface VerifyResultParameters {
  requestId: bigint;
  /**
   * What re-runs the model: in Node `createModelRunner()` of `@verity/runtime` (the canonical
   * executor, which this light package does not bring); in a page, one made from `Runner` and
   * `PageModels` of `@verity/runtime/browser`. The caller closes it; reuse one for many results.
   */
  runner: ModelRunner;
  /**
   * Proof checkers by mode, replacing the built-in ones (ATTESTED: the signer; ZK: the proof,
   * re-verified). QUORUM has no off-chain checker yet: pass one here to check its round.
   */
  proofCheckers?: Partial<Record<keyof typeof ProofMode, ProofChecker>>;
}

/**
 * Verifies a result without trusting anyone: fetches the model from its uri and checks its
 * SHA-256 against the registry, re-runs it locally on the request's input (the worker's own
 * runner), compares the output hash with the one accepted on-chain, and checks the proof
 * off-chain (ATTESTED: recovers the EIP-712 signer and checks it is the worker the hub credited,
 * registered and staked on the environment it signed, and that the environment was approved).
 * "Don't trust, re-execute."
 *
 * @throws ResultNotAvailableError when the request has no result to verify.
 * @example
 * import { createModelRunner } from "@verity/runtime";
 * const runner = await createModelRunner();
 * try {
 *   const receipt = await verifyResult(client, { requestId, runner });
 *   console.log(receipt.matches ? "verified" : "MISMATCH", receipt.summary);
 *   for (const check of receipt.checks) console.log(check.name, check.ok, check.detail);
 * } finally {
 *   await runner.close();
 * }
 */
export async function verifyResult(
  client: VerityClient,
  parameters: VerifyResultParameters,
): Promise<VerificationReceipt> {
  const found = await requireResult(client, parameters.requestId);
  const model = await getModel(client, found.request.modelId);
  const { submission, output } = found.result;
  const { runner } = parameters;
  const checks: VerificationCheck[] = [];
  const inputHash = keccak256(found.input);
  checks.push({
    name: "input",
    ok: inputHash === found.request.inputHash,
    detail:
      inputHash === found.request.inputHash
        ? "the input in the request event hashes to the request's inputHash"
        : `the request event's input hashes to ${inputHash}, not the committed ${found.request.inputHash}`,
  });
  const onChainHash = submission.outputHash;
  const outputHash = keccak256(output);
  checks.push({
    name: "output",
    ok: outputHash === onChainHash,
    detail:
      outputHash === onChainHash
        ? "the output in the ResultSubmitted event hashes to the accepted output hash"
        : `the event's output hashes to ${outputHash}, not the accepted ${onChainHash}`,
  });

  const registered: RegisteredModel = {
    modelId: model.modelId,
    uri: model.uri,
    inputShape: model.inputShape,
    outputShape: model.outputShape,
    decimals: model.decimals,
    circuit: model.proofModes.includes("ZK"),
  };
  const modelCheck = await fetchAndCheckModel(runner, registered);
  checks.push(modelCheck.check);

  let localHash: string | undefined;
  let localValues: number[] | undefined;
  // A model with a ZK commitment is defined by its circuit's integer arithmetic, in every mode
  // (workers answer with it, disputes are decided by it): the runner re-executes that.
  const how = registered.circuit
    ? "re-ran the model's circuit arithmetic"
    : "re-ran the model in the canonical executor";
  if (modelCheck.check.ok) {
    const inference = await runner.run(registered, getBytes(found.input));
    if (inference.ok) {
      localHash = keccak256(inference.output);
      localValues = inference.values;
      const same = localHash === onChainHash;
      checks.push({
        name: "re-execution",
        ok: same,
        detail: same
          ? `${how}: same output [${preview(inference.values)}]`
          : `${how}: output [${preview(inference.values)}] differs from the ` +
            `accepted [${preview(onChainValues(output))}] (hash ${onChainHash})`,
      });
    } else {
      checks.push({
        name: "re-execution",
        ok: false,
        detail:
          `the model refuses this input locally (${describeFailureReason(inference.reason)}: ` +
          `${inference.detail}), yet a result was accepted`,
      });
    }
  } else {
    checks.push({
      name: "re-execution",
      ok: null,
      detail: "not run: the model file is not the registered one",
    });
  }

  const mode = enumName(ProofMode, found.request.proofMode) as keyof typeof ProofMode;
  const checker = parameters.proofCheckers?.[mode] ?? BUILT_IN_PROOF_CHECKERS[mode];
  const proofChecks = await checker({ client, found, model });
  checks.push(...proofChecks);

  const proofCheck = proofChecks.find((check) => check.name === "proof");
  const environmentCheck = proofChecks.find((check) => check.name === "environment");
  const matches = checks.every((check) => check.ok === true);
  const firstFailure = checks.find((check) => check.ok !== true);
  return {
    requestId: found.requestId,
    chainId: client.chainId,
    hub: client.addresses.inferenceHub,
    status: found.status,
    matches,
    summary: matches
      ? `request ${found.requestId}: the output is the registered model's on this input, ` +
        `and the ${PROOF_KINDS[mode]} is valid`
      : `request ${found.requestId}: ${firstFailure!.name} check ${firstFailure!.ok === false ? "failed" : "not possible"}: ${firstFailure!.detail}`,
    model: {
      modelId: model.modelId,
      uri: model.uri,
      fetchedSha256: modelCheck.sha256,
      hashMatches: modelCheck.check.ok === true,
    },
    environment: {
      id: submission.environmentId,
      approved: environmentCheck?.ok === true,
      local: runner.environment,
      sameAsLocal: runner.environment.id === submission.environmentId,
    },
    proof: {
      mode,
      kind: PROOF_KINDS[mode],
      signer: (proofCheck as (VerificationCheck & { signer?: string }) | undefined)?.signer,
      submitter: submission.worker,
      valid: proofCheck?.ok ?? null,
    },
    output: {
      onChainHash,
      onChainValues: onChainValues(output),
      localHash,
      localValues,
      matches: localHash === onChainHash,
    },
    checks,
  };
}

const PROOF_KINDS: Record<keyof typeof ProofMode, string> = {
  ATTESTED: "EIP-712 signature",
  ZK: "Groth16 proof",
  QUORUM: "quorum of signatures",
};

async function fetchAndCheckModel(
  runner: ModelRunner,
  model: RegisteredModel,
): Promise<{ check: VerificationCheck; sha256?: string }> {
  try {
    const source = (await runner.load(model))?.source;
    return {
      sha256: model.modelId,
      check: {
        name: "model",
        ok: true,
        detail:
          `fetched ${model.uri}${source === undefined ? "" : ` from ${source}`}: its SHA-256 ` +
          "is the registered model id",
      },
    };
  } catch (error) {
    if (error instanceof ModelHashMismatchError) {
      return {
        sha256: error.actual,
        check: {
          name: "model",
          ok: false,
          detail: `the file at ${model.uri} hashes to ${error.actual}, not the registered ${model.modelId}`,
        },
      };
    }
    if (error instanceof ModelFetchError) {
      return {
        check: {
          name: "model",
          ok: null,
          detail: `could not fetch ${model.uri}: ${error.message}`,
        },
      };
    }
    return {
      check: { name: "model", ok: null, detail: `could not load the model: ${String(error)}` },
    };
  }
}

/** ATTESTED: the EIP-712 signer is the credited worker, registered, staked, on an approved environment. */
const checkAttested: ProofChecker = async ({ client, found }) => {
  const { submission, output, proof } = found.result;
  if (proof === undefined) {
    return [
      {
        name: "proof",
        ok: null,
        detail:
          "the signature is not in the submitting transaction's calldata (a contract relayed it)",
      },
    ];
  }
  const fields = resultFields(found.request, output, submission.environmentId);
  let signer: string;
  try {
    signer = recoverResultSigner(client.addresses.inferenceHub, client.chainId, fields, proof);
  } catch (error) {
    return [
      { name: "proof", ok: false, detail: `the signature does not recover: ${String(error)}` },
    ];
  }
  const signedBySubmitter = signer.toLowerCase() === submission.worker.toLowerCase();
  const checks: (VerificationCheck & { signer?: string })[] = [
    {
      name: "proof",
      ok: signedBySubmitter,
      signer,
      detail: signedBySubmitter
        ? `EIP-712 signature over (request, model, input hash, output hash, environment) recovers to ${signer}, the worker the hub credited`
        : `the signature recovers to ${signer}, not the credited worker ${submission.worker}`,
    },
  ];
  // The registry's state when the hub accepted the result.
  const blockTag = found.result.submitted.blockNumber;
  const [worker, minimum, approved] = await Promise.all([
    client.workerRegistry.getWorker(signer, { blockTag }),
    client.workerRegistry.MIN_STAKE_WEI({ blockTag }),
    client.workerRegistry.isEnvironmentApproved(submission.environmentId, { blockTag }),
  ]);
  const registered = worker.environmentId !== `0x${"0".repeat(64)}`;
  const declared = worker.environmentId === submission.environmentId;
  const staked = worker.stakeWei >= minimum;
  checks.push({
    name: "worker",
    ok: registered && declared && staked,
    detail: !registered
      ? `${signer} was not a registered worker at block ${blockTag}`
      : !declared
        ? `${signer} had declared environment ${worker.environmentId}, but signed ${submission.environmentId}`
        : !staked
          ? `${signer}'s stake ${worker.stakeWei} wei was below the minimum ${minimum}`
          : `${signer} was registered with ${worker.stakeWei} wei of stake on the environment it signed`,
  });
  checks.push({
    name: "environment",
    ok: approved,
    detail: approved
      ? `environment ${submission.environmentId} was approved in the WorkerRegistry`
      : `environment ${submission.environmentId} was not approved at block ${blockTag}`,
  });
  return checks;
};

const notYet =
  (what: string): ProofChecker =>
  async () => [
    {
      name: "proof",
      ok: null,
      detail:
        `${what} is not checked off-chain by this SDK yet; the hub's verifier accepted it on-chain. ` +
        "Pass a checker in verifyResult's proofCheckers to check it here.",
    },
  ];

/**
 * ZK: asks the ZK verifier the hub used, at the block the result was accepted, to check the proof
 * again as the hub (the proof is bound to the hub, this request, its input and the worker). The
 * registry's commitment names the model's Groth16 verifier; nothing of the worker is trusted.
 */
const checkZk: ProofChecker = async ({ client, found }) => {
  const { submission, output, proof } = found.result;
  const blockTag = found.result.submitted.blockNumber;
  if (proof === undefined) {
    return [
      {
        name: "proof",
        ok: null,
        detail: "the proof could not be read from the submitting transaction",
      },
    ];
  }
  const verifierAddress = await client.hub.proofVerifier(ProofMode.ZK, { blockTag });
  const verifier = ZkProofVerifier__factory.connect(verifierAddress, client.provider);
  try {
    const paid: string = await verifier.verify.staticCall(found.request, keccak256(output), proof, {
      from: client.addresses.inferenceHub,
      blockTag,
    });
    const ok = paid.toLowerCase() === submission.worker.toLowerCase();
    return [
      {
        name: "proof",
        ok,
        detail: ok
          ? `Groth16 proof re-verified by ZkProofVerifier ${verifierAddress} at block ${blockTag}, bound to worker ${paid}`
          : `the proof names worker ${paid}, but the hub credited ${submission.worker}`,
      },
    ];
  } catch (error) {
    return [
      {
        name: "proof",
        ok: false,
        detail: `the ZK verifier rejects the proof: ${toVerityError(error, { action: "verify the ZK proof" }).shortMessage}`,
      },
    ];
  }
};

const BUILT_IN_PROOF_CHECKERS: Record<keyof typeof ProofMode, ProofChecker> = {
  ATTESTED: checkAttested,
  ZK: checkZk,
  QUORUM: notYet("a quorum"),
};

function onChainValues(output: string): number[] | undefined {
  try {
    return decodeTensor(output).values;
  } catch {
    return undefined;
  }
}

function preview(values: readonly number[] | undefined): string {
  if (values === undefined) return "undecodable";
  return values.length <= 6
    ? values.join(", ")
    : `${values.slice(0, 5).join(", ")}, ... (${values.length} values)`;
}
