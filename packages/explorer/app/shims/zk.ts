/**
 * `@verity/zk` in the page: `verifyResult` loads it to re-run a ZK model's circuit arithmetic,
 * which happens on the explorer's Node server (`/api/verify/:id`), never in the page.
 */
function unavailable(): never {
  throw new Error("ZK re-execution runs on the explorer's server, not in the page");
}

export const compileOnnx = (): never => unavailable();
export const execute = (): never => unavailable();
