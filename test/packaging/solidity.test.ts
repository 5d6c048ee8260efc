import { expect } from "chai";
import { execFile } from "node:child_process";
import { chmod, cp, mkdtemp, readFile, realpath, rm, writeFile } from "node:fs/promises";
import { createRequire } from "node:module";
import { tmpdir } from "node:os";
import { dirname, join, relative } from "node:path";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";

const execFileAsync = promisify(execFile);

/** Runs a command; on failure, the error shows its stdout too (forge reports failures there). */
async function run(
  command: string,
  args: string[],
  options: { cwd: string; env?: NodeJS.ProcessEnv },
): Promise<{ stdout: string; stderr: string }> {
  try {
    return await execFileAsync(command, args, { ...options, maxBuffer: 16 * 1024 * 1024 });
  } catch (error) {
    const { stdout, stderr } = error as { stdout?: string; stderr?: string };
    throw new Error(`${command} ${args.join(" ")} failed:\n${stdout ?? ""}\n${stderr ?? ""}`, {
      cause: error,
    });
  }
}
const require = createRequire(import.meta.url);

const REPO_ROOT = fileURLToPath(new URL("../../", import.meta.url));
const PACKAGE_DIR = join(REPO_ROOT, "packages/solidity");
const FIXTURE_DIR = fileURLToPath(new URL("./foundry-consumer/", import.meta.url));
const SOLC_WRAPPER = fileURLToPath(new URL("../../scripts/solcjs-for-forge.mjs", import.meta.url));
const SOLC_PACKAGE_DIR = dirname(require.resolve("solc/package.json"));

/** The native binary of `@foundry-rs/forge`, from its platform package (as devnet finds anvil's). */
function forgeBinary(): string {
  const wrapper = dirname(require.resolve("@foundry-rs/forge/package.json"));
  const platform = `@foundry-rs/forge-${process.platform}-${process.arch === "x64" ? "amd64" : process.arch}`;
  return createRequire(join(wrapper, "package.json")).resolve(`${platform}/bin/forge`);
}

interface PackResult {
  filename: string;
  files: { path: string }[];
}

/**
 * What a dapp developer does: pack `@verity/solidity` as it would be published, install the
 * tarball with npm into a fresh Foundry project outside this repository, and test a consumer
 * against `MockInferenceHub` with forge. Nothing is downloaded: the package has no dependencies
 * (`npm install --offline`), and forge compiles with the npm `solc` package through a small
 * launcher (scripts/solcjs-for-forge.mjs) instead of fetching a native solc.
 */
describe("@verity/solidity, installed from its tarball into a Foundry project", function () {
  this.timeout(300_000);
  let project: string;
  let packed: PackResult;

  before(async function () {
    project = await realpath(await mkdtemp(join(tmpdir(), "verity-consumer-")));
    expect(relative(REPO_ROOT, project).startsWith(".."), "outside the repository").to.equal(true);

    const { stdout } = await run(
      "npm",
      ["pack", "--json", "--pack-destination", project, "--cache", join(project, ".npm-cache")],
      { cwd: PACKAGE_DIR },
    );
    [packed] = JSON.parse(stdout) as PackResult[];

    await cp(FIXTURE_DIR, project, { recursive: true });
    await writeFile(
      join(project, "package.json"),
      JSON.stringify({ name: "score-keeper", version: "0.0.0", private: true }, null, 2),
    );
    await run(
      "npm",
      [
        "install",
        "--offline",
        "--no-audit",
        "--no-fund",
        "--cache",
        join(project, ".npm-cache"),
        join(project, packed.filename),
      ],
      { cwd: project },
    );

    // forge runs `solc --version` and `solc --standard-json`; the launcher answers both with solcjs.
    const launcher = join(project, "solc");
    await writeFile(
      launcher,
      `#!/bin/sh\nSOLCJS_PATH='${SOLC_PACKAGE_DIR}' exec '${process.execPath}' '${SOLC_WRAPPER}' "$@"\n`,
    );
    await chmod(launcher, 0o755);
    const toml = await readFile(join(project, "foundry.toml"), "utf8");
    await writeFile(join(project, "foundry.toml"), `${toml}solc = "${launcher}"\n`);
  });

  after(async function () {
    if (project) await rm(project, { recursive: true, force: true });
  });

  it("packs the Solidity sources, README and licence, and nothing else", function () {
    const files = packed.files.map((file) => file.path).sort();
    expect(files).to.include.members([
      "LICENSE",
      "README.md",
      "package.json",
      "consumer/InferenceConsumer.sol",
      "interfaces/IInferenceConsumer.sol",
      "interfaces/IInferenceHub.sol",
      "libraries/ExactGasCall.sol",
      "libraries/TensorCodec.sol",
      "mocks/MockInferenceHub.sol",
      "types/Inference.sol",
    ]);
    const others = files.filter(
      (file) => !file.endsWith(".sol") && !["LICENSE", "README.md", "package.json"].includes(file),
    );
    expect(others).to.deep.equal([]);
  });

  it("installs with npm and has no dependencies", async function () {
    const installed = JSON.parse(
      await readFile(join(project, "node_modules/@verity/solidity/package.json"), "utf8"),
    ) as { name: string; license: string; private?: boolean; dependencies?: object };
    expect(installed.name).to.equal("@verity/solidity");
    expect(installed.license).to.equal("MIT");
    expect(installed.private).to.equal(undefined);
    expect(installed.dependencies).to.equal(undefined);
  });

  it("compiles offline with forge and passes a consumer's tests against MockInferenceHub", async function () {
    const { stdout } = await run(forgeBinary(), ["test", "--root", project], {
      cwd: project,
      env: { ...process.env, FOUNDRY_OFFLINE: "true", NO_COLOR: "1" },
    });
    expect(stdout).to.match(/Compiler run successful/);
    for (const test of [
      "test_deliverResult_StoresTheScore()",
      "test_deliverFailure_CountsItAndTheHubCreditsTheRefund()",
      "test_deliverResult_IgnoresRequestsItDidNotMake()",
      "test_onInferenceResult_RevertWhen_NotTheHub()",
      "test_deliverResult_RevertWhen_DeliveredTwice()",
      "testFuzz_deliverResult_StoresAnyScore(int32)",
    ]) {
      expect(stdout, stdout).to.include(`[PASS] ${test}`);
    }
    expect(stdout).to.match(/8 tests passed, 0 failed/);
  });
});
