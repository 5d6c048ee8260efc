import { readFile } from "node:fs/promises";
import { parseEther, sha256, type BytesLike } from "ethers";
import { ProofMode, enumName } from "@verity/contracts";
import {
  ModelShapeError,
  SAMPLE_MODEL_NAMES,
  readModelFile,
  sampleModel,
  type SampleModelName,
} from "@verity/models";
import { ModelCheckError, checkModel, createModelRunner } from "@verity/runtime";
import {
  BaseError,
  InputTooLargeError,
  InvalidInputError,
  ModelFileError,
  createVerityClient,
  getModel,
  getResult,
  listModels,
  registerModel,
  requestInference,
  verifyResult,
  type VerificationReceipt,
  waitForResult,
  type InferenceResult,
  type ModelInfo,
  type NumericTensor,
  type ProofModeLike,
  type VerityClient,
} from "@verity/sdk";
import { EXIT, eth, modelLabel, short, table, type ExitCode, type Output } from "./output.js";

/** What every chain command gets: the global settings and where to write. */
export interface CommandContext {
  rpcUrl: string;
  hubAddress?: string;
  chainId?: bigint;
  privateKey?: string;
  fromBlock?: number;
  out: Output;
}

/** Connects as the context says; the client is closed when `use` returns. */
export async function withClient<T>(
  context: CommandContext,
  use: (client: VerityClient) => Promise<T>,
): Promise<T> {
  const client = await createVerityClient({
    rpcUrl: context.rpcUrl,
    hubAddress: context.hubAddress,
    chainId: context.chainId,
    privateKey: context.privateKey,
    fromBlock: context.fromBlock,
    pollingIntervalMs: 100,
  });
  try {
    return await use(client);
  } finally {
    client.destroy();
  }
}

/**
 * A model argument: a model id, a sample model's name (`credit-risk`, `mnist-mlp`), or an ONNX
 * file (its SHA-256 is its id).
 */
export async function resolveModelId(argument: string): Promise<string> {
  if (/^0x[0-9a-fA-F]{64}$/.test(argument)) return argument.toLowerCase();
  if ((SAMPLE_MODEL_NAMES as readonly string[]).includes(argument)) {
    return sampleModel(argument as SampleModelName).modelId;
  }
  try {
    return sha256(new Uint8Array(await readFile(argument)));
  } catch {
    throw new InvalidInputError(
      `"${argument}" is not a model id, a sample model name or a readable ONNX file`,
      {
        fix:
          "pass the model id (0x + 64 hex digits; `verity model list` shows them), " +
          `a sample name (${SAMPLE_MODEL_NAMES.join(", ")}) or the path of the .onnx file.`,
      },
    );
  }
}

/**
 * `--input`: a JSON array of real values (nested arrays as the shape), a 0x-prefixed tensor, or
 * the path of a file holding either.
 */
export async function readInput(value: string): Promise<BytesLike | NumericTensor> {
  const inline = parseInputText(value, "--input");
  if (inline !== undefined) return inline;
  let text: string;
  try {
    text = await readFile(value, "utf8");
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    throw new InvalidInputError(
      `--input ${value} is neither JSON, nor a 0x tensor, nor a readable file (${code ?? String(error)})`,
      { fix: INPUT_FIX },
    );
  }
  const parsed = parseInputText(text, value);
  if (parsed === undefined) {
    throw new InvalidInputError(`${value} holds neither a JSON array of numbers nor a 0x tensor`, {
      fix: INPUT_FIX,
    });
  }
  return parsed;
}

const INPUT_FIX =
  "pass a JSON array of real values (e.g. '[0.1, -0.5, 1.2]', nested for several dimensions), " +
  "the tensor's bytes as 0x-prefixed hex (docs/tensors.md), or the path of a file holding one.";

function parseInputText(text: string, source: string): BytesLike | NumericTensor | undefined {
  const trimmed = text.trim();
  if (/^0x[0-9a-fA-F]*$/.test(trimmed)) {
    if (trimmed.length % 2 !== 0) {
      throw new InvalidInputError(`${source}: the hex has an odd number of digits`, {
        fix: INPUT_FIX,
      });
    }
    return trimmed;
  }
  if (!/^[[\-\d.]/.test(trimmed)) return undefined;
  let parsed: unknown;
  try {
    parsed = JSON.parse(trimmed);
  } catch (error) {
    throw new InvalidInputError(`${source} is not valid JSON (${(error as Error).message})`, {
      fix: INPUT_FIX,
    });
  }
  if (!isNumericTensor(parsed)) {
    throw new InvalidInputError(`${source} must be a number or (nested) arrays of numbers`, {
      fix: INPUT_FIX,
    });
  }
  return parsed;
}

function isNumericTensor(value: unknown): value is NumericTensor {
  return typeof value === "number" || (Array.isArray(value) && value.every(isNumericTensor));
}

// ------------------------------------------------------------------------------------- models

function modelRows(models: readonly ModelInfo[]): string[][] {
  return [
    ["model", "id", "input", "output", "dec", "fee", "modes", "status", "uri"],
    ...models.map((model) => [
      modelLabel(model.modelId),
      model.modelId,
      `[${model.inputShape.join(",")}]`,
      `[${model.outputShape.join(",")}]`,
      String(model.decimals),
      eth(model.feeWei),
      model.proofModes.join(","),
      model.status,
      model.uri,
    ]),
  ];
}

function describeModel(model: ModelInfo): string {
  return table([
    ["model", `${model.modelId} (${modelLabel(model.modelId)})`],
    ["owner", model.owner],
    ["uri", model.uri],
    ["input", `[${model.inputShape.join(", ")}] (${model.inputBytes} bytes encoded)`],
    ["output", `[${model.outputShape.join(", ")}]`],
    ["decimals", `${model.decimals} (a real x travels as round(x * 10^${model.decimals}))`],
    ["fee", eth(model.feeWei)],
    ["modes", model.proofModes.join(", ") || "none"],
    ["status", model.status],
    ...(model.zk ? [["zk verifier", model.zk.verifier]] : []),
  ]);
}

export interface ModelRegisterOptions {
  file: string;
  uri?: string;
  decimals?: number;
  feeEth?: string;
  modes?: string;
  previousVersion?: string;
  /** `--input-shape` / `--output-shape`: for a graph that leaves a dimension open. */
  inputShape?: number[];
  outputShape?: number[];
}

/**
 * A model file that is an ONNX model but cannot be registered as it stands: a shape the flags
 * must decide, or a model the canonical executor would fail on for every request.
 */
export class ModelRefusedError extends BaseError {
  override name = "ModelRefusedError";
  constructor(path: string, problem: string, fix: string, cause?: unknown) {
    super(`Cannot register ${path}: ${problem}`, { cause, fix });
  }
}

/**
 * The flag that decides a graph's shape, e.g. `--input-shape 1,4` for an input [batch, 4]. An
 * open first dimension is an exporter's dynamic batch: a request carries one tensor, so 1. Any
 * other open dimension (an image's height, a sequence length) has no default: it stands as
 * `<name>`, where the number goes.
 */
export function shapeFlagFix(error: ModelShapeError, given: boolean): string {
  const flag = `--${error.role}-shape`;
  const notes: string[] = [];
  const dims = error.graphShape.map((dim, axis) => {
    if (typeof dim === "number") return String(dim);
    const name = dim === "" ? `axis ${axis}` : dim;
    if (axis === 0) {
      notes.push(`1 replaced \`${name}\`, the open batch dimension: a request is one example`);
      return "1";
    }
    notes.push(`put the size of \`${name}\` where <${name}> stands`);
    return `<${name}>`;
  });
  const suggestion = `${flag} ${dims.join(",")}`;
  if (notes.length === 0) {
    return `pass ${suggestion}, the graph's own ${error.role} shape, or leave ${flag} out.`;
  }
  return `${given ? "pass" : "add"} ${suggestion} (${notes.join("; ")}).`;
}

/** `verity model register <file.onnx>` */
export async function modelRegister(
  context: CommandContext,
  options: ModelRegisterOptions,
): Promise<ExitCode> {
  // The file is read and its shapes decided before connecting: a bad file needs no node.
  const file = await readModelFile(options.file, {
    inputShape: options.inputShape,
    outputShape: options.outputShape,
  }).catch((error: unknown) => {
    const problem = (error as Error).message.replace(`${options.file}: `, "");
    if (error instanceof ModelShapeError) {
      const given =
        (error.role === "input" ? options.inputShape : options.outputShape) !== undefined;
      throw new ModelRefusedError(options.file, problem, shapeFlagFix(error, given), error);
    }
    throw new ModelFileError(options.file, problem, error);
  });
  return withClient(context, async (client) => {
    context.out.progress(`registering ${options.file} from ${client.account}`);
    const { model, transactionHash, gasUsed } = await registerModel(client, {
      ...file,
      uri: options.uri ?? file.uri,
      decimals: options.decimals,
      feeWei: options.feeEth === undefined ? undefined : parseEther(options.feeEth),
      proofModes: options.modes?.split(",").map((mode) => mode.trim() as ProofModeLike),
      previousVersion: options.previousVersion,
      // No flag skips this: a model the canonical executor cannot run fails every request, and
      // workers run that same executor, so there is nothing an operator could register it for.
      check: async (bytes, shapes) => {
        context.out.progress(
          `loading it in the canonical executor and running it once on [${shapes.inputShape.join(", ")}]`,
        );
        await checkModel(bytes, shapes).catch((error: unknown) => {
          if (!(error instanceof ModelCheckError)) throw error;
          throw new ModelRefusedError(options.file, error.message, error.fix, error);
        });
      },
    }).catch((error: unknown) => {
      // The SDK words it for a request; here nobody gave an input, the file's shape did.
      if (!(error instanceof InputTooLargeError)) throw error;
      throw new ModelRefusedError(
        options.file,
        `an input of [${file.inputShape.join(", ")}] encodes to ${error.inputBytes} bytes, more ` +
          `than the ${error.maxInputBytes} a request may carry: no request could reach it`,
        "register it for a smaller input: a batch of 1 (--input-shape 1,...), or features, a " +
          "downsampled image or an embedding instead of raw data.",
        error,
      );
    });
    context.out.result(
      `registered model ${model.modelId}\n${describeModel(model)}\ntransaction ${transactionHash} (gas ${gasUsed})`,
      { model, transactionHash, gasUsed },
    );
    return EXIT.ok;
  });
}

/** `verity model list` */
export async function modelList(context: CommandContext): Promise<ExitCode> {
  return withClient(context, async (client) => {
    const models = await listModels(client);
    context.out.result(
      models.length === 0
        ? "no models registered on this hub yet (`verity model register <file.onnx>`)"
        : table(modelRows(models)),
      { models },
    );
    return EXIT.ok;
  });
}

/** `verity model show <model>` */
export async function modelShow(context: CommandContext, argument: string): Promise<ExitCode> {
  const modelId = await resolveModelId(argument);
  return withClient(context, async (client) => {
    const model = await getModel(client, modelId);
    context.out.result(describeModel(model), { model });
    return EXIT.ok;
  });
}

// ------------------------------------------------------------------------------------- requests

export interface InferOptions {
  model: string;
  input: string;
  mode?: string;
  /** "result": until a result is accepted; "final": until settled, failed or refunded. */
  wait: false | "result" | "final";
  timeoutSeconds: number;
  assignee?: string;
  deadlineSeconds?: number;
}

/** `verity infer <model> --input <json|file> [--mode] [--wait]` */
export async function infer(context: CommandContext, options: InferOptions): Promise<ExitCode> {
  const modelId = await resolveModelId(options.model);
  const input = await readInput(options.input);
  return withClient(context, async (client) => {
    const started = performance.now();
    context.out.progress(`requesting an inference from ${modelLabel(modelId)}`);
    const sent = await requestInference(client, {
      modelId,
      input,
      proofMode: (options.mode ?? "ATTESTED") as ProofModeLike,
      assignee: options.assignee,
      deadlineSeconds: options.deadlineSeconds,
    });
    const summary = {
      requestId: sent.requestId,
      modelId,
      proofMode: options.mode?.toUpperCase() ?? "ATTESTED",
      valueWei: sent.valueWei,
      transactionHash: sent.transactionHash,
      gasUsed: sent.gasUsed,
      deadline: sent.request.deadline,
    };
    const sentLine =
      `request ${sent.requestId} sent: ${modelLabel(modelId)}, ${summary.proofMode}, paid ` +
      `${eth(sent.valueWei)} (gas ${sent.gasUsed}, tx ${short(sent.transactionHash)})`;
    if (!options.wait) {
      context.out.result(
        `${sentLine}\nwait for it with \`verity result ${sent.requestId} --wait\``,
        summary,
      );
      return EXIT.ok;
    }
    context.out.progress(`${sentLine}; waiting for a worker`);
    const result = await waitForResult(client, {
      requestId: sent.requestId,
      until: options.wait,
      timeoutMs: options.timeoutSeconds * 1000,
      onStatus: (status) => context.out.progress(`request ${sent.requestId} is ${status}`),
    });
    const latencyMs = Math.round(performance.now() - started);
    const openUntil = await openToChallengeUntil(client, result);
    context.out.result(
      `${sentLine}\n${describeResult(result, openUntil)}\nlatency ${latencyMs} ms`,
      { ...summary, latencyMs, result, openToChallengeUntil: openUntil },
    );
    return EXIT.ok;
  });
}

/**
 * When a signed (ATTESTED) result stops being open to challenge; undefined once it is final or
 * when it is not such a result.
 */
async function openToChallengeUntil(
  client: VerityClient,
  found: InferenceResult,
): Promise<Date | undefined> {
  if (found.status !== "Submitted" || !found.result) return undefined;
  const end = await client.hub.challengeWindowEnd(found.request, found.result.submission);
  return new Date(Number(end) * 1000);
}

function describeResult(found: InferenceResult, openUntil: Date | undefined): string {
  const lines = [`status ${found.status}`];
  if (openUntil !== undefined) {
    lines.push(
      `signed, open to challenge until ${openUntil.toISOString()} (UTC): not final, do not act ` +
        `on it before then; \`verity result ${found.requestId} --final\` waits until it is`,
    );
  }
  if (found.result) {
    const { decoded, submission } = found.result;
    lines.push(
      decoded
        ? `output [${decoded.shape.join(", ")}]: ${preview(decoded.real)} (fixed point ${preview(decoded.values)})`
        : `output ${found.result.output} (not a canonical tensor)`,
      `worker ${submission.worker} on environment ${short(submission.environmentId)}`,
      `checked on-chain by the hub; check it yourself with \`verity verify ${found.requestId}\``,
    );
  }
  if (found.outcome?.kind === "failed") {
    lines.push(`the worker refused the input: ${found.outcome.failureReason}; requester refunded`);
  }
  if (found.outcome?.kind === "refunded") {
    lines.push(`no result before the deadline: ${eth(found.outcome.refundedWei ?? 0n)} refunded`);
  }
  return lines.join("\n");
}

function preview(values: readonly number[]): string {
  return values.length <= 10
    ? `[${values.join(", ")}]`
    : `[${values.slice(0, 8).join(", ")}, … ${values.length} values]`;
}

/** `verity result <requestId> [--wait]` */
export async function result(
  context: CommandContext,
  options: { requestId: bigint; wait: false | "result" | "final"; timeoutSeconds: number },
): Promise<ExitCode> {
  return withClient(context, async (client) => {
    const found = options.wait
      ? await waitForResult(client, {
          requestId: options.requestId,
          until: options.wait,
          timeoutMs: options.timeoutSeconds * 1000,
          onStatus: (status) => context.out.progress(`request ${options.requestId} is ${status}`),
        })
      : await getResult(client, options.requestId);
    const openUntil = await openToChallengeUntil(client, found);
    context.out.result(
      `request ${found.requestId}: ${modelLabel(found.request.modelId)}\n${describeResult(found, openUntil)}`,
      // Proof modes are names in every JSON the CLI prints (`model list` and `infer` too).
      {
        ...found,
        request: { ...found.request, proofMode: enumName(ProofMode, found.request.proofMode) },
        openToChallengeUntil: openUntil,
      },
    );
    return EXIT.ok;
  });
}

/** `verifyResult` with a Node runner made for this one result (the CLI checks one per run). */
export async function reExecute(
  client: VerityClient,
  requestId: bigint,
): Promise<VerificationReceipt> {
  const runner = await createModelRunner();
  try {
    return await verifyResult(client, { requestId, runner });
  } finally {
    await runner.close();
  }
}

/** `verity verify <requestId>`: exits 0 when the result matches, 7 when it does not. */
export async function verify(context: CommandContext, requestId: bigint): Promise<ExitCode> {
  return withClient(context, async (client) => {
    context.out.progress(
      `verifying request ${requestId}: fetching the model, re-running it locally, checking the proof`,
    );
    const receipt = await reExecute(client, requestId);
    const mark = (ok: boolean | null) => (ok === true ? "ok  " : ok === false ? "FAIL" : "n/a ");
    const human = [
      `request ${requestId}: model ${modelLabel(receipt.model.modelId)} (${receipt.model.modelId})`,
      `environment ${receipt.environment.id}${receipt.environment.sameAsLocal ? " (the same as this machine's)" : ` (this machine: ${receipt.environment.local.id})`}`,
      `proof ${receipt.proof.mode}, ${receipt.proof.kind}, signed by ${receipt.proof.signer ?? "?"}`,
      table(receipt.checks.map((check) => [mark(check.ok), check.name, check.detail])),
      receipt.matches ? `MATCHES: ${receipt.summary}` : `DOES NOT MATCH: ${receipt.summary}`,
    ].join("\n");
    context.out.result(human, receipt);
    return receipt.matches ? EXIT.ok : EXIT.mismatch;
  });
}
