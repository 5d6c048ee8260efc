import { createHash, randomBytes } from "node:crypto";
import { createReadStream } from "node:fs";
import { mkdir, open, readFile, readdir, rename, rm, stat, writeFile } from "node:fs/promises";
import { join } from "node:path";
import * as snarkjs from "snarkjs";

/** A powers-of-tau file ready for Groth16 setups (phase 2 prepared). */
export interface PtauFile {
  path: string;
  power: number;
  /** 0x-prefixed SHA-256 of the file. */
  hash: string;
  /** True for a locally generated file: one party knew its secrets. Development only. */
  insecure: boolean;
}

/** A powers-of-tau file that cannot be used. */
export class PtauError extends Error {
  override name = "PtauError";
}

/** Largest power snarkjs's BN254 setup supports (2^28 constraints). */
const MAX_POWER = 28;

/**
 * Reads a `.ptau` file's header: its power, and whether phase 2 was prepared (section 12, the
 * Lagrange-basis points a Groth16 setup needs). Only the section table is read.
 */
export async function readPtauHeader(path: string): Promise<{ power: number; prepared: boolean }> {
  const file = await open(path, "r");
  try {
    const { size } = await file.stat();
    const head = Buffer.alloc(12);
    await file.read(head, 0, 12, 0);
    if (head.toString("ascii", 0, 4) !== "ptau") {
      throw new PtauError(`${path} is not a .ptau file (no "ptau" magic)`);
    }
    const sections = head.readUInt32LE(8);
    let offset = 12;
    let power: number | undefined;
    let prepared = false;
    const entry = Buffer.alloc(12);
    for (let i = 0; i < sections && offset + 12 <= size; i++) {
      await file.read(entry, 0, 12, offset);
      const type = entry.readUInt32LE(0);
      const length = Number(entry.readBigUInt64LE(4));
      if (type === 1) {
        const header = Buffer.alloc(Math.min(length, 64));
        await file.read(header, 0, header.length, offset + 12);
        const n8 = header.readUInt32LE(0);
        power = header.readUInt32LE(4 + n8);
      }
      if (type === 12) prepared = true;
      offset += 12 + length;
    }
    if (power === undefined) throw new PtauError(`${path} has no header section`);
    return { power, prepared };
  } finally {
    await file.close();
  }
}

async function sha256File(path: string): Promise<string> {
  const hash = createHash("sha256");
  for await (const chunk of createReadStream(path)) hash.update(chunk as Buffer);
  return `0x${hash.digest("hex")}`;
}

/**
 * A powers-of-tau file the user gives (production: a public ceremony's, e.g. the Hermez/Polygon
 * `powersOfTau28_hez_final_<power>.ptau`), checked to be prepared and large enough.
 */
export async function userPtau(path: string, minPower: number): Promise<PtauFile> {
  const { power, prepared } = await readPtauHeader(path);
  if (!prepared) {
    throw new PtauError(
      `${path} is not prepared for phase 2: run \`snarkjs powersoftau prepare phase2\` on it, ` +
        "or use a ceremony's *_final_*.ptau file",
    );
  }
  if (power < minPower) {
    throw new PtauError(`${path} has power ${power}; this circuit needs 2^${minPower}`);
  }
  return { path, power, hash: await sha256File(path), insecure: false };
}

/**
 * A locally generated powers of tau of at least `minPower`, from the cache or made now (one
 * contribution with fresh randomness, then snarkjs's phase-2 preparation). INSECURE: whoever ran
 * it could have kept the secret and could forge proofs. For development and tests only.
 *
 * Cached as `<dir>/insecure-dev-<power>.ptau` with a `.json` beside it; a larger cached one is
 * reused for a smaller circuit.
 */
export async function insecureDevPtau(
  dir: string,
  minPower: number,
  onProgress: (step: string) => void = () => {},
): Promise<PtauFile> {
  if (minPower > MAX_POWER) throw new PtauError(`2^${minPower} is beyond BN254's 2^${MAX_POWER}`);
  await mkdir(dir, { recursive: true });
  const cached = await cachedDevPtaus(dir);
  const usable = cached.find((ptau) => ptau.power >= minPower);
  if (usable !== undefined) return usable;

  const power = minPower;
  const path = join(dir, `insecure-dev-${power}.ptau`);
  const work = `${path}.${process.pid}.${randomBytes(4).toString("hex")}`;
  onProgress(
    `INSECURE: generating a local powers of tau 2^${power} for development only (one party, ` +
      "no ceremony); this takes a while once and is cached",
  );
  const started = Date.now();
  const curve = await snarkjs.curves.getCurveFromName("bn128");
  try {
    await snarkjs.powersOfTau.newAccumulator(curve, power, `${work}.0`);
    await snarkjs.powersOfTau.contribute(
      `${work}.0`,
      `${work}.1`,
      "verity insecure dev",
      randomBytes(64).toString("hex"),
    );
    onProgress(`INSECURE dev powers of tau 2^${power}: preparing phase 2`);
    await snarkjs.powersOfTau.preparePhase2(`${work}.1`, work);
  } finally {
    await rm(`${work}.0`, { force: true });
    await rm(`${work}.1`, { force: true });
  }
  const ptau: PtauFile = { path, power, hash: await sha256File(work), insecure: true };
  await rename(work, path);
  await writeFile(
    `${path}.json`,
    JSON.stringify(
      { ...ptau, path: undefined, insecure: true, generatedMs: Date.now() - started },
      null,
      2,
    ),
  );
  onProgress(`INSECURE dev powers of tau 2^${power} ready in ${Date.now() - started} ms`);
  return ptau;
}

async function cachedDevPtaus(dir: string): Promise<PtauFile[]> {
  const found: PtauFile[] = [];
  for (const name of await readdir(dir)) {
    const match = /^insecure-dev-(\d+)\.ptau\.json$/.exec(name);
    if (match === null) continue;
    const path = join(dir, name.slice(0, -".json".length));
    try {
      await stat(path);
      const meta = JSON.parse(await readFile(join(dir, name), "utf8")) as { hash: string };
      found.push({ path, power: Number(match[1]), hash: meta.hash, insecure: true });
    } catch {
      // A file without its metadata (an interrupted run) is not trusted; it is rebuilt.
    }
  }
  return found.sort((a, b) => a.power - b.power);
}
