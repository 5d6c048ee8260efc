/**
 * `@verity/runtime` (its Node entry) in the page: the model store and runner use Node built-ins, so
 * `verifyResult` runs on the explorer's Node server (`/api/verify/:id`). These stand-ins only let
 * the SDK's module graph load; `instanceof` checks against them are simply never true.
 */
function unavailable(): never {
  throw new Error("re-execution runs on the explorer's server, not in the page");
}

export class ModelFetchError extends Error {}
export class ModelHashMismatchError extends Error {
  actual = "";
}
export class ModelStore {
  constructor() {
    unavailable();
  }
}
export class Runner {
  constructor() {
    unavailable();
  }
}
export const currentEnvironment = (): never => unavailable();
