/**
 * `@verity/runtime` (its Node entry) in the page: everything of `@verity/runtime/browser` (the
 * same modules, so the SDK's `instanceof` checks on its errors hold), and a stand-in for the one
 * Node-only part the SDK's module graph names: `ModelStore`, which `createModelRunner` builds.
 * The page never calls that; it verifies with its own runner (app/verify.ts).
 */
export * from "@verity/runtime/browser";

export class ModelStore {
  constructor() {
    throw new Error(
      "ModelStore (files on disk, a host process) is Node-only: in a page, run models with " +
        "Runner and PageModels of @verity/runtime/browser",
    );
  }
}
