import { rmSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { writeDevnetRecord } from "@verity/contracts/deployments";
import { DEFAULT_RPC_URL } from "@verity/sdk";
import { EXIT, UsageError, table, type ExitCode, type Output } from "./output.js";

/** The repository: `hardhat node` and Ignition run with its config. */
const REPO_ROOT = fileURLToPath(new URL("../../../", import.meta.url));

export interface DevnetOptions {
  port: number;
  challengeWindowSeconds: number;
  /** Serve the explorer (`@verity/explorer`) on this port of 127.0.0.1; none when undefined. */
  explorerPort?: number;
}

/**
 * `verity devnet`: a local chain with Verity deployed, the sample models registered and a worker
 * serving them, left running for dapp development until Ctrl-C (which stops everything).
 */
export async function devnet(out: Output, options: DevnetOptions): Promise<ExitCode> {
  const url = `http://127.0.0.1:${options.port}`;
  if (await answers(url)) {
    throw new UsageError(
      `Something already answers JSON-RPC at ${url}.`,
      "stop that node (perhaps an earlier `verity devnet`), or pick another port with --port.",
    );
  }
  // Hardhat finds its configuration (and Ignition its modules) from the working directory.
  process.chdir(REPO_ROOT);
  const { ACCOUNTS, devAccount, spawnWorker, startDevnet } = await import("@verity/devnet");
  out.progress(
    `starting a hardhat node at ${url}, deploying Verity, registering the sample models`,
  );
  const chain = await startDevnet({
    port: options.port,
    challengeWindowSeconds: options.challengeWindowSeconds,
  });
  let worker: Awaited<ReturnType<typeof spawnWorker>> | undefined;
  let explorer: { url: string; close(): Promise<void> } | undefined;
  let recordFile: string | undefined;
  try {
    out.progress("starting a worker (staking 1 ETH on this machine's environment)");
    worker = await spawnWorker(chain, { settings: { pollIntervalMs: 100 } });
    const workerUrl = await worker.httpUrl();
    const metricsUrl = `${workerUrl}/metrics`;
    const requester = devAccount(ACCOUNTS.requester);
    const owner = devAccount(ACCOUNTS.modelOwner);
    const addresses = {
      inferenceHub: await chain.hub.getAddress(),
      modelRegistry: await chain.modelRegistry.getAddress(),
      workerRegistry: await chain.workerRegistry.getAddress(),
    };
    // So that the SDK, the CLI and the explorer find this devnet from any directory with only
    // the RPC URL (the default one included); removed when the devnet stops.
    recordFile = writeDevnetRecord({
      rpcUrl: chain.node.url,
      chainId: String(chain.chainId),
      ...addresses,
      pid: process.pid,
      startedAt: new Date().toISOString(),
    });
    if (options.explorerPort !== undefined) {
      out.progress(`starting the explorer on 127.0.0.1:${options.explorerPort}`);
      const { startExplorer } = await import("@verity/explorer");
      explorer = await startExplorer({
        rpcUrl: chain.node.url,
        hubAddress: addresses.inferenceHub,
        chainId: chain.chainId,
        port: options.explorerPort,
        workerEndpoints: [{ address: worker.address, url: workerUrl }],
      });
    }
    const summary = {
      rpcUrl: chain.node.url,
      recordedIn: recordFile,
      chainId: chain.chainId,
      ...addresses,
      environment: chain.environment,
      worker: { address: worker.address, metricsUrl },
      ...(explorer ? { explorerUrl: explorer.url } : {}),
      models: Object.values(chain.models),
      accounts: {
        requester: { address: requester.address, privateKey: requester.privateKey },
        modelOwner: { address: owner.address, privateKey: owner.privateKey },
      },
    };
    out.result(
      [
        "Verity devnet is running. Ctrl-C stops the node and the worker.",
        "",
        table([
          ["RPC URL", `${chain.node.url} (chain ${chain.chainId})`],
          ["InferenceHub", addresses.inferenceHub],
          ["ModelRegistry", addresses.modelRegistry],
          ["WorkerRegistry", addresses.workerRegistry],
          ["environment", `${chain.environment.id} (${chain.environment.description})`],
          ["worker", `${worker.address}, metrics ${metricsUrl}`],
          ...(explorer ? [["explorer", explorer.url]] : []),
          ...Object.values(chain.models).map((model) => [
            `model ${model.name}`,
            `${model.modelId} ${model.uri}`,
          ]),
          ["requester", `${requester.address} (Hardhat account #${ACCOUNTS.requester})`],
          ["model owner", `${owner.address} (Hardhat account #${ACCOUNTS.modelOwner})`],
        ]),
        "",
        `Recorded in ${recordFile}, where the SDK, the CLI and the explorer find these addresses.`,
        "In another shell, in this repository (these keys are Hardhat's public test keys; never use them elsewhere):",
        ...(chain.node.url === DEFAULT_RPC_URL
          ? []
          : [`  export VERITY_RPC_URL=${chain.node.url}`]),
        `  export VERITY_PRIVATE_KEY=${requester.privateKey}`,
        "  npx verity model list",
        `  npx verity infer credit-risk --input '[${Array(16).fill("0.1").join(", ")}]' --wait`,
        "  npx verity verify 1",
      ].join("\n"),
      summary,
    );
    const running = worker;
    const stopped = await new Promise<string>((resolve) => {
      process.once("SIGINT", () => resolve("SIGINT"));
      process.once("SIGTERM", () => resolve("SIGTERM"));
      void running.exited.then((code) => resolve(`worker exited with code ${code}`));
      chain.node.process.once("exit", (code) => resolve(`hardhat node exited with code ${code}`));
      echoWorkerLogs(out, running.logs);
    });
    out.progress(`stopping (${stopped})`);
    return stopped.startsWith("SIG") ? EXIT.ok : EXIT.unexpected;
  } finally {
    if (recordFile !== undefined) rmSync(recordFile, { force: true });
    await explorer?.close();
    await worker?.stop();
    await chain.stop();
  }
}

/** Prints what the worker does (one line per log message), so a developer sees requests served. */
function echoWorkerLogs(out: Output, logs: readonly Record<string, unknown>[]): void {
  let seen = logs.length;
  const timer = setInterval(() => {
    for (; seen < logs.length; seen++) {
      const line = logs[seen];
      const id = line.requestId === undefined ? "" : ` request ${String(line.requestId)}`;
      out.progress(`worker:${id} ${String(line.msg)}`);
    }
  }, 250);
  timer.unref();
}

async function answers(url: string): Promise<boolean> {
  try {
    await fetch(url, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ jsonrpc: "2.0", id: 1, method: "eth_chainId", params: [] }),
      signal: AbortSignal.timeout(1000),
    });
    return true;
  } catch {
    return false;
  }
}
