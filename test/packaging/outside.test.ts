import { expect } from "chai";
import { existsSync } from "node:fs";
import { mkdtemp, readFile, realpath, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { delimiter, join, sep } from "node:path";
import {
  ACCOUNTS,
  devAccount,
  spawnWorker,
  startDevnet,
  type Devnet,
  type WorkerProcess,
} from "@verity/devnet";
import { sampleModel } from "@verity/models";
import {
  REPO_ROOT,
  bundleLightSdk,
  packUserPackages,
  run,
  type UserPackage,
} from "../../scripts/pack.js";

/**
 * The machine's own `node`, as a dapp developer runs it: the first on PATH outside this
 * repository (`npm test` puts the repository's Node 22 first).
 */
function systemNode(): string {
  const dir = outsidePath()
    .split(delimiter)
    .find((candidate) => existsSync(join(candidate, "node")));
  if (dir === undefined) throw new Error("no node outside the repository on PATH");
  return join(dir, "node");
}

/** PATH without the repository's binaries, so the project sees only what it installed. */
function outsidePath(): string {
  return (process.env.PATH ?? "")
    .split(delimiter)
    .filter((dir) => !dir.startsWith(REPO_ROOT) && !dir.includes(`${sep}node_modules${sep}`))
    .join(delimiter);
}

const SCRIPT = `
import { createVerityClient, requestInference, waitForResult, verifyResult } from "@verity/sdk";
import { createModelRunner } from "@verity/runtime";

const client = await createVerityClient({ privateKey: process.env.VERITY_PRIVATE_KEY, rpcUrl: process.env.RPC_URL });
const { requestId } = await requestInference(client, {
  modelId: process.env.MODEL_ID,
  input: JSON.parse(process.env.INPUT),
});
const { status, result } = await waitForResult(client, { requestId, timeoutMs: 60_000 });
const runner = await createModelRunner();
const receipt = await verifyResult(client, { requestId, runner });
await runner.close();
client.destroy();
console.log(JSON.stringify({
  node: process.version,
  hubSource: client.hubSource,
  status,
  value: result?.decoded?.real[0],
  matches: receipt.matches,
  checks: receipt.checks.map((check) => [check.name, check.ok]),
}));
`;

const TYPED = `
import {
  createVerityClient,
  encodeInput,
  type InferenceResult,
  type VerificationReceipt,
  type VerityClient,
} from "@verity/sdk";
import { createModelRunner } from "@verity/runtime";
import type { ModelRunner } from "@verity/contracts";

export async function score(client: VerityClient, requestId: bigint): Promise<VerificationReceipt> {
  const runner: ModelRunner = await createModelRunner({ timeoutMs: 2_000 });
  const { verifyResult } = await import("@verity/sdk");
  return verifyResult(client, { requestId, runner }).finally(() => runner.close());
}
export const encoded: string = encodeInput({ inputShape: [1, 2], decimals: 6 }, [0.5, -1]);
export type Status = InferenceResult["status"];
export const connect: () => Promise<VerityClient> = () => createVerityClient();
`;

/**
 * A dapp developer's project outside this repository: the user-facing packages packed as they
 * would be published, installed with npm from their tarballs, then used as a user would: a plain
 * Node ESM script against a running devnet (request, wait, verify by re-execution), a TypeScript
 * file type-checked with --strict, and the light SDK bundled for the browser with esbuild.
 */
describe("the packages, installed from their tarballs into a project outside the repository", function () {
  this.timeout(600_000);
  let project: string;
  let tarballs: Record<UserPackage, string>;
  let devnet: Devnet;
  let worker: WorkerProcess;

  before(async function () {
    project = await realpath(await mkdtemp(join(tmpdir(), "verity-dapp-")));
    tarballs = await packUserPackages(join(project, "tarballs"));
    await writeFile(
      join(project, "package.json"),
      JSON.stringify({ name: "dapp", private: true, type: "module" }),
    );
    await run(
      "npm",
      [
        "install",
        "--no-audit",
        "--no-fund",
        tarballs.sdk,
        tarballs.contracts,
        tarballs.models,
        tarballs.runtime,
        "@types/node@22",
      ],
      { cwd: project },
    );
    devnet = await startDevnet({ models: ["credit-risk"] });
    worker = await spawnWorker(devnet);
    await worker.httpUrl();
  });

  after(async () => {
    await worker?.stop("SIGKILL");
    await devnet?.stop();
    if (project) await rm(project, { recursive: true, force: true });
  });

  it("ships JavaScript and declarations, no TypeScript sources, and nothing private", async () => {
    for (const name of ["sdk", "contracts", "models", "runtime"]) {
      const dir = join(project, "node_modules/@verity", name);
      const manifest = JSON.parse(await readFile(join(dir, "package.json"), "utf8"));
      expect(manifest.private, name).to.equal(undefined);
      expect(JSON.stringify(manifest.exports), name).not.to.match(/(?<!\.d)\.ts"/);
      expect(JSON.stringify(manifest.dependencies ?? {}), name).not.to.include("workspace:");
      const files = (
        await run("find", [dir, "-name", "*.ts", "-not", "-name", "*.d.ts"], { cwd: dir })
      ).trim();
      expect(files, name).to.equal("");
    }
    const sdk = JSON.parse(
      await readFile(join(project, "node_modules/@verity/sdk/package.json"), "utf8"),
    );
    // The light SDK brings no executor, model tooling or logger.
    expect(Object.keys(sdk.dependencies).sort()).to.deep.equal(["@verity/contracts", "ethers"]);
  });

  it("a plain Node ESM script requests, waits and verifies against a running devnet", async () => {
    const credit = sampleModel("credit-risk");
    await writeFile(join(project, "verify.mjs"), SCRIPT);
    const out = await run(systemNode(), ["verify.mjs"], {
      cwd: project,
      env: {
        PATH: outsidePath(),
        HOME: process.env.HOME ?? tmpdir(),
        VERITY_HUB_ADDRESS: await devnet.hub.getAddress(),
        VERITY_PRIVATE_KEY: devAccount(ACCOUNTS.requester).privateKey,
        RPC_URL: devnet.node.url,
        MODEL_ID: credit.modelId,
        INPUT: JSON.stringify(credit.sampleInput(3)),
      },
    });
    const report = JSON.parse(out.trim().split("\n").at(-1)!);
    expect(Number(report.node.slice(1).split(".")[0])).to.be.at.least(20);
    expect(report.hubSource).to.equal("VERITY_HUB_ADDRESS");
    expect(report.status).to.be.oneOf(["Submitted", "Settled"]);
    expect(report.value).to.be.a("number");
    expect(report.matches).to.equal(true);
    expect(report.checks).to.deep.include(["re-execution", true]);
  });

  it("type-checks a TypeScript file with --strict against the declarations", async () => {
    await writeFile(join(project, "typed.ts"), TYPED);
    await run(
      systemNode(),
      [
        join(REPO_ROOT, "node_modules/typescript/bin/tsc"),
        "--strict",
        "--noEmit",
        "--target",
        "es2022",
        "--module",
        "nodenext",
        "--moduleResolution",
        "nodenext",
        "--types",
        "node",
        "typed.ts",
      ],
      { cwd: project, env: { PATH: outsidePath() } },
    );
  });

  it("bundles the light SDK for the browser with esbuild, no shims", async () => {
    const bundle = (await bundleLightSdk(project)).toString("utf8");
    expect(bundle.length).to.be.greaterThan(0);
    // Nothing of the executor, the model tooling or Node came along.
    expect(bundle).not.to.match(/onnxruntime|protobufjs|node:fs|child_process/);
  });
});
