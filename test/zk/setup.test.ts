import { expect } from "chai";
import { createHash } from "node:crypto";
import { mkdtemp, readFile, rm, stat, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { sampleModel } from "@verity/models";
import {
  PtauError,
  ZkSetupError,
  buildZkArtifacts,
  chooseBinding,
  loadZkArtifacts,
  preparePtau,
  readPtauHeader,
  terminateCurve,
  userPtau,
  writeInsecurePtau,
} from "@verity/zk";
import { CACHE_DIR, SETUP_TIMEOUT_MS, devArtifacts, expectRejection } from "./support.js";
import { tinyModelBytes } from "./tinyModel.js";

/** The sections of a .ptau file by type (the binary container snarkjs writes). */
async function ptauSections(path: string): Promise<Map<number, Buffer>> {
  const bytes = await readFile(path);
  const sections = new Map<number, Buffer>();
  let offset = 12;
  for (let i = 0; i < bytes.readUInt32LE(8); i++) {
    const type = bytes.readUInt32LE(offset);
    const size = Number(bytes.readBigUInt64LE(offset + 4));
    sections.set(type, bytes.subarray(offset + 12, offset + 12 + size));
    offset += 12 + size;
  }
  return sections;
}

/** Writes a .ptau container holding only the given sections of another. */
async function writePtauSections(path: string, sections: Map<number, Buffer>, types: number[]) {
  const head = Buffer.alloc(12);
  head.write("ptau", 0, "ascii");
  head.writeUInt32LE(1, 4);
  head.writeUInt32LE(types.length, 8);
  const parts: Buffer[] = [head];
  for (const type of types) {
    const entry = Buffer.alloc(12);
    entry.writeUInt32LE(type, 0);
    entry.writeBigUInt64LE(BigInt(sections.get(type)!.length), 4);
    parts.push(entry, sections.get(type)!);
  }
  await writeFile(path, Buffer.concat(parts));
}

describe("ZK setup", function () {
  this.timeout(SETUP_TIMEOUT_MS);
  let dir: string;

  before(async function () {
    dir = await mkdtemp(join(tmpdir(), "verity-zk-setup-"));
  });

  after(async function () {
    await rm(dir, { recursive: true, force: true });
    await terminateCurve();
  });

  it("writes a dev powers of tau byte-identical to snarkjs's own phase-2 preparation of it", async function () {
    const ours = join(dir, "ours.ptau");
    await writeInsecurePtau(ours, 5);
    // snarkjs recomputes the Lagrange sections (12-15) from the powers by FFTs over the curve.
    const theirs = join(dir, "theirs.ptau");
    await preparePtau(ours, theirs);
    const [a, b] = await Promise.all([ptauSections(ours), ptauSections(theirs)]);
    for (const type of [1, 2, 3, 4, 5, 6, 7, 12, 13, 14, 15]) {
      expect(a.get(type), `section ${type}`).to.deep.equal(b.get(type));
    }
    expect(await readPtauHeader(ours)).to.deep.equal({ power: 5, prepared: true });
  });

  it("accepts a user's prepared file of enough power and refuses others by name", async function () {
    const prepared = join(dir, "ours.ptau");
    const file = await userPtau(prepared, 5);
    const sha = `0x${createHash("sha256")
      .update(await readFile(prepared))
      .digest("hex")}`;
    expect(file).to.deep.equal({ path: prepared, power: 5, hash: sha, insecure: false });
    await expectRejection(userPtau(prepared, 6), PtauError, /power 5; this circuit needs 2\^6/);

    const unprepared = join(dir, "unprepared.ptau");
    await writePtauSections(unprepared, await ptauSections(prepared), [1, 2, 3, 4, 5, 6, 7]);
    expect(await readPtauHeader(unprepared)).to.deep.equal({ power: 5, prepared: false });
    await expectRejection(userPtau(unprepared, 5), PtauError, /not prepared for phase 2/);

    await writeFile(join(dir, "not.ptau"), "hello");
    await expectRejection(readPtauHeader(join(dir, "not.ptau")), PtauError, /not a \.ptau/);
  });

  it("refuses to run without a powers of tau unless told to make an insecure one", async function () {
    await expectRejection(
      buildZkArtifacts(tinyModelBytes(), { cacheDir: dir }),
      ZkSetupError,
      /pass ptauPath .* or insecureDevSetup: true/,
    );
  });

  it("uses a user's powers of tau as given, and labels only the local one insecure", async function () {
    const ptauPath = join(dir, "ceremony.ptau");
    await writeInsecurePtau(ptauPath, 10); // stands in for a ceremony file here
    const cacheDir = join(dir, "cache");
    const artifacts = await buildZkArtifacts(tinyModelBytes(), { cacheDir, ptauPath });
    expect(artifacts.insecureSetup).to.equal(false);
    expect(artifacts.ptauPower).to.equal(10);
    expect(artifacts.verifierSource).to.not.match(/INSECURE/);
    expect(artifacts.verifierSource).to.match(
      /function insecureSetup\(\) external pure returns \(bool\) \{\s+return false;/,
    );
    const dev = await buildZkArtifacts(tinyModelBytes(), { cacheDir, insecureDevSetup: true });
    expect(dev.insecureSetup).to.equal(true);
    expect(dev.verifierSource).to.match(/INSECURE SETUP/);
    // Same circuit, another setup: another key.
    expect(dev.circuitHash).to.equal(artifacts.circuitHash);
    expect(dev.verifyingKeyHash).to.not.equal(artifacts.verifyingKeyHash);
  });

  it("caches by content hash: a second build rebuilds nothing, and loadZkArtifacts finds it", async function () {
    const model = sampleModel("credit-risk");
    const first = await devArtifacts(model.bytes);
    const zkeyTime = (await stat(first.paths.zkey)).mtimeMs;
    const started = Date.now();
    const second = await buildZkArtifacts(model.bytes, {
      cacheDir: CACHE_DIR,
      insecureDevSetup: true,
    });
    expect(Date.now() - started).to.be.below(2_000);
    expect(second).to.deep.equal(first);
    expect((await stat(first.paths.zkey)).mtimeMs).to.equal(zkeyTime);
    expect(await loadZkArtifacts(CACHE_DIR, model.modelId)).to.deep.equal(first);
    expect(await loadZkArtifacts(CACHE_DIR, `0x${"00".repeat(32)}`)).to.equal(undefined);
  });

  it("describes the artifacts: hashes, names, sizes, and the binding chosen by size", async function () {
    const model = sampleModel("credit-risk");
    const artifacts = await devArtifacts(model.bytes);
    expect(artifacts.modelId).to.equal(model.modelId);
    expect(artifacts.contractName).to.equal(`ZkVerifier_credit_risk_${model.modelId.slice(2, 10)}`);
    expect(artifacts.binding).to.equal("commitment");
    expect(artifacts.circuitHash).to.match(/^0x[0-9a-f]{64}$/);
    expect(artifacts.verifyingKeyHash).to.match(/^0x[0-9a-f]{64}$/);
    expect(artifacts.publicSignals).to.equal(3);
    expect(artifacts.constraints).to.be.within(1_000, 3_000);
    expect(artifacts.verifierSource).to.include(
      `contract ${artifacts.contractName} is ZkModelVerifier`,
    );
    expect(chooseBinding(1, 1)).to.equal("commitment");
    expect(chooseBinding(16, 1)).to.equal("commitment");
  });
});
