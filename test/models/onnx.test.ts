import { expect } from "chai";
import { execFileSync } from "node:child_process";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { openCanonicalSession } from "@verity/runtime";
import {
  ForwardError,
  ONNX_IR_VERSION,
  ONNX_OPSET_VERSION,
  OnnxFormatError,
  SAMPLE_MODEL_NAMES,
  decodeOnnx,
  staticShape,
  encodeOnnx,
  runFloat,
  sampleModel,
} from "@verity/models";
import type { OnnxGraph } from "@verity/models";

/** A graph that uses every operator runFloat supports, with float attributes and a shape constant. */
function everyOperatorGraph(): OnnxGraph {
  return {
    name: "every-operator",
    irVersion: ONNX_IR_VERSION,
    opsetVersion: ONNX_OPSET_VERSION,
    inputs: [{ name: "x", shape: [1, 2, 3] }],
    outputs: [{ name: "y", shape: [1, 2] }],
    initializers: [
      { name: "w", dims: [6, 4], data: Float32Array.from({ length: 24 }, (_, i) => (i % 7) - 3) },
      { name: "b", dims: [4], data: Float32Array.from([0.5, -0.25, 1, 0]) },
      { name: "w2", dims: [2, 4], data: Float32Array.from([1, -1, 0.5, 2, 0, 1, -2, 0.25]) },
      { name: "shape", dims: [2], data: Float32Array.from([0, -1]), dataType: "int64" },
      { name: "rowBias", dims: [1, 2], data: Float32Array.from([0.125, -0.5]) },
      { name: "eye", dims: [2, 2], data: Float32Array.from([1, 0, 0, 1]) },
    ],
    nodes: [
      { opType: "Flatten", name: "flat", inputs: ["x"], outputs: ["f"], attributes: { axis: 1 } },
      {
        opType: "Gemm",
        name: "gemm",
        inputs: ["f", "w", "b"],
        outputs: ["g"],
        attributes: { alpha: 0.5, beta: 2, transA: 0, transB: 0 },
      },
      { opType: "Relu", name: "relu", inputs: ["g"], outputs: ["r"], attributes: {} },
      {
        opType: "Reshape",
        name: "reshape",
        inputs: ["r", "shape"],
        outputs: ["s"],
        attributes: {},
      },
      {
        opType: "Gemm",
        name: "gemm2",
        inputs: ["s", "w2"],
        outputs: ["h"],
        attributes: { transB: 1 },
      },
      { opType: "MatMul", name: "identity", inputs: ["h", "eye"], outputs: ["m"], attributes: {} },
      { opType: "Add", name: "add", inputs: ["m", "rowBias"], outputs: ["y"], attributes: {} },
    ],
  };
}

describe("ONNX encoding", function () {
  for (const name of SAMPLE_MODEL_NAMES) {
    it(`round-trips ${name}: decode(encode(graph)) equals the graph and re-encodes to the same bytes`, function () {
      const { graph, bytes } = sampleModel(name);
      const decoded = decodeOnnx(bytes);
      expect(decoded).to.deep.equal(graph);
      expect(encodeOnnx(decoded)).to.deep.equal(bytes);
    });
  }

  it("keeps float attributes as floats, int64 shape constants as int64, and runs in onnxruntime like runFloat", async function () {
    const graph = everyOperatorGraph();
    const bytes = encodeOnnx(graph);
    const decoded = decodeOnnx(bytes);
    expect(decoded).to.deep.equal(graph);
    expect(decoded.nodes[1].attributes).to.deep.equal({
      alpha: 0.5,
      beta: 2,
      transA: 0,
      transB: 0,
    });

    const session = await openCanonicalSession(bytes);
    try {
      const input = Float32Array.from([0.5, -1, 2, 1.5, 0.25, -0.75]);
      const result = await session.run(input, [1, 2, 3]);
      const expected = runFloat(graph, input);
      expect(result.dims).to.deep.equal([1, 2]);
      expect(Array.from(result.output)).to.deep.equal(Array.from(expected));
    } finally {
      await session.release();
    }
  });

  it("writes alpha = 1 as a FLOAT attribute, which onnxruntime requires for Gemm", async function () {
    // sampleModel's Gemm nodes carry alpha: 1, beta: 1; a session would refuse them as INTs.
    const session = await openCanonicalSession(sampleModel("credit-risk").bytes);
    await session.release();
  });

  it("decodes without compiling code from strings, as a page whose CSP forbids eval must", async function () {
    this.timeout(30_000);
    // Node's flag refuses eval and new Function, as the explorer's CSP does: protobufjs's
    // generated decoders are compiled that way, so decodeOnnx must not use them.
    const dir = await mkdtemp(join(tmpdir(), "verity-onnx-"));
    try {
      const file = join(dir, "mnist-mlp.onnx");
      await writeFile(file, sampleModel("mnist-mlp").bytes);
      const script =
        'import { readFileSync } from "node:fs"; import { decodeOnnx } from "@verity/models";' +
        "const graph = decodeOnnx(new Uint8Array(readFileSync(process.argv[1])));" +
        "process.stdout.write(JSON.stringify({ name: graph.name, nodes: graph.nodes.length }));";
      const output = execFileSync(
        process.execPath,
        [
          "--disallow-code-generation-from-strings",
          "--import",
          "tsx",
          "--input-type=module",
          "-e",
          script,
          file,
        ],
        { encoding: "utf8" },
      );
      const { graph } = sampleModel("mnist-mlp");
      expect(JSON.parse(output)).to.deep.equal({ name: graph.name, nodes: graph.nodes.length });
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it("refuses bytes that are not protobuf", function () {
    const garbage = Uint8Array.from({ length: 64 }, (_, i) => (i * 37 + 11) & 0xff);
    expect(() => decodeOnnx(garbage)).to.throw(OnnxFormatError, /not an ONNX model/);
    expect(() => decodeOnnx(new TextEncoder().encode("<html>404 Not Found</html>"))).to.throw(
      OnnxFormatError,
      /not an ONNX model/,
    );
  });

  it("refuses a model without a graph", function () {
    expect(() => decodeOnnx(new Uint8Array())).to.throw(OnnxFormatError, /has no graph/);
  });

  it("reports a hand-written symbolic or unknown dimension, which staticShape refuses", function () {
    const symbolic = decodeOnnx(handWrittenModel({ inputDims: [{ param: "batch" }, 16] }));
    expect(symbolic.inputs[0].shape).to.deep.equal(["batch", 16]);
    expect(() => staticShape(symbolic.inputs[0])).to.throw(
      OnnxFormatError,
      /"x" has a symbolic \("batch"\) dimension at axis 0/,
    );
    const unknown = decodeOnnx(handWrittenModel({ inputDims: [1, {}] }));
    expect(unknown.inputs[0].shape).to.deep.equal([1, ""]);
    expect(() => staticShape(unknown.inputs[0])).to.throw(
      OnnxFormatError,
      /"x" has an unknown dimension at axis 1/,
    );
  });

  it("refuses a non-float32 input and an unsupported initializer dtype", function () {
    expect(() => decodeOnnx(handWrittenModel({ inputType: 6 }))).to.throw(
      OnnxFormatError,
      /graph input "x" is INT32 \(6\)/,
    );
    expect(() => decodeOnnx(handWrittenModel({ initializerType: 11 }))).to.throw(
      OnnxFormatError,
      /initializer "w" has unsupported dtype DOUBLE \(11\)/,
    );
  });

  it("reads a hand-written model: opset, IR version, float32 raw_data", function () {
    const graph = decodeOnnx(handWrittenModel({}));
    expect(graph.irVersion).to.equal(8);
    expect(graph.opsetVersion).to.equal(13);
    expect(graph.inputs).to.deep.equal([{ name: "x", shape: [1, 16] }]);
    expect(graph.initializers[0].data).to.deep.equal(Float32Array.from([1.5, -2]));
  });
});

describe("runFloat", function () {
  it("names the node and operator it does not support", function () {
    const graph = everyOperatorGraph();
    graph.nodes[2] = { ...graph.nodes[2], opType: "Sigmoid", name: "squash" };
    expect(() => runFloat(graph, new Float32Array(6))).to.throw(
      ForwardError,
      /node "squash" is a Sigmoid, which runFloat does not support/,
    );
  });

  it("refuses an input of the wrong length", function () {
    expect(() => runFloat(sampleModel("credit-risk").graph, new Float32Array(15))).to.throw(
      ForwardError,
      /needs 16 values, got 15/,
    );
  });

  it("computes Gemm with transA and a broadcast column bias", function () {
    const graph: OnnxGraph = {
      name: "gemm",
      irVersion: 8,
      opsetVersion: 13,
      inputs: [{ name: "a", shape: [2, 2] }],
      outputs: [{ name: "y", shape: [2, 2] }],
      initializers: [
        { name: "b", dims: [2, 2], data: Float32Array.from([1, 2, 3, 4]) },
        { name: "c", dims: [2, 1], data: Float32Array.from([10, 20]) },
      ],
      nodes: [
        {
          opType: "Gemm",
          name: "g",
          inputs: ["a", "b", "c"],
          outputs: ["y"],
          attributes: { transA: 1, alpha: 2, beta: 0.5 },
        },
      ],
    };
    // A' = [[1, 3], [2, 4]]; A'B = [[10, 14], [14, 20]]; 2·A'B + 0.5·C = [[25, 33], [38, 50]]
    expect(Array.from(runFloat(graph, Float32Array.from([1, 2, 3, 4])))).to.deep.equal([
      25, 33, 38, 50,
    ]);
  });
});

/** Protobuf by hand, independent of the module under test: a varint or length-delimited field. */
function field(number: number, value: number | string | Uint8Array): Uint8Array {
  if (typeof value === "number") return concat(varint(number << 3), varint(value));
  const bytes = typeof value === "string" ? new TextEncoder().encode(value) : value;
  return concat(varint((number << 3) | 2), varint(bytes.length), bytes);
}

function varint(value: number): Uint8Array {
  const out: number[] = [];
  for (let rest = value; ; rest = Math.floor(rest / 128)) {
    if (rest < 128) return Uint8Array.from([...out, rest]);
    out.push((rest % 128) | 128);
  }
}

function concat(...parts: Uint8Array[]): Uint8Array {
  return Uint8Array.from(parts.flatMap((part) => Array.from(part)));
}

/** An ONNX ModelProto with one input "x", one output "y" and one initializer "w" of two values. */
function handWrittenModel(options: {
  inputDims?: (number | { param?: string })[];
  inputType?: number;
  initializerType?: number;
}): Uint8Array {
  const dim = (d: number | { param?: string }) =>
    field(1, typeof d === "number" ? field(1, d) : d.param ? field(2, d.param) : new Uint8Array());
  const valueInfo = (name: string, elemType: number, dims: (number | { param?: string })[]) =>
    concat(
      field(1, name),
      field(2, field(1, concat(field(1, elemType), field(2, concat(...dims.map(dim)))))),
    );
  const raw = new Uint8Array(8);
  new DataView(raw.buffer).setFloat32(0, 1.5, true);
  new DataView(raw.buffer).setFloat32(4, -2, true);
  const initializer = concat(
    field(1, 2),
    field(2, options.initializerType ?? 1),
    field(8, "w"),
    field(9, raw),
  );
  const graph = concat(
    field(2, "hand"),
    field(5, initializer),
    field(11, valueInfo("x", options.inputType ?? 1, options.inputDims ?? [1, 16])),
    field(12, valueInfo("y", 1, [1, 1])),
  );
  return concat(field(1, 8), field(8, concat(field(1, ""), field(2, 13))), field(7, graph));
}
