import { expect } from "chai";
import {
  ModelShapeError,
  decodeOnnx,
  encodeOnnx,
  resolveShape,
  staticShape,
  OnnxFormatError,
} from "@verity/models";
import { dynamicBatchGraph } from "./graphs.js";

describe("ONNX reader: tensor attributes and open dimensions", () => {
  it("decodes a TENSOR attribute and round-trips it through encodeOnnx", () => {
    const bytes = encodeOnnx(dynamicBatchGraph());
    const graph = decodeOnnx(bytes);
    expect(graph.nodes[0].attributes.value).to.deep.equal({
      name: "",
      dims: [4],
      data: Float32Array.from([1, 2, 3, 4]),
    });
    expect(encodeOnnx(graph)).to.deep.equal(bytes);
  });

  it("reports a symbolic dimension by its name instead of refusing the model", () => {
    const graph = decodeOnnx(encodeOnnx(dynamicBatchGraph()));
    expect(graph.inputs[0].shape).to.deep.equal(["batch", 4]);
    expect(() => staticShape(graph.inputs[0])).to.throw(OnnxFormatError, /"batch"/);
  });

  it("resolves an open dimension only from a given shape that fits the fixed ones", () => {
    const [input] = decodeOnnx(encodeOnnx(dynamicBatchGraph())).inputs;
    expect(resolveShape(input, "input", [2, 4])).to.deep.equal([2, 4]);
    expect(() => resolveShape(input, "input", undefined)).to.throw(ModelShapeError, /"batch"/);
    expect(() => resolveShape(input, "input", [1, 5])).to.throw(
      ModelShapeError,
      /\[1, 5\].*\[batch, 4\].*has 4 at axis 1, not 5/,
    );
  });
});
