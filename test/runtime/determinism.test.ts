import { expect } from "chai";
import { PROBE_MODEL_NAMES, SAMPLE_MODEL_NAMES } from "@verity/models";
import { checkDeterminism, type DeterminismReport } from "../../scripts/determinism/check.js";

/**
 * The canonical executor computes the same bits on x86-64 Node, arm64 Node (under qemu user
 * emulation) and headless Chromium, over 1,000 seeded inputs per model; and the native runtime
 * does not, so a regression to native answers would be caught here. The same check writes
 * reports/determinism.json (`npm run bench:determinism`).
 */
describe("determinism: the canonical executor across platforms", function () {
  this.timeout(600_000);
  const INPUTS = 1000;
  let report: DeterminismReport;

  before(async () => {
    report = await checkDeterminism({ inputsPerModel: INPUTS });
  });

  it("covers the sample models and the Conv, Softmax, Sigmoid, LayerNorm and wide MatMul probes", () => {
    expect(report.models.map((model) => model.name)).to.deep.equal([
      ...SAMPLE_MODEL_NAMES,
      ...PROBE_MODEL_NAMES,
    ]);
  });

  for (const platform of ["arm64 node (qemu)", "chromium"]) {
    it(`${platform} computes the same output bits as x86-64 Node on every input`, () => {
      const found = report.platforms.find((candidate) => candidate.platform === platform);
      expect(found, platform).to.not.equal(undefined);
      for (const model of report.models) {
        expect(found!.compared[model.name], `${model.name} inputs`).to.equal(INPUTS);
        expect(found!.mismatches[model.name], `${model.name} mismatches`).to.equal(0);
      }
    });
  }

  it("the native runtime differs from the canonical executor, which is why it never answers", () => {
    const differing = Object.values(report.native.mismatches).reduce((a, b) => a + b, 0);
    expect(differing).to.be.greaterThan(0);
  });
});
