import { expect } from "chai";
import { mkdtemp, readFile, rm, stat } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createHash } from "node:crypto";
import { openCanonicalSession } from "@verity/runtime";
import { SAMPLE_MODEL_NAMES, runFloat, sampleModel, writeSampleModels } from "@verity/models";
import type { SampleModelName } from "@verity/models";

/**
 * Pinned on purpose: a change to the sample models (weights, encoding, protobuf writer) changes
 * their ids, which every registry entry, fixture and ZK circuit refers to. Update these only
 * together with everything that depends on them.
 */
const PINNED_MODEL_IDS: Record<SampleModelName, string> = {
  "credit-risk": "0x71f76e85aa9647204c17e87fa8f6d32ea15036a7a94a7c798ac785f4b4f4e33f",
  "mnist-mlp": "0x0709c486302d12a2397ebe0c295b7f604f66b573f7e8899f97e4b2d3d94478c6",
};

describe("sample models", function () {
  for (const name of SAMPLE_MODEL_NAMES) {
    describe(name, function () {
      const model = sampleModel(name);

      it("has the pinned model id, the SHA-256 of its bytes", function () {
        const digest = `0x${createHash("sha256").update(model.bytes).digest("hex")}`;
        expect(model.modelId).to.equal(digest);
        expect(model.modelId).to.equal(PINNED_MODEL_IDS[name]);
      });

      it("declares shapes that match its graph and 6 decimals", function () {
        expect(model.inputShape).to.deep.equal(model.graph.inputs[0].shape);
        expect(model.outputShape).to.deep.equal(model.graph.outputs[0].shape);
        expect(model.decimals).to.equal(6);
      });

      it("gives the same input for the same seed and different inputs for different seeds", function () {
        expect(model.sampleInput(7)).to.deep.equal(model.sampleInput(7));
        expect(model.sampleInput(7)).to.not.deep.equal(model.sampleInput(8));
        expect(model.sampleInput(7)).to.have.length(model.inputShape[1]);
      });

      it("runs in the canonical executor within 1e-5 of the float64 reference", async function () {
        const session = await openCanonicalSession(model.bytes);
        try {
          for (let seed = 0; seed < 16; seed++) {
            const input = Float32Array.from(model.sampleInput(seed));
            const actual = await session.run(input, model.inputShape);
            expect(actual.dims).to.deep.equal(model.outputShape);
            const expected = runFloat(model.graph, input);
            actual.output.forEach((value, index) => {
              // Not chai's closeTo: Hardhat's chai matchers replace it with a bigint-only version.
              expect(Math.abs(value - expected[index])).to.be.at.most(
                1e-5,
                `seed ${seed}, output ${index}`,
              );
            });
          }
        } finally {
          await session.release();
        }
      });
    });
  }

  it("credit-risk scores sample applicants mostly within [0, 1]", function () {
    const model = sampleModel("credit-risk");
    const scores = Array.from(
      { length: 200 },
      (_, seed) => runFloat(model.graph, Float32Array.from(model.sampleInput(seed)))[0],
    );
    const inRange = scores.filter((score) => score >= 0 && score <= 1).length;
    expect(inRange).to.be.greaterThan(190);
    expect(Math.max(...scores) - Math.min(...scores)).to.be.greaterThan(0.3);
  });

  it("credit-risk features lie in [-2, 2] and mnist pixels in [0, 1] with some ink", function () {
    for (let seed = 0; seed < 50; seed++) {
      for (const value of sampleModel("credit-risk").sampleInput(seed)) {
        expect(value).to.be.within(-2, 2);
      }
      const pixels = sampleModel("mnist-mlp").sampleInput(seed);
      for (const value of pixels) expect(value).to.be.within(0, 1);
      const inked = pixels.filter((value) => value > 0.5).length;
      expect(inked, `seed ${seed}`).to.be.within(15, 300);
    }
  });

  it("memoises: the same object for the same name", function () {
    expect(sampleModel("mnist-mlp")).to.equal(sampleModel("mnist-mlp"));
  });

  describe("writeSampleModels", function () {
    let dir: string;
    beforeEach(async function () {
      dir = await mkdtemp(join(tmpdir(), "verity-models-"));
    });
    afterEach(async function () {
      await rm(dir, { recursive: true, force: true });
    });

    it("writes <dir>/<name>.onnx with the model's bytes, and leaves them alone the second time", async function () {
      const target = join(dir, "nested");
      const first = await writeSampleModels(target);
      expect(first.map((entry) => entry.name)).to.deep.equal([...SAMPLE_MODEL_NAMES]);
      const mtimes = [];
      for (const { name, path, modelId } of first) {
        expect(path).to.equal(join(target, `${name}.onnx`));
        expect(modelId).to.equal(sampleModel(name).modelId);
        expect(new Uint8Array(await readFile(path))).to.deep.equal(sampleModel(name).bytes);
        mtimes.push((await stat(path)).mtimeMs);
      }
      const second = await writeSampleModels(target);
      expect(second).to.deep.equal(first);
      for (const [index, { path }] of second.entries()) {
        expect((await stat(path)).mtimeMs).to.equal(mtimes[index]);
      }
    });
  });
});
