import { expect } from "chai";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { openCanonicalSession } from "@verity/runtime";
import { encodeOnnx, runFloat, sampleModel } from "@verity/models";
import { dequantize, quantize } from "@verity/contracts";
import type { OnnxGraph, OnnxNode, SampleModelName } from "@verity/models";
import {
  SNARK_FIELD,
  ZkCompileError,
  ZkRangeError,
  calculateWitness,
  compileCircom,
  compileOnnx,
  evaluateBinding,
  execute,
  generateCircuit,
  spongeCommitment,
  toField,
} from "@verity/zk";
import type { ZkBinding, ZkProgram } from "@verity/zk";
import { SETUP_TIMEOUT_MS, devArtifacts } from "./support.js";

/** A seeded PRNG (mulberry32), so failures reproduce. */
function random(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = Math.imul(state ^ (state >>> 15), state | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const uniform = (next: () => number, count: number, limit: number) =>
  Float32Array.from({ length: count }, () => (next() * 2 - 1) * limit);

const node = (
  opType: string,
  name: string,
  inputs: string[],
  outputs: string[],
  attributes: OnnxNode["attributes"] = {},
): OnnxNode => ({ opType, name, inputs, outputs, attributes });

/**
 * Every supported operator and path in one graph: Flatten, MatMul + Add (folded into a bias),
 * Relu after a rescale (sign from the range check), Gemm with alpha/beta/transB = 0, Add of two
 * computed tensors, Relu without a known sign, Add of a constant (not foldable), Reshape, and an
 * output that needs its own int32 range check.
 */
function everyOperatorGraph(): OnnxGraph {
  const next = random(42);
  return {
    name: "every-operator",
    irVersion: 8,
    opsetVersion: 13,
    inputs: [{ name: "x", shape: [1, 2, 4] }],
    outputs: [{ name: "y", shape: [1, 2, 3] }],
    initializers: [
      { name: "w1", dims: [8, 6], data: uniform(next, 48, 0.6) },
      { name: "b1", dims: [6], data: uniform(next, 6, 0.2) },
      { name: "w2", dims: [6, 6], data: uniform(next, 36, 0.5) },
      { name: "c2", dims: [1, 6], data: uniform(next, 6, 0.1) },
      { name: "c3", dims: [6], data: uniform(next, 6, 0.3) },
      { name: "shape", dims: [3], data: Float32Array.from([1, 2, -1]), dataType: "int64" },
    ],
    nodes: [
      node("Flatten", "flatten", ["x"], ["xf"]),
      node("MatMul", "mm", ["xf", "w1"], ["m"]),
      node("Add", "bias", ["m", "b1"], ["mb"]),
      node("Relu", "relu1", ["mb"], ["r1"]),
      node("Gemm", "gemm", ["r1", "w2", "c2"], ["g"], { alpha: 0.75, beta: 2, transB: 0 }),
      node("Add", "residual", ["g", "r1"], ["s"]),
      node("Relu", "relu2", ["s"], ["r2"]),
      node("Add", "shift", ["c3", "r2"], ["u"]),
      node("Reshape", "reshape", ["u", "shape"], ["y"]),
    ],
  };
}

/**
 * A small CNN: Conv (padded) + Relu, AveragePool (padded, count_include_pad = 0, so border windows
 * average fewer elements), a grouped and dilated Conv, Flatten, Gemm.
 */
function cnnGraph(): OnnxGraph {
  const next = random(99);
  return {
    name: "tiny-cnn",
    irVersion: 8,
    opsetVersion: 13,
    inputs: [{ name: "image", shape: [1, 1, 6, 6] }],
    outputs: [{ name: "scores", shape: [1, 3] }],
    initializers: [
      { name: "w1", dims: [2, 1, 3, 3], data: uniform(next, 18, 0.5) },
      { name: "b1", dims: [2], data: uniform(next, 2, 0.1) },
      { name: "w2", dims: [2, 1, 2, 2], data: uniform(next, 8, 0.7) },
      { name: "w3", dims: [3, 2], data: uniform(next, 6, 0.8) },
      { name: "b3", dims: [3], data: uniform(next, 3, 0.1) },
    ],
    nodes: [
      node("Conv", "conv1", ["image", "w1", "b1"], ["c1"], { pads: [1, 1, 1, 1] }),
      node("Relu", "relu1", ["c1"], ["r1"]),
      node("AveragePool", "pool", ["r1"], ["p1"], {
        kernel_shape: [3, 3],
        strides: [2, 2],
        pads: [1, 1, 1, 1],
      }),
      node("Conv", "conv2", ["p1", "w2"], ["c2"], { group: 2, dilations: [2, 2] }),
      node("Flatten", "flatten", ["c2"], ["f"]),
      node("Gemm", "head", ["f", "w3", "b3"], ["scores"], { transB: 1 }),
    ],
  };
}

async function withTempDir<T>(use: (dir: string) => Promise<T>): Promise<T> {
  const dir = await mkdtemp(join(tmpdir(), "verity-zk-"));
  try {
    return await use(dir);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

/** Compiles `program` with `binding` into `dir` and returns the witness generator's path. */
async function compileProgram(
  dir: string,
  program: ZkProgram,
  binding: ZkBinding,
): Promise<string> {
  await writeFile(join(dir, "circuit.circom"), generateCircuit(program, binding).source);
  await compileCircom(join(dir, "circuit.circom"), dir);
  return join(dir, "circuit_js", "circuit.wasm");
}

const randomInts = (next: () => number, count: number, limit: number) =>
  Array.from({ length: count }, () => Math.round((next() * 2 - 1) * limit));

describe("ZK compiler", function () {
  describe("ONNX to layer IR", function () {
    it("compiles the sample models to linear, relu, linear", function () {
      const credit = compileOnnx(sampleModel("credit-risk").graph, 6);
      expect(credit.layers.map((l) => l.op)).to.deep.equal(["linear", "relu", "linear"]);
      expect(credit.sizes).to.deep.equal([16, 16, 16, 1]);
      const mnist = compileOnnx(sampleModel("mnist-mlp").graph, 6);
      expect(mnist.sizes).to.deep.equal([784, 64, 64, 10]);
      expect(mnist.inputShape).to.deep.equal([1, 784]);
      expect(mnist.outputShape).to.deep.equal([1, 10]);
    });

    it("quantizes weights at the model's decimals, half away from zero, and folds alpha and beta", function () {
      const program = compileOnnx(everyOperatorGraph(), 6);
      const graph = everyOperatorGraph();
      const w2 = graph.initializers.find((i) => i.name === "w2")!.data;
      const c2 = graph.initializers.find((i) => i.name === "c2")!.data;
      const gemm = program.layers[2];
      if (gemm.op !== "linear") throw new Error("expected the Gemm as the second linear layer");
      // transB = 0: B is [in, out]; alpha = 0.75 scales it, beta = 2 the bias.
      expect(gemm.weight[1][4]).to.equal(BigInt(quantize([w2[4 * 6 + 1] * 0.75], 6)[0]));
      expect(gemm.bias[3]).to.equal(BigInt(quantize([c2[3] * 2], 6)[0]));
    });

    it("compiles Conv and AveragePool to sparse linear layers of the right shapes", function () {
      const program = compileOnnx(cnnGraph(), 6);
      expect(program.layers.map((l) => `${l.op}:${l.node}`)).to.deep.equal([
        "sparse:conv1",
        "relu:relu1",
        "sparse:pool",
        "sparse:conv2",
        "linear:head",
      ]);
      expect(program.sizes).to.deep.equal([36, 72, 72, 18, 2, 3]);
      const pool = program.layers[2];
      if (pool.op !== "sparse") throw new Error("expected the pool as a sparse layer");
      // Corner windows hold 4 of 9 elements inside the 6x6 input, edges 6, inner windows 9.
      expect(pool.rows.slice(0, 9).map((row) => row.divisor)).to.deep.equal([
        4n,
        6n,
        6n,
        6n,
        9n,
        9n,
        6n,
        9n,
        9n,
      ]);
    });

    it("folds a constant Add after MatMul into the bias and keeps the others as layers", function () {
      const program = compileOnnx(everyOperatorGraph(), 6);
      expect(program.layers.map((l) => `${l.op}:${l.node}`)).to.deep.equal([
        "linear:mm",
        "relu:relu1",
        "linear:gemm",
        "add:residual",
        "relu:relu2",
        "addConst:shift",
      ]);
    });

    const unsupported: [string, (g: OnnxGraph) => void, RegExp][] = [
      [
        "an unsupported operator",
        (g) => g.nodes.splice(3, 1, node("Sigmoid", "act", ["mb"], ["r1"])),
        /node "act" \(Sigmoid\): unsupported operator/,
      ],
      [
        "Softmax",
        (g) => g.nodes.splice(1, 1, node("Softmax", "softmax", ["xf"], ["m"])),
        /node "softmax" \(Softmax\): unsupported operator/,
      ],
      [
        "Gemm with transA",
        (g) => (g.nodes[4].attributes.transA = 1),
        /node "gemm" \(Gemm\): transA = 1 is not supported/,
      ],
      [
        "a MatMul by a computed tensor",
        (g) => g.nodes.splice(1, 1, node("MatMul", "mm", ["xf", "xf"], ["m"])),
        /node "mm" \(MatMul\): input 1 \("xf"\) must be a constant initializer/,
      ],
      [
        "Conv on a 1-D input",
        (g) => g.nodes.splice(1, 1, node("Conv", "conv1d", ["xf", "w1"], ["m"])),
        /node "conv1d" \(Conv\): weight has shape \[8,6\]; expected \[M, C\/group, kH, kW\]/,
      ],
      ["a batch of 2", (g) => (g.inputs[0].shape = [2, 2, 4]), /batch size 2/],
      [
        "an Add of mismatched shapes",
        (g) => (g.initializers.find((i) => i.name === "c3")!.data = new Float32Array(5)),
        /node "shift" \(Add\): constant "c3" .* does not broadcast to 6 elements/,
      ],
    ];
    for (const [what, edit, message] of unsupported) {
      it(`names the node and operator for ${what}`, function () {
        const graph = everyOperatorGraph();
        edit(graph);
        expect(() => compileOnnx(graph, 6)).to.throw(ZkCompileError, message);
      });
    }
  });

  describe("reference executor", function () {
    it("stays within 1e-5 of the float64 forward pass on the every-operator graph", function () {
      const graph = everyOperatorGraph();
      const program = compileOnnx(graph, 6);
      const next = random(7);
      for (let trial = 0; trial < 20; trial++) {
        const real = Array.from(uniform(next, 8, 2));
        const x = quantize(real, 6);
        const exact = runFloat(graph, Float32Array.from(dequantize(x, 6)));
        const zk = dequantize(execute(program, x).output.map(Number), 6);
        // Not chai's closeTo: Hardhat's chai matchers replace it with a bigint-only version.
        zk.forEach((value, i) =>
          expect(Math.abs(value - exact[i])).to.be.at.most(1e-5, `trial ${trial}`),
        );
      }
    });

    it("stays within 1e-5 of the canonical executor on a CNN (Conv, AveragePool)", async function () {
      const graph = cnnGraph();
      const program = compileOnnx(graph, 6);
      const session = await openCanonicalSession(encodeOnnx(graph));
      const next = random(3);
      for (let trial = 0; trial < 20; trial++) {
        const x = quantize(Array.from(uniform(next, 36, 1.5)), 6);
        const input = Float32Array.from(dequantize(x, 6));
        const expected = (await session.run(input, [1, 1, 6, 6])).output;
        const actual = dequantize(execute(program, x).output.map(Number), 6);
        actual.forEach((value, i) =>
          expect(Math.abs(value - expected[i])).to.be.at.most(1e-5, `trial ${trial}`),
        );
      }
    });

    it("refuses AveragePool with ceil_mode, naming the node", function () {
      const graph = cnnGraph();
      graph.nodes[2].attributes.ceil_mode = 1;
      expect(() => compileOnnx(graph, 6)).to.throw(
        ZkCompileError,
        /node "pool" \(AveragePool\): ceil_mode = 1 is not supported/,
      );
    });

    /** Stated tolerance of the fixed-point result against the float32 executor's output. */
    const TOLERANCE: Record<SampleModelName, number> = { "credit-risk": 1e-5, "mnist-mlp": 2e-5 };
    for (const name of ["credit-risk", "mnist-mlp"] as const) {
      it(`stays within ${TOLERANCE[name]} of the canonical executor on ${name}`, async function () {
        const model = sampleModel(name);
        const program = compileOnnx(model.graph, model.decimals);
        const session = await openCanonicalSession(model.bytes);
        let worst = 0;
        for (let seed = 0; seed < 20; seed++) {
          const x = quantize(model.sampleInput(seed), model.decimals);
          const input = Float32Array.from(dequantize(x, model.decimals));
          const expected = (await session.run(input, model.inputShape)).output;
          const actual = dequantize(execute(program, x).output.map(Number), model.decimals);
          actual.forEach((value, i) => (worst = Math.max(worst, Math.abs(value - expected[i]))));
        }
        expect(worst).to.be.at.most(TOLERANCE[name]);
      });
    }

    it("refuses values outside int32: inputs, and layer outputs that overflow", function () {
      const program = compileOnnx(sampleModel("credit-risk").graph, 6);
      expect(() => execute(program, new Array(16).fill(2 ** 31))).to.throw(
        ZkRangeError,
        /not an int32/,
      );
      expect(() => execute(program, new Array(16).fill(2 ** 31 - 1))).to.throw(
        ZkRangeError,
        /node "fc\d\/Gemm" \(Gemm\) output \d+ is -?\d+, outside int32/,
      );
    });
  });

  describe("circuit witness equals the reference executor", function () {
    this.timeout(SETUP_TIMEOUT_MS);

    it("on the every-operator graph (public binding: every output is a public signal)", async function () {
      const program = compileOnnx(everyOperatorGraph(), 6);
      await withTempDir(async (dir) => {
        const wasm = await compileProgram(dir, program, "public");
        const next = random(11);
        for (let trial = 0; trial < 12; trial++) {
          // Realistic values, then extremes that the int32 range checks must still accept.
          const limit = trial < 8 ? 3_000_000 : 400_000_000;
          const x = randomInts(next, 8, limit);
          const { output } = execute(program, x);
          const witness = await calculateWitness(wasm, { x: x.map((v) => toField(BigInt(v))) });
          const publicOutputs = witness.slice(1, 1 + output.length);
          expect(publicOutputs).to.deep.equal(output.map(toField), `trial ${trial}`);
        }
      });
    });

    it("on the CNN (Conv, AveragePool rows with their own divisors)", async function () {
      await checkCnnWitness(compileOnnx(cnnGraph(), 6), [2_000_000, 300_000_000]);
    });

    it("on the CNN at 0 decimals with a 1x1 pool (every rescale without a division)", async function () {
      const graph = cnnGraph();
      graph.nodes[2].attributes = { kernel_shape: [1, 1], strides: [2, 2] };
      graph.initializers = graph.initializers.map((i) => ({
        ...i,
        data: i.data.map((v) => v * 10),
      }));
      await checkCnnWitness(compileOnnx(graph, 0), [20_000, 4_000_000]);
    });

    /** Random inputs up to `limits[0]`, the last two trials up to `limits[1]`. */
    async function checkCnnWitness(program: ZkProgram, limits: [number, number]) {
      await withTempDir(async (dir) => {
        const wasm = await compileProgram(dir, program, "public");
        const next = random(13);
        for (let trial = 0; trial < 8; trial++) {
          const x = randomInts(next, 36, limits[trial < 6 ? 0 : 1]);
          const { output } = execute(program, x);
          const witness = await calculateWitness(wasm, { x: x.map((v) => toField(BigInt(v))) });
          expect(witness.slice(1, 1 + output.length)).to.deep.equal(
            output.map(toField),
            `trial ${trial}`,
          );
        }
      });
    }

    it("rejects in the circuit what the executor rejects (a layer output outside int32)", async function () {
      const program = compileOnnx(everyOperatorGraph(), 6);
      await withTempDir(async (dir) => {
        const wasm = await compileProgram(dir, program, "public");
        const x = new Array(8).fill(2 ** 31 - 1);
        expect(() => execute(program, x)).to.throw(ZkRangeError);
        let failed = false;
        // circom's runtime prints the failed assertion; keep the test output clean.
        const print = console.error;
        console.error = () => {};
        try {
          await calculateWitness(wasm, { x: x.map((v) => toField(BigInt(v))) });
        } catch {
          failed = true;
        } finally {
          console.error = print;
        }
        expect(failed).to.equal(true);
      });
    });

    it("on credit-risk with the commitment binding: c, v and r match on random inputs", async function () {
      const model = sampleModel("credit-risk");
      const artifacts = await devArtifacts(model.bytes);
      const program = compileOnnx(model.graph, model.decimals);
      const next = random(5);
      for (let trial = 0; trial < 10; trial++) {
        const x = randomInts(next, 16, 2_500_000).map(BigInt);
        const r = (BigInt(Math.floor(next() * 2 ** 52)) * 2n ** 200n) % SNARK_FIELD;
        const { output } = execute(program, x);
        const witness = await calculateWitness(artifacts.paths.wasm, { x: x.map(toField), r });
        expect(witness.slice(1, 4)).to.deep.equal([
          await spongeCommitment(x),
          evaluateBinding(x, output, r),
          r,
        ]);
      }
    });
  });
});
