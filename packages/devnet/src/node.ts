import { spawn, type ChildProcess } from "node:child_process";
import { createRequire } from "node:module";
import { createServer } from "node:net";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

/** A local EVM node child process on 127.0.0.1 and a way to talk to it. */
export interface LocalNode {
  kind: LocalNodeKind;
  url: string;
  port: number;
  process: ChildProcess;
  /** One JSON-RPC call; throws the node's error message. */
  rpc<T = unknown>(method: string, params?: unknown[]): Promise<T>;
  stop(): Promise<void>;
}

/**
 * `hardhat` (EDR) is what the project develops on; `anvil` (Foundry) is a second, independent
 * implementation, to show the worker makes no assumption one node happens to satisfy.
 */
export type LocalNodeKind = "hardhat" | "anvil";

export interface LocalNodeOptions {
  /** Default `hardhat`. */
  node?: LocalNodeKind;
  /**
   * anvil only: mine a block every this many seconds instead of one per transaction. (Hardhat's
   * interval mining is set at run time with `evm_setIntervalMining`, in milliseconds.)
   */
  blockTimeSeconds?: number;
  /** Default: a free port. */
  port?: number;
  /** The node prints every request it serves; off by default (it costs ~45% of throughput). */
  logging?: boolean;
  /** Directory of the Hardhat project to run the node in; default: this repository. */
  cwd?: string;
  startTimeoutMs?: number;
}

const require = createRequire(import.meta.url);
const REPO_ROOT = fileURLToPath(new URL("../../../", import.meta.url));
// hardhat's main entry is dist/src/index.js; its command line sits beside it.
const HARDHAT_CLI = join(dirname(require.resolve("hardhat")), "cli.js");
/** anvil went to 17 GB on bursts of batched transactions on these machines: it gets a ceiling. */
const ANVIL_MEMORY_KB = 4 * 1024 * 1024;

/** The native binary of `@foundry-rs/anvil`, from its platform package (no wrapper process). */
function anvilBinary(): string {
  const wrapper = dirname(require.resolve("@foundry-rs/anvil/package.json"));
  const platform = `@foundry-rs/anvil-${process.platform}-${process.arch === "x64" ? "amd64" : process.arch}`;
  return createRequire(join(wrapper, "package.json")).resolve(`${platform}/bin/anvil`);
}

function nodeCommand(kind: LocalNodeKind, port: number, options: LocalNodeOptions) {
  if (kind === "hardhat") {
    return {
      command: process.execPath,
      args: [HARDHAT_CLI, "node", "--hostname", "127.0.0.1", "--port", String(port)],
    };
  }
  const anvil = [
    anvilBinary(),
    "--host",
    "127.0.0.1",
    "--port",
    String(port),
    // Workers use the default mnemonic's accounts 10 and up; anvil makes 10 unless told.
    "--accounts",
    "30",
    ...(options.blockTimeSeconds ? ["--block-time", String(options.blockTimeSeconds)] : []),
  ];
  return {
    command: "/bin/sh",
    args: ["-c", `ulimit -v ${ANVIL_MEMORY_KB} && exec "$@"`, "anvil", ...anvil],
  };
}

/**
 * Starts `hardhat node --hostname 127.0.0.1` (or anvil) as a real process (real JSON-RPC over
 * HTTP, as a worker meets any chain) and resolves once it answers `eth_chainId`.
 */
export async function startLocalNode(options: LocalNodeOptions = {}): Promise<LocalNode> {
  const kind = options.node ?? "hardhat";
  const port = options.port ?? (await freePort());
  const url = `http://127.0.0.1:${port}`;
  const { command, args } = nodeCommand(kind, port, options);
  const child = spawn(command, args, {
    cwd: options.cwd ?? REPO_ROOT,
    env: { ...process.env, HARDHAT_DISABLE_TELEMETRY: "true" },
    stdio: ["ignore", "pipe", "pipe"],
  });
  let output = "";
  const capture = (chunk: Buffer) => {
    if (output.length < 20_000) output += chunk.toString();
  };
  child.stdout.on("data", capture);
  child.stderr.on("data", capture);
  const exited = new Promise<number | null>((resolve) => child.once("exit", resolve));

  const rpc = async <T>(method: string, params: unknown[] = []): Promise<T> => {
    const response = await fetch(url, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ jsonrpc: "2.0", id: 1, method, params }),
    });
    const body = (await response.json()) as { result?: T; error?: { message: string } };
    if (body.error) throw new Error(`${method}: ${body.error.message}`);
    return body.result as T;
  };
  const stop = async () => {
    if (child.exitCode !== null || child.signalCode !== null) return;
    child.kill("SIGTERM");
    const timer = setTimeout(() => child.kill("SIGKILL"), 5_000);
    await exited;
    clearTimeout(timer);
  };

  const until = Date.now() + (options.startTimeoutMs ?? 60_000);
  for (;;) {
    if (child.exitCode !== null) {
      throw new Error(`${kind} node exited with code ${child.exitCode}:\n${output}`);
    }
    try {
      await rpc("eth_chainId");
      break;
    } catch {
      if (Date.now() > until) {
        await stop();
        throw new Error(`${kind} node did not answer on ${url} in time:\n${output}`);
      }
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  }
  if (!options.logging) {
    await rpc(kind === "hardhat" ? "hardhat_setLoggingEnabled" : "anvil_setLoggingEnabled", [
      false,
    ]);
  }
  return { kind, url, port, process: child, rpc, stop };
}

/** A TCP port nobody listens on right now. */
export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
  });
}
