import { formatEther } from "ethers";
import { SAMPLE_MODEL_NAMES, sampleModel } from "@verity/models";
import { BaseError } from "@verity/sdk";

/**
 * Exit codes scripts can rely on. Every non-zero exit prints what went wrong and what to fix.
 */
export const EXIT = {
  /** Done; for `verify`, the result matches. */
  ok: 0,
  /** An unexpected error (a bug, or something the CLI cannot classify). */
  unexpected: 1,
  /** Bad command line or configuration (unknown flag, missing argument, no key). */
  usage: 2,
  /** The chain cannot be used: no node answers, wrong chain, or Verity is not deployed there. */
  network: 3,
  /** The chain refused or does not know it: a contract revert, unknown model or request. */
  rejected: 4,
  /** A file or an input is unusable: bad input JSON or tensor, not an ONNX model, a model that
   * would fail every request (refused before anything is sent). */
  input: 5,
  /** A wait timed out (`--wait`, `result --wait`). */
  timeout: 6,
  /** `verify` ran and the result does NOT match. */
  mismatch: 7,
} as const;
export type ExitCode = (typeof EXIT)[keyof typeof EXIT];

/** A command line the CLI cannot run: unknown command or flag, missing argument. */
export class UsageError extends BaseError {
  override name = "UsageError";
  constructor(problem: string, fix = "see `verity --help`.") {
    super(problem, { fix });
  }
}

/** Where the CLI writes: results to stdout, progress and errors to stderr. */
export interface Output {
  json: boolean;
  /** The command's result: a human text, or (with --json) one JSON document. */
  result(human: string, data: unknown): void;
  /** A progress line for a long step (stderr; silent with --json). */
  progress(line: string): void;
  error(error: unknown): void;
}

/** JSON with bigints as decimal strings. */
export function toJson(data: unknown): string {
  return JSON.stringify(
    data,
    (_key, value: unknown) => (typeof value === "bigint" ? value.toString() : value),
    2,
  );
}

export function createOutput(json: boolean): Output {
  return {
    json,
    result(human, data) {
      process.stdout.write(json ? `${toJson(data)}\n` : `${human}\n`);
    },
    progress(line) {
      if (!json) process.stderr.write(`… ${line}\n`);
    },
    error(error) {
      if (json) {
        process.stdout.write(`${toJson({ error: errorJson(error) })}\n`);
        return;
      }
      process.stderr.write(`${humanError(error)}\n`);
    },
  };
}

function errorJson(error: unknown) {
  if (error instanceof BaseError) {
    return {
      name: error.name,
      message: error.shortMessage,
      fix: error.fix,
      details: error.details,
      ...("errorName" in error ? { errorName: error.errorName } : {}),
    };
  }
  return { name: "Error", message: error instanceof Error ? error.message : String(error) };
}

function humanError(error: unknown): string {
  if (!(error instanceof BaseError)) {
    return `error: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}`;
  }
  return [
    `error: ${error.shortMessage}`,
    ...(error.metaMessages ?? []).map((line) => `  ${line}`),
    ...(error.fix ? [`  fix: ${error.fix}`] : []),
    ...(error.details && error.details !== error.shortMessage && process.env.VERITY_DEBUG
      ? [`  details: ${error.details}`]
      : []),
  ].join("\n");
}

/** A sample model's name for a model id, for friendlier output. */
export function modelLabel(modelId: string): string {
  for (const name of SAMPLE_MODEL_NAMES) {
    if (sampleModel(name).modelId === modelId.toLowerCase()) return name;
  }
  return short(modelId);
}

/** `0x71f76e85…e33f` */
export function short(hex: string): string {
  return hex.length > 14 ? `${hex.slice(0, 10)}…${hex.slice(-4)}` : hex;
}

export function eth(wei: bigint): string {
  return `${formatEther(wei)} ETH`;
}

/** A plain text table with padded columns. */
export function table(rows: readonly (readonly string[])[]): string {
  const widths = rows[0].map((_, column) => Math.max(...rows.map((row) => row[column].length)));
  return rows
    .map((row) =>
      row
        .map((cell, column) => (column === row.length - 1 ? cell : cell.padEnd(widths[column])))
        .join("  "),
    )
    .join("\n");
}
