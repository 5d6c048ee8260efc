import { spawn } from "node:child_process";
import { fileURLToPath } from "node:url";
import { expect } from "chai";
import { ACCOUNTS, devAccount, spawnWorker, startDevnet, type Devnet } from "@verity/devnet";
import { loadConfig, ConfigError } from "@verity/worker";

const WORKER_BIN = fileURLToPath(
  new URL("../../packages/worker/bin/verity-worker.js", import.meta.url),
);
const KEY = devAccount(ACCOUNTS.firstWorker).privateKey;

/** Runs the worker binary to completion; returns its exit code and what it printed. */
function run(args: string[], env: Record<string, string> = {}) {
  return new Promise<{ code: number | null; stdout: string; stderr: string }>((resolve) => {
    const child = spawn(process.execPath, [WORKER_BIN, ...args], {
      env: { PATH: process.env.PATH ?? "", HOME: process.env.HOME ?? "", ...env },
    });
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (chunk: Buffer) => (stdout += chunk.toString()));
    child.stderr.on("data", (chunk: Buffer) => (stderr += chunk.toString()));
    child.on("exit", (code) => resolve({ code, stdout, stderr }));
  });
}

describe("worker configuration", function () {
  this.timeout(30_000);

  it("layers defaults < file < env < flags", () => {
    const config = loadConfig({
      env: {
        VERITY_RPC_URL: "http://127.0.0.1:1",
        VERITY_PRIVATE_KEY: KEY,
        VERITY_CONFIRMATIONS: "3",
      },
      flags: { confirmations: "5" },
    });
    expect(config.rpcUrl).to.equal("http://127.0.0.1:1");
    expect(config.confirmations).to.equal(5);
    expect(config.maxBatchSize).to.equal(32);
  });

  it("names the key, the source and the fix for every bad value", () => {
    const error = (() => {
      try {
        loadConfig({
          env: { VERITY_RPC_URL: "ws://nope", VERITY_CONFIRMATIONS: "-1" },
          flags: { maxBatchSize: "many" },
        });
      } catch (e) {
        return e as Error;
      }
    })();
    expect(error).to.be.instanceOf(ConfigError);
    expect(error!.message).to.match(/rpcUrl .*from env VERITY_RPC_URL/);
    expect(error!.message).to.match(/confirmations .*from env VERITY_CONFIRMATIONS/);
    expect(error!.message).to.match(/maxBatchSize .*from flag --max-batch-size/);
    expect(error!.message).to.match(/privateKey .*VERITY_PRIVATE_KEY=/);
    expect(error!.message).not.to.include(KEY);
  });

  it("exits 2 with the message on bad flags, unknown flags, or a bad config file", async () => {
    const badValue = await run(["--rpc-url", "http://127.0.0.1:1", "--poll-interval-ms", "fast"], {
      VERITY_PRIVATE_KEY: KEY,
    });
    expect(badValue.code).to.equal(2);
    expect(badValue.stderr).to.include("pollIntervalMs");
    const unknown = await run(["--rpc-urll", "http://127.0.0.1:1"]);
    expect(unknown.code).to.equal(2);
    expect(unknown.stderr).to.include("rpc-urll");
    const missingFile = await run(["--config", "/nonexistent/worker.json"]);
    expect(missingFile.code).to.equal(2);
    expect(missingFile.stderr).to.include("/nonexistent/worker.json");
  });

  it("prints the merged configuration with the key masked", async () => {
    const printed = await run(["--print-config", "--rpc-url", "http://127.0.0.1:1"], {
      VERITY_PRIVATE_KEY: KEY,
    });
    expect(printed.code).to.equal(0);
    const config = JSON.parse(printed.stdout) as Record<string, unknown>;
    expect(config.privateKey).to.equal("***");
    expect(config.rpcUrl).to.equal("http://127.0.0.1:1");
  });
});

describe("worker preflight", function () {
  this.timeout(120_000);
  let devnet: Devnet;

  before(async () => {
    devnet = await startDevnet({ models: ["credit-risk"] });
  });

  after(async () => {
    await devnet?.stop();
  });

  it("exits 3 when no node answers at rpcUrl", async () => {
    const result = await run(
      ["--rpc-url", "http://127.0.0.1:9", "--rpc-retries", "1", "--rpc-backoff-ms", "10"],
      {
        VERITY_PRIVATE_KEY: KEY,
      },
    );
    expect(result.code).to.equal(3);
    expect(result.stderr).to.match(/unreachable.*check that it is running/);
  });

  it("exits 3 on the wrong chain id or a hub address without code", async () => {
    const hub = await devnet.hub.getAddress();
    const base = ["--rpc-url", devnet.node.url, "--http-port=-1"];
    const wrongChain = await run([...base, "--hub-address", hub, "--chain-id", "1"], {
      VERITY_PRIVATE_KEY: KEY,
    });
    expect(wrongChain.code).to.equal(3);
    expect(wrongChain.stderr).to.match(/is chain 31337, but chainId is set to 1/);
    const noCode = await run(
      [...base, "--hub-address", "0x000000000000000000000000000000000000dEaD"],
      {
        VERITY_PRIVATE_KEY: KEY,
      },
    );
    expect(noCode.code).to.equal(3);
    expect(noCode.stderr).to.match(/has no code/);
  });

  it("exits 3 when the worker is not registered and may not register itself, saying how to fix it", async () => {
    const unregistered = devAccount(ACCOUNTS.firstWorker + 5).privateKey;
    const result = await run(
      [
        "--rpc-url",
        devnet.node.url,
        "--hub-address",
        await devnet.hub.getAddress(),
        "--http-port=-1",
      ],
      { VERITY_PRIVATE_KEY: unregistered },
    );
    expect(result.code).to.equal(3);
    expect(result.stderr).to.match(/NotRegistered.*registerStakeEth/);
  });

  it("registers itself with registerStakeEth and prints its environment", async () => {
    const worker = await spawnWorker(devnet, { account: ACCOUNTS.firstWorker + 6 });
    try {
      const start = await worker.waitForLog((line) => line.msg === "starting worker");
      expect(start.environment).to.equal(devnet.environment.id);
      await worker.httpUrl();
      expect(await devnet.workerRegistry.isEligible(worker.address)).to.equal(true);
    } finally {
      await worker.stop();
    }
  });
});
