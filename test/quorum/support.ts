import { pathToFileURL } from "node:url";
import { id, parseEther } from "ethers";
import {
  DisputeResolver__factory,
  ProofMode,
  QuorumCoordinator__factory,
  proofModesMask,
  type DisputeResolver,
  type QuorumCoordinator,
} from "@verity/contracts";
import { ACCOUNTS, registerLikeSample, type Devnet, type WorkerProcess } from "@verity/devnet";
import { writeSampleModels, type SampleModelName } from "@verity/models";

/** The hub's QUORUM coordinator, connected as the admin account (govern it through `devnet.govern`). */
export async function coordinatorOf(devnet: Devnet): Promise<QuorumCoordinator> {
  const address = await devnet.hub.proofVerifier(ProofMode.QUORUM);
  return QuorumCoordinator__factory.connect(address, devnet.signer(ACCOUNTS.admin));
}

/** The account holding the hub's DISPUTE_RESOLVER_ROLE (the Ignition module grants it), connected as the admin account. */
export async function resolverOf(devnet: Devnet): Promise<DisputeResolver> {
  const role = id("DISPUTE_RESOLVER_ROLE");
  const granted = await devnet.hub.queryFilter(devnet.hub.filters.RoleGranted(role), 0, "latest");
  const address = granted.at(-1)?.args.account;
  if (address === undefined) throw new Error("nobody holds DISPUTE_RESOLVER_ROLE");
  return DisputeResolver__factory.connect(address, devnet.signer(ACCOUNTS.admin));
}

/**
 * Registers a sample model for ATTESTED and QUORUM requests (the devnet registers its samples for
 * ATTESTED only): start the devnet without it (`models`), then call this. Returns its id.
 */
export async function registerQuorumModel(devnet: Devnet, name: SampleModelName): Promise<string> {
  const written = await writeSampleModels(new URL("../../models/", import.meta.url).pathname);
  const sample = written.find((model) => model.name === name)!;
  await registerLikeSample(
    devnet.modelRegistry.connect(devnet.signer(ACCOUNTS.modelOwner)),
    name,
    sample.modelId,
    pathToFileURL(sample.path).href,
    parseEther("0.001"),
    proofModesMask(ProofMode.ATTESTED, ProofMode.QUORUM),
  );
  return sample.modelId;
}

/** Polls `read` until it returns true. */
export async function until(
  what: string,
  read: () => Promise<boolean>,
  timeoutMs = 60_000,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await read())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

/**
 * Mines an empty block every `everyMs`, as a live chain would: a local node mines only when a
 * transaction arrives, so without traffic its clock (the last block's timestamp) stands still and
 * no window would ever end for the workers, who go by chain time. Returns the stop function.
 */
export function heartbeat(devnet: Devnet, everyMs = 1_000): () => void {
  const timer = setInterval(() => {
    devnet.node.rpc("evm_mine").catch(() => {});
  }, everyMs);
  return () => clearInterval(timer);
}

/** With VERITY_TEST_LOGS=1: what the workers' quorum and watch duties did, and every warning. */
export function printLogs(workers: (WorkerProcess | undefined)[]) {
  if (process.env.VERITY_TEST_LOGS !== "1") return;
  for (const worker of workers) {
    for (const line of worker?.logs ?? []) {
      if (line.module === "watch" || line.module === "quorum" || Number(line.level) >= 40) {
        console.log(worker!.address.slice(0, 8), JSON.stringify(line));
      }
    }
  }
}
