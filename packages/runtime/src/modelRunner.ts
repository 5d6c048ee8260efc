import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { pino, type Logger } from "pino";
import type { ModelRunner } from "@verity/contracts";
import { currentEnvironment } from "./environment.js";
import { ModelStore } from "./modelStore.js";
import { Runner } from "./runner.js";

export interface CreateModelRunnerParameters {
  /** Where verified model files are cached; default a fresh temporary directory (so each model
   * is fetched from its uri once, not trusted from an earlier cache). */
  cacheDir?: string;
  /** Gateway for `ipfs://` uris; default `http://127.0.0.1:8080/ipfs/`. */
  ipfsGateway?: string;
  /** Per download; default 30 s. */
  fetchTimeoutMs?: number;
  /** Per run; default 5 s. */
  timeoutMs?: number;
  /** A pino logger; default silent. */
  logger?: Logger;
}

/**
 * Starts a local model runner in Node, the one the SDK's `verifyResult` takes: `ModelStore`
 * (verified files cached on disk, the canonical executor in a host process with a time limit)
 * and `Runner`, as a worker runs them. Reuse one for many verifications and close it when done.
 *
 * @example
 * const runner = await createModelRunner();
 * try {
 *   for (const id of ids) console.log((await verifyResult(client, { requestId: id, runner })).summary);
 * } finally {
 *   await runner.close();
 * }
 */
export async function createModelRunner(
  parameters: CreateModelRunnerParameters = {},
): Promise<ModelRunner> {
  const logger = parameters.logger ?? pino({ level: "silent" });
  const ownCache = parameters.cacheDir === undefined;
  const cacheDir = parameters.cacheDir ?? (await mkdtemp(join(tmpdir(), "verity-verify-")));
  const store = new ModelStore({
    cacheDir,
    ipfsGateway: parameters.ipfsGateway ?? "http://127.0.0.1:8080/ipfs/",
    fetchTimeoutMs: parameters.fetchTimeoutMs ?? 30_000,
    maxSessions: 8,
    logger,
  });
  const runner = new Runner(store, { timeoutMs: parameters.timeoutMs ?? 5_000, logger });
  return {
    environment: currentEnvironment(),
    run: (model, input) => runner.run(model, input),
    load: async (model) => {
      await store.load(model);
    },
    close: async () => {
      await store.close();
      if (ownCache) await rm(cacheDir, { recursive: true, force: true });
    },
  };
}
