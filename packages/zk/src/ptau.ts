import { createHash, randomBytes } from "node:crypto";
import { createReadStream } from "node:fs";
import { mkdir, open, readFile, readdir, rename, rm, stat, writeFile } from "node:fs/promises";
import { join } from "node:path";
import * as snarkjs from "snarkjs";
import { SNARK_FIELD } from "@verity/runtime/circuit";

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

interface WasmGroup {
  g: Uint8Array;
  zero: Uint8Array;
  add(a: Uint8Array, b: Uint8Array): Uint8Array;
  double(a: Uint8Array): Uint8Array;
  batchToAffine(points: Uint8Array): Promise<Uint8Array>;
}

/** Bits per window of the fixed-base tables: 32 additions per scalar, 8,160 table points. */
const WINDOW_BITS = 8;

/**
 * Multiples of a group's generator by arbitrary scalars, from a table of d·2^(8j)·G: 32 point
 * additions each instead of a ~254-step double-and-add (about 3× faster in G1, 5× in G2).
 */
function fixedBase(group: WasmGroup): (scalar: bigint) => Uint8Array {
  const windows = Math.ceil(256 / WINDOW_BITS);
  const size = 1 << WINDOW_BITS;
  const table: Uint8Array[][] = [];
  let base = group.g;
  for (let j = 0; j < windows; j++) {
    const row = [group.zero, base];
    for (let d = 2; d < size; d++) row.push(group.add(row[d - 1], base));
    table.push(row);
    base = group.double(row[size / 2]);
  }
  const mask = BigInt(size - 1);
  return (scalar) => {
    let acc = group.zero;
    let rest = scalar;
    for (let j = 0; rest > 0n; j++, rest >>= BigInt(WINDOW_BITS)) {
      const digit = Number(rest & mask);
      if (digit !== 0) acc = group.add(acc, table[j][digit]);
    }
    return acc;
  };
}
interface WasmCurve {
  Fr: { toObject(element: Uint8Array): bigint; w: Uint8Array[] };
  G1: WasmGroup;
  G2: WasmGroup;
  q: bigint;
  terminate(): Promise<void>;
}

const modPow = (base: bigint, exponent: bigint, modulus: bigint): bigint => {
  let result = 1n;
  let b = base % modulus;
  for (let e = exponent; e > 0n; e >>= 1n) {
    if (e & 1n) result = (result * b) % modulus;
    b = (b * b) % modulus;
  }
  return result;
};

/** Inverts every element at the cost of one inversion (Montgomery's trick). */
function batchInverse(values: bigint[], modulus: bigint): bigint[] {
  const prefix = new Array<bigint>(values.length);
  let acc = 1n;
  values.forEach((value, i) => {
    prefix[i] = acc;
    acc = (acc * value) % modulus;
  });
  let inverse = modPow(acc, modulus - 2n, modulus);
  const result = new Array<bigint>(values.length);
  for (let i = values.length - 1; i >= 0; i--) {
    result[i] = (inverse * prefix[i]) % modulus;
    inverse = (inverse * values[i]) % modulus;
  }
  return result;
}

/**
 * Writes a prepared powers-of-tau file for secrets τ, α, β drawn here and forgotten on return,
 * in snarkjs's format: the powers (sections 2–6), no contribution record (section 7), and the
 * Lagrange-basis points phase 2 reads (sections 12–15), each computed directly as [L_i(τ)]G from
 * the known τ instead of by snarkjs's FFT over curve points, which is what makes snarkjs's
 * `preparePhase2` take about 100 s at 2^12 and most of an hour at 2^16. The result is exactly
 * what `newAccumulator` + one `contribute` + `preparePhase2` would write for the same secrets
 * (the tests compare them byte for byte), and exactly as insecure: one party knew the secrets.
 */
export async function writeInsecurePtau(path: string, power: number): Promise<void> {
  const curve = (await snarkjs.curves.getCurveFromName("bn128")) as unknown as WasmCurve;
  const { Fr, G1, G2 } = curve;
  const r = SNARK_FIELD;
  const secret = () => (BigInt(`0x${randomBytes(48).toString("hex")}`) % (r - 1n)) + 1n;
  const [tau, alpha, beta] = [secret(), secret(), secret()];
  const file = await open(path, "w");
  let position = 0;
  const write = async (bytes: Uint8Array) => {
    await file.write(bytes, 0, bytes.length, position);
    position += bytes.length;
  };
  const u32 = (value: number) => {
    const bytes = Buffer.alloc(4);
    bytes.writeUInt32LE(value);
    return bytes;
  };
  const sectionHeader = (type: number, size: number) => {
    const bytes = Buffer.alloc(12);
    bytes.writeUInt32LE(type, 0);
    bytes.writeBigUInt64LE(BigInt(size), 4);
    return bytes;
  };
  const times = new Map([
    [G1, fixedBase(G1)],
    [G2, fixedBase(G2)],
  ]);
  /** Section `type` holding [s]·G for each scalar, in affine Montgomery form, in chunks. */
  const points = async (
    type: number,
    group: WasmGroup,
    size: number,
    scalars: Iterable<bigint>,
  ) => {
    const affineBytes = group === G1 ? 64 : 128;
    const projectiveBytes = (affineBytes / 2) * 3;
    const multiply = times.get(group)!;
    await write(sectionHeader(type, size * affineBytes));
    const chunk = new Uint8Array(projectiveBytes * 4096);
    let filled = 0;
    let count = 0;
    const flush = async () => {
      await write(await group.batchToAffine(chunk.subarray(0, filled)));
      filled = 0;
    };
    for (const scalar of scalars) {
      chunk.set(multiply(scalar), filled);
      filled += projectiveBytes;
      count++;
      if (filled === chunk.length) await flush();
    }
    if (filled > 0) await flush();
    if (count !== size) throw new Error(`section ${type}: wrote ${count} points, expected ${size}`);
  };
  function* powers(count: number, factor: bigint) {
    let value = factor;
    for (let i = 0; i < count; i++) {
      yield value;
      value = (value * tau) % r;
    }
  }
  /**
   * L_i(τ) over the 2^p-th roots of unity snarkjs uses (Fr.w[p]), for every level p up to `top`,
   * times `factor`: ifft(τ^0..τ^(n−1))_i = ω^i (τ^n − 1) / (n (τ − ω^i)). At level `truncated`
   * the last power is taken as zero, as snarkjs does for tauG1 at power + 1 (it only has
   * 2^(power+1) − 1 powers): subtract τ^(n−1) ω^i / n.
   */
  function* lagrange(top: number, factor: bigint, truncated = -1) {
    for (let p = 0; p <= top; p++) {
      const n = 1 << p;
      const omega = Fr.toObject(Fr.w[p]);
      const roots = new Array<bigint>(n);
      roots[0] = 1n;
      for (let i = 1; i < n; i++) roots[i] = (roots[i - 1] * omega) % r;
      const inverses = batchInverse(
        roots.map((root) => (((tau - root) % r) + r) % r),
        r,
      );
      const nInverse = modPow(BigInt(n), r - 2n, r);
      const common = (((modPow(tau, BigInt(n), r) - 1n + r) % r) * nInverse) % r;
      const last = (modPow(tau, BigInt(n - 1), r) * nInverse) % r;
      for (let i = 0; i < n; i++) {
        let value = (((roots[i] * common) % r) * inverses[i]) % r;
        if (p === truncated) value = (value - ((last * roots[i]) % r) + r) % r;
        yield (value * factor) % r;
      }
    }
  }
  try {
    const nG1 = 2 ** (power + 1) - 1;
    const n = 2 ** power;
    const qBytes = Buffer.alloc(32);
    let q = curve.q;
    for (let i = 0; i < 32; i++, q >>= 8n) qBytes[i] = Number(q & 0xffn);
    const levels = (top: number) => 2 ** (top + 1) - 1;
    await write(Buffer.from("ptau", "ascii"));
    await write(u32(1));
    await write(u32(11));
    await write(sectionHeader(1, 4 + 32 + 4 + 4));
    await write(Buffer.concat([u32(32), qBytes, u32(power), u32(power)]));
    await points(2, G1, nG1, powers(nG1, 1n));
    await points(3, G2, n, powers(n, 1n));
    await points(4, G1, n, powers(n, alpha));
    await points(5, G1, n, powers(n, beta));
    await points(6, G2, 1, [beta]);
    await write(sectionHeader(7, 4));
    await write(u32(0));
    await points(12, G1, levels(power + 1), lagrange(power + 1, 1n, power + 1));
    await points(13, G2, levels(power), lagrange(power, 1n));
    await points(14, G1, levels(power), lagrange(power, alpha));
    await points(15, G1, levels(power), lagrange(power, beta));
  } finally {
    await file.close();
  }
}

/**
 * A locally generated powers of tau of at least `minPower`, from the cache or made now
 * (`writeInsecurePtau`). INSECURE: whoever ran it could have kept the secret and could forge
 * proofs. For development and tests only.
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
      "no ceremony); cached for later runs",
  );
  const started = Date.now();
  try {
    await writeInsecurePtau(work, power);
  } catch (error) {
    await rm(work, { force: true });
    throw error;
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

/**
 * Prepares a powers-of-tau file for phase 2 with snarkjs (`powersoftau prepare phase2`): for a
 * ceremony file published before preparation. Slow at large powers (about an hour at 2^16 on 2
 * cores); ceremonies usually publish prepared `*_final_*.ptau` files.
 */
export async function preparePtau(input: string, output: string): Promise<void> {
  await snarkjs.powersOfTau.preparePhase2(input, output);
}
