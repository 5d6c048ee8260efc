import { FailureReason } from "@verity/contracts";
import { BAD_GRAPH, BAD_PROTOBUF, UNKNOWN_OPERATOR } from "./checkModel.js";
import {
  InferenceTimeoutError,
  ModelFetchError,
  ModelHashMismatchError,
  ModelIncompatibleError,
} from "./errors.js";

/**
 * The on-chain reason for a model that could not answer, or undefined when the error says
 * nothing certain about the model (the worker's own host died, a bug): a worker reports a reason
 * only when it would stake on it, since a false report is slashed like a wrong result. Call it
 * after retries, not on the first failure of a fetch that may work later.
 */
export function modelFailureReason(error: unknown): FailureReason | undefined {
  if (error instanceof ModelFetchError) return FailureReason.ModelUnavailable;
  if (error instanceof ModelHashMismatchError) return FailureReason.ModelHashMismatch;
  if (error instanceof InferenceTimeoutError) return FailureReason.Timeout;
  if (!(error instanceof ModelIncompatibleError)) return undefined;
  const { message } = error;
  if (UNKNOWN_OPERATOR.some((pattern) => pattern.test(message)))
    return FailureReason.UnsupportedOperator;
  if (BAD_PROTOBUF.test(message) || BAD_GRAPH.test(message)) return FailureReason.ModelInvalid;
  // Does not load, or loads but does not behave as registered (other output dims): the file is
  // wrong for every input. Anything else failed while running.
  return /cannot load|registration does not match/.test(message)
    ? FailureReason.ModelInvalid
    : FailureReason.ModelError;
}
