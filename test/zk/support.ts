import { expect } from "chai";
import { fileURLToPath } from "node:url";
import { buildZkArtifacts } from "@verity/zk";
import type { BuildZkArtifactsOptions, ZkModelArtifacts } from "@verity/zk";

/** The repository's ZK cache (gitignored): the first run builds, later runs reuse. */
export const CACHE_DIR = fileURLToPath(new URL("../../.cache/zk/", import.meta.url));

/** A cold build (powers of tau 2^11, circuit, keys) takes about a minute on 2 cores. */
export const SETUP_TIMEOUT_MS = 10 * 60_000;

const built = new Map<string, Promise<ZkModelArtifacts>>();

/** Artifacts with an INSECURE development setup, built once per process (and cached on disk). */
export function devArtifacts(
  bytes: Uint8Array,
  options: Partial<BuildZkArtifactsOptions> = {},
): Promise<ZkModelArtifacts> {
  const key = `${Buffer.from(bytes).toString("base64")}|${JSON.stringify(options)}`;
  let artifacts = built.get(key);
  if (artifacts === undefined) {
    artifacts = buildZkArtifacts(bytes, {
      cacheDir: CACHE_DIR,
      insecureDevSetup: true,
      onProgress: (step) => {
        if (process.env.VERITY_ZK_VERBOSE === "1") console.log(`      [zk] ${step}`);
      },
      ...options,
    });
    built.set(key, artifacts);
  }
  return artifacts;
}

/** Awaits `promise`, expecting it to reject with an instance of `type` whose message matches. */
export async function expectRejection(
  promise: Promise<unknown>,
  type: abstract new (...args: never[]) => Error,
  message: RegExp,
): Promise<void> {
  let error: unknown;
  try {
    await promise;
  } catch (caught) {
    error = caught;
  }
  expect(error, "expected a rejection").to.be.instanceOf(type);
  expect((error as Error).message).to.match(message);
}
