import { spawn, type ChildProcess } from "node:child_process";
import { mkdtemp } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { ACCOUNTS, devAccount, type Devnet } from "./devnet.js";
import { freePort } from "./node.js";

const WORKER_BIN = fileURLToPath(new URL("../../worker/bin/verity-worker.js", import.meta.url));

/** A `verity-worker` process and its parsed JSON log lines. */
export interface WorkerProcess {
  process: ChildProcess;
  address: string;
  dataDir: string;
  logs: Record<string, unknown>[];
  /** Everything it wrote to stderr (configuration and preflight errors land there). */
  stderr(): string;
  /** Resolves with the first log line (past or future) that matches; rejects on exit or timeout. */
  waitForLog(
    match: (line: Record<string, unknown>) => boolean,
    timeoutMs?: number,
  ): Promise<Record<string, unknown>>;
  /** Base URL of /healthz and /metrics, once the worker serves them (after its preflight). */
  httpUrl(): Promise<string>;
  /** Sends a signal (SIGTERM by default) and waits for the exit code. */
  stop(signal?: NodeJS.Signals): Promise<number | null>;
  exited: Promise<number | null>;
}

export interface WorkerProcessOptions {
  /** Hardhat account index of the worker's key; default ACCOUNTS.firstWorker. */
  account?: number;
  /** Default: a fresh temporary directory. Reuse one to restart a worker on its journal. */
  dataDir?: string;
  /** Log lines kept in `logs` (the oldest go first); default 10,000. */
  maxLogLines?: number;
  /** Extra settings as flags, keyed by config key: { pollIntervalMs: 20 }. */
  settings?: Record<string, string | number | boolean>;
}

/**
 * Starts the real worker binary against a devnet, as an operator would: its key from the
 * environment, everything else as flags, self-registering with 1 ETH of stake.
 */
export async function spawnWorker(
  devnet: Devnet,
  options: WorkerProcessOptions = {},
): Promise<WorkerProcess> {
  const account = devAccount(options.account ?? ACCOUNTS.firstWorker);
  const dataDir = options.dataDir ?? (await mkdtemp(join(tmpdir(), "verity-worker-")));
  const settings: Record<string, string | number | boolean> = {
    rpcUrl: devnet.node.url,
    hubAddress: await devnet.hub.getAddress(),
    dataDir,
    registerStakeEth: 1,
    httpPort: await freePort(),
    pollIntervalMs: 50,
    ...(devnet.zkArtifactsDir === undefined ? {} : { zkArtifactsDir: devnet.zkArtifactsDir }),
    ...options.settings,
  };
  const flags = Object.entries(settings).flatMap(([key, value]) => [
    `--${key.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`)}`,
    String(value),
  ]);
  const child = spawn(process.execPath, [WORKER_BIN, ...flags], {
    env: { ...process.env, VERITY_PRIVATE_KEY: account.privateKey },
    stdio: ["ignore", "pipe", "pipe"],
  });
  const logs: Record<string, unknown>[] = [];
  const waiters = new Set<() => void>();
  let stderr = "";
  let partial = "";
  child.stdout.on("data", (chunk: Buffer) => {
    const lines = (partial + chunk.toString()).split("\n");
    partial = lines.pop() ?? "";
    for (const line of lines) {
      try {
        logs.push(JSON.parse(line) as Record<string, unknown>);
      } catch {
        logs.push({ msg: line });
      }
    }
    // A devnet left running for hours must not keep every line it ever logged.
    const excess = logs.length - (options.maxLogLines ?? 10_000);
    if (excess > 0) logs.splice(0, excess);
    for (const waiter of waiters) waiter();
  });
  child.stderr.on("data", (chunk: Buffer) => {
    stderr += chunk.toString();
  });
  const exited = new Promise<number | null>((resolve) =>
    child.once("exit", (code) => {
      for (const waiter of waiters) waiter();
      resolve(code);
    }),
  );

  const waitForLog: WorkerProcess["waitForLog"] = (match, timeoutMs = 30_000) =>
    new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        waiters.delete(check);
        reject(new Error(`worker log line not seen in ${timeoutMs} ms; stderr:\n${stderr}`));
      }, timeoutMs);
      function check() {
        const found = logs.find(match);
        if (found || child.exitCode !== null) {
          clearTimeout(timer);
          waiters.delete(check);
          if (found) resolve(found);
          else reject(new Error(`worker exited with ${child.exitCode}; stderr:\n${stderr}`));
        }
      }
      waiters.add(check);
      check();
    });

  return {
    process: child,
    address: account.address,
    dataDir,
    logs,
    stderr: () => stderr,
    waitForLog,
    httpUrl: async () => {
      // Answers once the worker is through preflight and serving; fails if it exits first.
      const url = `http://127.0.0.1:${settings.httpPort}`;
      for (;;) {
        if (child.exitCode !== null)
          throw new Error(`worker exited with ${child.exitCode}; stderr:\n${stderr}`);
        const up = await fetch(`${url}/healthz`).then(
          () => true,
          () => false,
        );
        if (up) return url;
        await new Promise((resolve) => setTimeout(resolve, 50));
      }
    },
    stop: async (signal = "SIGTERM") => {
      if (child.exitCode === null && child.signalCode === null) child.kill(signal);
      return exited;
    },
    exited,
  };
}
