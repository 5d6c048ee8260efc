import { expect } from "chai";
import { spawn, type ChildProcess } from "node:child_process";
import { existsSync } from "node:fs";
import { mkdtemp, readFile, readdir, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { encodeOnnx, sampleModel } from "@verity/models";

const REPO_ROOT = fileURLToPath(new URL("../../", import.meta.url));
/** The documents whose shell blocks a new user types, in the order they type them. */
const DOCUMENTS = ["README.md", "docs/getting-started.md"];

/**
 * Commands not run here, each with why. Everything else in the documents' `sh` blocks runs as
 * printed, from the repository's directory, in order.
 */
const NOT_RUN: { pattern: RegExp; why: string }[] = [
  { pattern: /^npm (start|test)$/, why: "the quickstart itself: CI runs exactly these two" },
  { pattern: /^npx verity devnet$/, why: "started once, in the background, before the rest" },
  {
    pattern: /^npx hardhat run scripts\/try-risk-gate\.ts/,
    why: "runs files the reader writes from the page's code blocks (contracts/RiskGate.sol, scripts/try-risk-gate.ts)",
  },
];

/** What the page tells the reader to supply: the test supplies it. */
const READER_SUPPLIES: { text: string; value: string; why: string }[] = [
  {
    text: "'[...]'",
    value: JSON.stringify(sampleModel("credit-risk").sampleInput(4)),
    why: "your own model's input: my-model.onnx here takes credit-risk's 16 features",
  },
];

interface Command {
  document: string;
  line: number;
  text: string;
}

/** The commands of every `sh` block: continuation lines joined, comments and blank lines dropped. */
async function documentedCommands(): Promise<Command[]> {
  const commands: Command[] = [];
  for (const document of DOCUMENTS) {
    const text = await readFile(join(REPO_ROOT, document), "utf8");
    for (const block of text.matchAll(/```(?:sh|bash|shell)\n([\s\S]*?)```/g)) {
      const firstLine = text.slice(0, block.index).split("\n").length + 1;
      const lines = block[1].split("\n");
      for (let i = 0; i < lines.length; i++) {
        let command = lines[i];
        const line = firstLine + i;
        while (command.endsWith("\\") && i + 1 < lines.length) {
          command = `${command.slice(0, -1)} ${lines[++i].trim()}`;
        }
        command = command.replace(/\s+#.*$/, "").trim();
        if (command === "" || command.startsWith("#")) continue;
        commands.push({ document, line, text: command });
      }
    }
  }
  return commands;
}

function runShell(
  command: string,
  env: NodeJS.ProcessEnv,
): Promise<{ code: number | null; output: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn("sh", ["-c", command], { cwd: REPO_ROOT, env });
    let output = "";
    child.stdout.on("data", (chunk) => (output += chunk));
    child.stderr.on("data", (chunk) => (output += chunk));
    child.on("error", reject);
    child.on("close", (code) => resolve({ code, output }));
  });
}

/**
 * The README's and getting-started's shell blocks, run as a reader types them after the
 * quickstart: a devnet in the background, then every command in order, each expected to exit 0.
 * So a documented command cannot rot without a test failing.
 */
describe("the documented commands, run as printed", function () {
  this.timeout(600_000);
  let home: string;
  let devnet: ChildProcess | undefined;
  let devnetOutput = "";
  const env: NodeJS.ProcessEnv = { ...process.env };
  const ownModel = join(REPO_ROOT, "my-model.onnx");

  before(async function () {
    home = await mkdtemp(join(tmpdir(), "verity-docs-"));
    // The devnet records itself here, where the CLI finds it; nothing of the user's is touched.
    env.VERITY_HOME = home;
    delete env.VERITY_HUB_ADDRESS;
    delete env.VERITY_PRIVATE_KEY;
    // "Any ONNX file with one input and one output": the reader's own model.
    await writeFile(
      ownModel,
      encodeOnnx({ ...sampleModel("credit-risk").graph, name: "my-model" }),
    );
    devnet = spawn("npx", ["verity", "devnet"], { cwd: REPO_ROOT, env, detached: true });
    devnet.stdout!.on("data", (chunk) => (devnetOutput += chunk));
    devnet.stderr!.on("data", (chunk) => (devnetOutput += chunk));
    const started = Date.now();
    while (
      !(await readdir(join(home, "devnets")).catch(() => [])).some((f) => f.endsWith(".json"))
    ) {
      if (devnet.exitCode !== null || Date.now() - started > 180_000) {
        throw new Error(`npx verity devnet did not start:\n${devnetOutput}`);
      }
      await new Promise((resolve) => setTimeout(resolve, 250));
    }
  });

  after(async () => {
    if (devnet?.pid !== undefined && devnet.exitCode === null) {
      const exited = new Promise((resolve) => devnet!.once("exit", resolve));
      process.kill(-devnet.pid, "SIGINT");
      await exited;
    }
    if (existsSync(ownModel)) await rm(ownModel);
    if (home) await rm(home, { recursive: true, force: true });
  });

  it("every command exits 0", async () => {
    const commands = await documentedCommands();
    const ran: string[] = [];
    for (const command of commands) {
      if (NOT_RUN.some(({ pattern }) => pattern.test(command.text))) continue;
      let text = command.text;
      for (const { text: placeholder, value } of READER_SUPPLIES) {
        text = text.replaceAll(placeholder, `'${value}'`);
      }
      const exported = /^export ([A-Z_]+)=(\S+)$/.exec(text);
      if (exported) {
        env[exported[1]] = exported[2];
        continue;
      }
      const { code, output } = await runShell(text, env);
      expect(
        code,
        `${command.document}:${command.line} \`${command.text}\` exited ${code}:\n${output}`,
      ).to.equal(0);
      ran.push(text);
    }
    // The page's steps ran, not nothing: the CLI walk-through of both documents at least.
    expect(ran.filter((text) => text.startsWith("npx verity verify"))).to.have.length(2);
    expect(ran.some((text) => text.includes("model register my-model.onnx"))).to.equal(true);
  });
});
