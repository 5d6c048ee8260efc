import { expect } from "chai";
import { spawn } from "node:child_process";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Wallet, sha256 } from "ethers";
import { encodeTensor, quantize } from "@verity/contracts";
import {
  ACCOUNTS,
  devAccount,
  freePort,
  spawnWorker,
  startDevnet,
  type Devnet,
  type WorkerProcess,
} from "@verity/devnet";
import { encodeOnnx, sampleModel } from "@verity/models";
import { BIN, verity } from "./support.js";

describe("verity CLI, end to end (real processes, a real local node, a real worker)", function () {
  this.timeout(180_000);
  let devnet: Devnet;
  let honest: WorkerProcess;
  let dishonest: WorkerProcess;
  let dir: string;
  let env: Record<string, string>;
  const credit = sampleModel("credit-risk");
  const features = credit.sampleInput(11);

  before(async () => {
    dir = await mkdtemp(join(tmpdir(), "verity-cli-test-"));
    devnet = await startDevnet({ assignmentGraceSeconds: 20 });
    [honest, dishonest] = await Promise.all([
      spawnWorker(devnet),
      spawnWorker(devnet, { account: ACCOUNTS.firstWorker + 1, settings: { dishonest: true } }),
    ]);
    await Promise.all([honest.httpUrl(), dishonest.httpUrl()]);
    env = {
      VERITY_RPC_URL: devnet.node.url,
      VERITY_HUB_ADDRESS: await devnet.hub.getAddress(),
      VERITY_PRIVATE_KEY: devAccount(ACCOUNTS.requester).privateKey,
    };
  });

  after(async () => {
    await Promise.all([honest?.stop("SIGKILL"), dishonest?.stop("SIGKILL")]);
    await devnet?.stop();
    await rm(dir, { recursive: true, force: true });
  });

  it("lists the registered models, as text and as JSON", async () => {
    const text = await verity(["model", "list"], env);
    expect(text.code, text.stderr).to.equal(0);
    expect(text.stdout).to.match(/credit-risk\s+0x71f7/);
    const json = await verity(["model", "list", "--json"], env);
    const ids = (json.json().models as { modelId: string }[]).map((m) => m.modelId);
    expect(ids).to.include.members([credit.modelId, sampleModel("mnist-mlp").modelId]);
    const show = await verity(["model", "show", "mnist-mlp"], env);
    expect(show.stdout).to.match(/input\s+\[1, 784\]/);
  });

  it("registers an ONNX file, and refuses it a second time with exit 4 and the reason", async () => {
    const bytes = encodeOnnx({ ...credit.graph, name: "cli-credit" });
    const path = join(dir, "cli-credit.onnx");
    await writeFile(path, bytes);
    const run = await verity(["model", "register", path, "--fee-eth", "0.002", "--json"], env);
    expect(run.code, run.stdout + run.stderr).to.equal(0);
    const model = run.json().model as Record<string, unknown>;
    expect(model).to.include({ modelId: sha256(bytes), decimals: 6, feeWei: "2000000000000000" });
    expect(model.inputShape).to.deep.equal([1, 16]);
    const again = await verity(["model", "register", path], env);
    expect(again.code).to.equal(4);
    expect(again.stderr).to.include(`error: Model ${sha256(bytes)} is already registered.`);
    expect(again.stderr).to.match(/fix: /);
  });

  it("infers from a JSON file and waits, then verifies: exit 0 and MATCHES", async () => {
    const input = join(dir, "features.json");
    await writeFile(input, JSON.stringify(features));
    // Two workers are registered: name the honest one (by default the registry picks one).
    const run = await verity(
      ["infer", "credit-risk", "--input", input, "--assignee", honest.address, "--wait", "--json"],
      env,
    );
    expect(run.code, run.stdout + run.stderr).to.equal(0);
    const out = run.json();
    const result = out.result as { status: string; result: { decoded: { real: number[] } } };
    expect(result.status).to.equal("Settled");
    expect(result.result.decoded.real).to.have.length(1);
    const verified = await verity(["verify", String(out.requestId)], env);
    expect(verified.code, verified.stdout + verified.stderr).to.equal(0);
    expect(verified.stdout).to.match(
      /^ok\s+re-execution\s+re-ran the model in the canonical executor: same output/m,
    );
    expect(verified.stdout).to.match(/^MATCHES: /m);
  });

  it("infers from a 0x tensor without waiting, then reads the result with result --wait", async () => {
    const mnist = sampleModel("mnist-mlp");
    const hex = encodeTensor(mnist.inputShape, quantize(mnist.sampleInput(2), mnist.decimals));
    const sent = await verity(
      ["infer", mnist.modelId, "--input", hex, "--assignee", honest.address],
      env,
    );
    expect(sent.code, sent.stderr).to.equal(0);
    const id = /request (\d+) sent/.exec(sent.stdout)![1];
    expect(sent.stdout).to.include(`verity result ${id} --wait`);
    const found = await verity(["result", id, "--wait", "--json"], env);
    expect(found.code, found.stderr).to.equal(0);
    const decoded = (found.json().result as { decoded: { shape: number[] } }).decoded;
    expect(decoded.shape).to.deep.equal([1, 10]);
    expect((found.json().request as { proofMode: unknown }).proofMode).to.equal("ATTESTED");
  });

  it("catches a dishonest worker: verify exits 7 and says what differs", async () => {
    const run = await verity(
      [
        "infer",
        "credit-risk",
        "--input",
        JSON.stringify(features),
        "--assignee",
        dishonest.address,
        "--wait",
        "--json",
      ],
      env,
    );
    expect(run.code, run.stdout + run.stderr).to.equal(0);
    const verified = await verity(["verify", String(run.json().requestId)], env);
    expect(verified.code).to.equal(7);
    expect(verified.stdout).to.match(/^FAIL\s+re-execution\s+.*differs from the accepted/m);
    expect(verified.stdout).to.match(/^DOES NOT MATCH: /m);
    const json = await verity(["verify", String(run.json().requestId), "--json"], env);
    expect(json.code).to.equal(7);
    expect(json.json()).to.include({ matches: false });
  });

  describe("error paths: each exits with its documented code and says what to fix", () => {
    it("unknown model: exit 4", async () => {
      const run = await verity(["infer", `0x${"12".repeat(32)}`, "--input", "[1]"], env);
      expect(run.code).to.equal(4);
      expect(run.stderr).to.match(/is not registered on this chain/);
      expect(run.stderr).to.match(/verity model list/);
      const name = await verity(["infer", "no-such-model", "--input", "[1]"], env);
      expect(name.code).to.equal(5);
      expect(name.stderr).to.match(/not a model id, a sample model name or a readable ONNX file/);
    });

    it("bad input file: exit 5 (missing, not JSON, wrong count, NaN-like)", async () => {
      const missing = await verity(
        ["infer", "credit-risk", "--input", join(dir, "nope.json")],
        env,
      );
      expect(missing.code).to.equal(5);
      expect(missing.stderr).to.match(
        /neither JSON, nor a 0x tensor, nor a readable file \(ENOENT\)/,
      );
      const garbage = join(dir, "garbage.json");
      await writeFile(garbage, "[1, 2,");
      const notJson = await verity(["infer", "credit-risk", "--input", garbage], env);
      expect(notJson.code).to.equal(5);
      expect(notJson.stderr).to.match(/is not valid JSON/);
      const short = await verity(["infer", "credit-risk", "--input", "[1, 2, 3]"], env);
      expect(short.code).to.equal(5);
      expect(short.stderr).to.match(/takes 16 values \(shape \[1, 16\]\), got 3/);
      const huge = await verity(
        ["infer", "credit-risk", "--input", JSON.stringify(Array(16).fill(1e9))],
        env,
      );
      expect(huge.code).to.equal(5);
      expect(huge.stderr).to.match(/does not fit an int32/);
    });

    it("no node running: exit 3", async () => {
      const url = `http://127.0.0.1:${await freePort()}`;
      const run = await verity(["model", "list", "--rpc-url", url], env);
      expect(run.code).to.equal(3);
      expect(run.stderr).to.include(`error: No Ethereum node answers at ${url}.`);
      expect(run.stderr).to.match(/verity devnet/);
    });

    it("wrong network: exit 3 for another chain id or a hub address without code", async () => {
      const chain = await verity(["model", "list", "--chain-id", "11155111", "--json"], env);
      expect(chain.code).to.equal(3);
      expect((chain.json().error as { message: string }).message).to.match(
        /is chain 31337, not the expected chain 11155111/,
      );
      const hub = await verity(["model", "list", "--hub", Wallet.createRandom().address], env);
      expect(hub.code).to.equal(3);
      expect(hub.stderr).to.match(/has no code/);
      expect(hub.stderr).to.match(/wrong network/);
    });

    it("bad command lines and a missing key: exit 2", async () => {
      const flag = await verity(["infer", "credit-risk", "--inptu", "[1]"], env);
      expect(flag.code).to.equal(2);
      expect(flag.stderr).to.include("unknown option --inptu").and.include("did you mean --input?");
      const noKey = await verity(["infer", "credit-risk", "--input", JSON.stringify(features)], {
        ...env,
        VERITY_PRIVATE_KEY: undefined,
      });
      expect(noKey.code).to.equal(2);
      expect(noKey.stderr).to.match(/fix: set VERITY_PRIVATE_KEY/);
      const id = await verity(["verify", "seven"], env);
      expect(id.code).to.equal(2);
    });
  });

  it("--version, help for one command or group, and a suggestion for a mistyped command or flag", async () => {
    const version = await verity(["--version"]);
    expect(version.code).to.equal(0);
    expect(version.stdout).to.match(
      /^verity 0\.1\.0 \(@verity\/cli; re-executes with onnxruntime-web 1\.30\.0/,
    );
    const infer = await verity(["infer", "--help"]);
    expect(infer.code).to.equal(0);
    expect(infer.stdout).to.match(/^usage: verity infer/);
    expect(infer.stdout).to.include("--deadline-seconds");
    expect(infer.stdout).to.not.include("model register");
    const model = await verity(["model", "--help"]);
    expect(model.stdout).to.include("model register").and.include("model show");
    expect(model.stdout).to.not.include("infer <model>");
    const typo = await verity(["infr", "credit-risk"]);
    expect(typo.code).to.equal(2);
    expect(typo.stderr)
      .to.include('unknown command "infr"')
      .and.include("did you mean `verity infer`?");
    const flag = await verity(["infer", "credit-risk", "--wiat"]);
    expect(flag.code).to.equal(2);
    expect(flag.stderr).to.include("unknown option --wiat").and.include("did you mean --wait?");
    const far = await verity(["result", "1", "--frobnicate"]);
    expect(far.stderr).to.include("run `verity result --help` for its options");
  });

  it("worker start runs the worker's own command line", async () => {
    const help = await verity(["worker", "start", "--help"]);
    expect(help.code).to.equal(0);
    expect(help.stdout).to.match(/^verity-worker: /);
    const noKey = await verity(["--rpc-url", devnet.node.url, "worker", "start"]);
    expect(noKey.code).to.equal(2); // the worker's own "bad configuration"
    expect(noKey.stderr).to.match(/privateKey/);
  });

  it("devnet: starts a node, Verity, the samples and a worker; serves the CLI; Ctrl-C stops all", async () => {
    const port = await freePort();
    const child = spawn(process.execPath, [BIN, "devnet", "--port", String(port), "--json"], {
      stdio: ["ignore", "pipe", "pipe"],
    });
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (chunk: Buffer) => (stdout += chunk.toString()));
    child.stderr.on("data", (chunk: Buffer) => (stderr += chunk.toString()));
    const exited = new Promise<number | null>((resolve) => child.once("exit", resolve));
    try {
      const until = Date.now() + 60_000;
      while (!stdout.trim().endsWith("}")) {
        if (child.exitCode !== null || Date.now() > until) {
          throw new Error(`devnet did not start:\n${stdout}\n${stderr}`);
        }
        await new Promise((resolve) => setTimeout(resolve, 100));
      }
      const summary = JSON.parse(stdout) as {
        rpcUrl: string;
        inferenceHub: string;
        worker: { metricsUrl: string };
        accounts: { requester: { privateKey: string } };
      };
      expect(summary.rpcUrl).to.equal(`http://127.0.0.1:${port}`);
      expect((await fetch(summary.worker.metricsUrl)).status).to.equal(200);
      const devEnv = {
        VERITY_RPC_URL: summary.rpcUrl,
        VERITY_HUB_ADDRESS: summary.inferenceHub,
        VERITY_PRIVATE_KEY: summary.accounts.requester.privateKey,
      };
      const run = await verity(
        ["infer", "credit-risk", "--input", JSON.stringify(features), "--wait"],
        devEnv,
      );
      expect(run.code, run.stderr).to.equal(0);
      expect(run.stdout).to.match(/status Settled/);
    } finally {
      child.kill("SIGINT");
    }
    expect(await exited).to.equal(0);
    const after = await verity(["model", "list", "--rpc-url", `http://127.0.0.1:${port}`]);
    expect(after.code, "the node is gone").to.equal(3);
  });
});
