import { expect } from "chai";
import { mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { sha256 } from "ethers";
import { MAX_INPUT_BYTES, MAX_RESULT_OUTPUT_BYTES, encodedTensorLength } from "@verity/contracts";
import {
  ACCOUNTS,
  devAccount,
  spawnWorker,
  startDevnet,
  type Devnet,
  type WorkerProcess,
} from "@verity/devnet";
import { encodeOnnx, sampleModel } from "@verity/models";
import { dynamicBatchGraph, oneNode, wideOutputGraph } from "../models/graphs.js";
import { verity, type Run } from "./support.js";

/**
 * `verity model register` as a model owner meets it with exported files: a dynamic batch
 * registered with explicit shapes and then served, and every model that would fail each request
 * refused before a transaction is sent (exit 5, the reason and the fix).
 */
describe("verity model register: exported models in, broken ones out before anyone pays", function () {
  this.timeout(180_000);
  let devnet: Devnet;
  let worker: WorkerProcess;
  let dir: string;
  let env: Record<string, string>;
  const owner = devAccount(ACCOUNTS.modelOwner);
  /** The ids of the files refused, which must not be on the chain. */
  const refusedIds = new Set<string>();

  before(async () => {
    dir = await mkdtemp(join(tmpdir(), "verity-register-test-"));
    devnet = await startDevnet({ models: ["credit-risk"] });
    worker = await spawnWorker(devnet);
    await worker.httpUrl();
    env = {
      VERITY_RPC_URL: devnet.node.url,
      VERITY_HUB_ADDRESS: await devnet.hub.getAddress(),
      VERITY_PRIVATE_KEY: owner.privateKey,
    };
  });

  after(async () => {
    await worker?.stop("SIGKILL");
    await devnet?.stop();
    await rm(dir, { recursive: true, force: true });
  });

  async function file(name: string, bytes: Uint8Array): Promise<string> {
    const path = join(dir, name);
    await writeFile(path, bytes);
    return path;
  }

  /** Runs `verity model register`, expecting a refusal that sent nothing. */
  async function refused(args: string[]): Promise<Run> {
    const nonce = await devnet.provider.getTransactionCount(owner.address);
    const run = await verity(["model", "register", ...args], env);
    expect(run.code, run.stdout + run.stderr).to.equal(5);
    expect(run.stderr)
      .to.match(/^error: Cannot register /m)
      .and.match(/^ {2}fix: /m);
    expect(await devnet.provider.getTransactionCount(owner.address)).to.equal(nonce);
    refusedIds.add(sha256(await readFile(args[0])));
    return run;
  }

  it("registers a dynamic-batch export with --input-shape and --output-shape, serves and verifies it", async () => {
    const bytes = encodeOnnx(dynamicBatchGraph());
    const path = await file("dynamic.onnx", bytes);
    const run = await verity(
      ["model", "register", path, "--input-shape", "1,4", "--output-shape", "1,4", "--json"],
      env,
    );
    expect(run.code, run.stdout + run.stderr).to.equal(0);
    const model = run.json().model as { modelId: string; inputShape: number[] };
    expect(model.modelId).to.equal(sha256(bytes));
    expect(model.inputShape).to.deep.equal([1, 4]);

    const asked = await verity(
      ["infer", path, "--input", "[0.5, -0.25, 0, 2]", "--wait", "--json"],
      { ...env, VERITY_PRIVATE_KEY: devAccount(ACCOUNTS.requester).privateKey },
    );
    expect(asked.code, asked.stdout + asked.stderr).to.equal(0);
    const result = asked.json().result as {
      status: string;
      result: { decoded: { real: number[] } };
    };
    expect(result.status).to.equal("Settled");
    // The graph adds [1, 2, 3, 4] to its input.
    expect(result.result.decoded.real).to.deep.equal([1.5, 1.75, 3, 6]);
    const verified = await verity(["verify", String(asked.json().requestId)], env);
    expect(verified.code, verified.stdout + verified.stderr).to.equal(0);
  });

  it("names the flag to add for an open dimension, with 1 for the batch", async () => {
    const path = await file(
      "dynamic-unflagged.onnx",
      encodeOnnx({ ...dynamicBatchGraph(), name: "b" }),
    );
    const run = await refused([path]);
    expect(run.stderr).to.match(/"batch" dimension at axis 0/);
    expect(run.stderr).to.include("fix: add --input-shape 1,4 (1 replaced `batch`");
    const wrong = await refused([path, "--input-shape", "1,5", "--output-shape", "1,5"]);
    expect(wrong.stderr).to.match(/has 4 at axis 1, not 5/);
    expect(wrong.stderr).to.include("fix: pass --input-shape 1,4 (1 replaced `batch`");
    // An open dimension other than the batch has no default: the fix shows where its size goes.
    const image = oneNode("Relu", ["batch", 3, "height", "width"], ["batch", 3, "height", "width"]);
    const sized = await refused([await file("image.onnx", encodeOnnx(image))]);
    expect(sized.stderr).to.include(
      "fix: add --input-shape 1,3,<height>,<width> (1 replaced `batch`, the open batch " +
        "dimension: a request is one example; put the size of `height` where <height> stands; " +
        "put the size of `width` where <width> stands).",
    );
  });

  it("refuses a truncated file, an unknown operator, shapes the model does not produce and an output too large to settle", async () => {
    const credit = sampleModel("credit-risk");
    const truncated = await refused([
      await file("truncated.onnx", credit.bytes.slice(0, credit.bytes.length - 7)),
    ]);
    expect(truncated.stderr).to.match(/truncated\.onnx/);

    const foobar = await refused([
      await file("foobar.onnx", encodeOnnx(oneNode("FooBar", [1, 4], [1, 4]))),
    ]);
    expect(foobar.stderr).to.match(/no operator FooBar/);
    expect(foobar.stderr).to.match(/fix: replace FooBar with standard ONNX operators/);

    const path = await file("dynamic-2.onnx", encodeOnnx({ ...dynamicBatchGraph(), name: "c" }));
    const shapes = await refused([path, "--input-shape", "1,4", "--output-shape", "2,4"]);
    expect(shapes.stderr).to.match(/gives output \[1, 4\].*declared output shape is \[2, 4\]/);
    expect(shapes.stderr).to.include("--output-shape 1,4");

    // Its output would settle, but no request could carry its input: refused by the SDK, unrun.
    const big = oneNode("Relu", [1, 20_000], [1, 20_000]);
    const input = await refused([await file("big-input.onnx", encodeOnnx(big))]);
    expect(input.stderr).to.include(
      `an input of [1, 20000] encodes to ${encodedTensorLength([1, 20_000])} bytes, more than ` +
        `the ${MAX_INPUT_BYTES} a request may carry`,
    );
    expect(input.stderr).to.not.include("canonical executor");

    const repeats = Math.ceil(MAX_RESULT_OUTPUT_BYTES / 16) + 1;
    const wide = await refused([await file("wide.onnx", encodeOnnx(wideOutputGraph(repeats)))]);
    expect(wide.stderr).to.match(/could never settle/);
    expect(wide.stderr).to.match(/fix: .*ArgMax.*TopK/);
  });

  it("sent nothing for a refused model: none of them is in model list", async () => {
    expect(refusedIds.size).to.be.greaterThan(0);
    const listed = await verity(["model", "list", "--json"], env);
    const ids = (listed.json().models as { modelId: string }[]).map((m) => m.modelId);
    expect(ids).to.include(sampleModel("credit-risk").modelId);
    for (const id of refusedIds) expect(ids).to.not.include(id);
  });

  it("refuses a shape flag that is not a list of positive whole numbers, before reading anything", async () => {
    for (const shape of ["1,x", "1,,4", "0,4", "[1,4]", "1.5,4"]) {
      const run = await verity(["model", "register", "missing.onnx", "--input-shape", shape], env);
      expect(run.code, `${shape}: ${run.stderr}`).to.equal(2);
      expect(run.stderr).to.include("--input-shape must be dimensions separated by commas");
    }
  });
});
