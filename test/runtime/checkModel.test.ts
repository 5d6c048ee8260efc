import { expect } from "chai";
import { MAX_RESULT_OUTPUT_BYTES } from "@verity/contracts";
import { encodeOnnx, sampleModel } from "@verity/models";
import { ModelCheckError, checkModel } from "@verity/runtime";
import { oneNode } from "../models/graphs.js";

async function refusal(promise: Promise<void>): Promise<ModelCheckError> {
  try {
    await promise;
  } catch (error) {
    expect(error).to.be.instanceOf(ModelCheckError);
    return error as ModelCheckError;
  }
  throw new Error("checkModel accepted the model");
}

describe("checkModel: the canonical executor loads and runs a model before it is registered", function () {
  this.timeout(60_000);
  const credit = sampleModel("credit-risk");

  it("accepts a sample model at its shapes", async () => {
    await checkModel(credit.bytes, { inputShape: [1, 16], outputShape: credit.outputShape });
  });

  it("refuses a truncated file as invalid", async () => {
    const error = await refusal(
      checkModel(credit.bytes.slice(0, credit.bytes.length - 7), {
        inputShape: [1, 16],
        outputShape: credit.outputShape,
      }),
    );
    expect(error.kind).to.equal("invalid");
    expect(error.message).to.match(/protobuf parsing failed/);
  });

  it("names an operator the executor does not have", async () => {
    const bytes = encodeOnnx(oneNode("FooBar", [1, 4], [1, 4]));
    const error = await refusal(checkModel(bytes, { inputShape: [1, 4], outputShape: [1, 4] }));
    expect(error.kind).to.equal("unsupported-operator");
    expect(error.operator).to.equal("FooBar");
  });

  it("refuses declared shapes the model does not produce or take, naming both", async () => {
    const bytes = encodeOnnx(oneNode("Relu", [1, 4], [1, 4]));
    const output = await refusal(checkModel(bytes, { inputShape: [1, 4], outputShape: [1, 2] }));
    expect(output.kind).to.equal("shape-mismatch");
    expect(output.message).to.match(/gives output \[1, 4\].*declared output shape is \[1, 2\]/);
    const input = await refusal(checkModel(bytes, { inputShape: [1, 3], outputShape: [1, 3] }));
    expect(input.kind).to.equal("shape-mismatch");
  });

  it("refuses an output too large to settle, suggesting a reducing node", async () => {
    const elements = Math.ceil(MAX_RESULT_OUTPUT_BYTES / 4) + 1;
    const bytes = encodeOnnx(oneNode("Relu", [1, elements], [1, elements]));
    const shape = [1, elements];
    const error = await refusal(checkModel(bytes, { inputShape: shape, outputShape: shape }));
    expect(error.kind).to.equal("output-too-large");
    expect(error.fix).to.match(/ArgMax/);
  });
});
