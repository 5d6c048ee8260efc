/**
 * An input the prover refuses before proving: not the request's bytes, not the model's shape, or
 * a request for another model. A worker answers the shape case with
 * `reportFailure(InputShapeMismatch)`.
 */
export class ZkInputError extends Error {
  override name = "ZkInputError";
}
