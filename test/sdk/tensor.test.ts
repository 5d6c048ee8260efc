import { createHash } from "node:crypto";
import { expect } from "chai";
import { getBytes, hexlify } from "ethers";
import {
  InvalidInputError,
  MalformedTensorError,
  TensorValueError,
  checkInput,
  decodeOutput,
  decodeTensor,
  encodeInput,
  encodeTensor,
  encodedTensorLength,
  flattenTensor,
  fromFixedPoint,
  toFixedPoint,
} from "@verity/sdk";

/** A seeded stream of uniforms in [0, 1) from SHA-256, so a failing case replays from its seed. */
function prng(seed: number): () => number {
  let counter = 0;
  return () =>
    createHash("sha256").update(`${seed}:${counter++}`).digest().readUInt32BE(0) / 2 ** 32;
}

const CASES = 500;
const INT32_MIN = -(2 ** 31);
const INT32_MAX = 2 ** 31 - 1;

/** A random valid shape (rank 1..8, at most 512 elements) and int32 values, edges included. */
function randomTensor(random: () => number): { shape: number[]; values: number[] } {
  const rank = 1 + Math.floor(random() * 8);
  const shape: number[] = [];
  let elements = 1;
  for (let i = 0; i < rank; i++) {
    const dim = 1 + Math.floor(random() * Math.max(1, Math.min(6, 512 / elements)));
    shape.push(dim);
    elements *= dim;
  }
  const edges = [0, 1, -1, INT32_MIN, INT32_MAX];
  const values = Array.from({ length: elements }, () =>
    random() < 0.2
      ? edges[Math.floor(random() * edges.length)]
      : Math.floor(random() * 2 ** 32) + INT32_MIN,
  );
  return { shape, values };
}

describe("sdk tensors: the canonical codec", () => {
  it("round-trips every random shape and int32 value (property, 500 cases)", () => {
    for (let seed = 1; seed <= CASES; seed++) {
      const { shape, values } = randomTensor(prng(seed));
      const encoded = encodeTensor(shape, values);
      expect(getBytes(encoded).length, `seed ${seed}`).to.equal(encodedTensorLength(shape));
      const decoded = decodeTensor(encoded);
      expect(decoded.shape, `seed ${seed}`).to.deep.equal(shape);
      expect(decoded.values, `seed ${seed}`).to.deep.equal(values);
      expect(encodeTensor(decoded.shape, decoded.values), `seed ${seed}`).to.equal(encoded);
    }
  });

  it("rejects every truncation and every extension of a valid tensor (property)", () => {
    for (let seed = 1; seed <= 100; seed++) {
      const random = prng(seed);
      const { shape, values } = randomTensor(random);
      const bytes = getBytes(encodeTensor(shape, values));
      const cut = Math.floor(random() * bytes.length);
      expect(() => decodeTensor(bytes.slice(0, cut)), `seed ${seed} cut ${cut}`).to.throw(
        MalformedTensorError,
      );
      const extra = 1 + Math.floor(random() * 7);
      const longer = new Uint8Array(bytes.length + extra);
      longer.set(bytes);
      expect(() => decodeTensor(longer), `seed ${seed} +${extra}`).to.throw(MalformedTensorError);
    }
  });

  it("rejects a wrong version, dtype, rank or zero dimension (property)", () => {
    for (let seed = 1; seed <= 100; seed++) {
      const random = prng(seed);
      const { shape, values } = randomTensor(random);
      const bytes = getBytes(encodeTensor(shape, values));
      const corrupt = (index: number, value: number) => {
        const copy = bytes.slice();
        copy[index] = value;
        return copy;
      };
      const notOne = () => 2 + Math.floor(random() * 254);
      expect(() => decodeTensor(corrupt(0, notOne())), "version").to.throw(MalformedTensorError);
      expect(() => decodeTensor(corrupt(1, notOne())), "dtype").to.throw(MalformedTensorError);
      expect(() => decodeTensor(corrupt(1, 0)), "dtype 0").to.throw(MalformedTensorError);
      expect(() => decodeTensor(corrupt(2, 0)), "rank 0").to.throw(MalformedTensorError);
      expect(() => decodeTensor(corrupt(2, 9 + Math.floor(random() * 200))), "rank > 8").to.throw(
        MalformedTensorError,
      );
      // A zero dimension: zero the four bytes of a random dimension.
      const axis = Math.floor(random() * shape.length);
      const zeroed = bytes.slice();
      zeroed.fill(0, 3 + 4 * axis, 7 + 4 * axis);
      expect(() => decodeTensor(zeroed), "zero dim").to.throw(MalformedTensorError);
    }
  });

  it("random bytes either fail to decode or are canonical: they re-encode to themselves (property)", () => {
    let decoded = 0;
    for (let seed = 1; seed <= 2000; seed++) {
      const random = prng(seed);
      // Bias towards plausible headers so some cases decode.
      const rank = 1 + Math.floor(random() * 2);
      const dims = Array.from({ length: rank }, () => 1 + Math.floor(random() * 3));
      const elements = dims.reduce((a, b) => a * b, 1);
      const length =
        3 + 4 * rank + 4 * elements + (random() < 0.5 ? 0 : Math.floor(random() * 5) - 2);
      const bytes = new Uint8Array(Math.max(0, length));
      for (let i = 0; i < bytes.length; i++) bytes[i] = Math.floor(random() * 256);
      if (random() < 0.8 && bytes.length >= 3) {
        bytes[0] = 1;
        bytes[1] = 1;
        bytes[2] = rank;
        dims.forEach((dim, i) => {
          if (bytes.length >= 7 + 4 * i) bytes.set([0, 0, 0, dim], 3 + 4 * i);
        });
      }
      let tensor;
      try {
        tensor = decodeTensor(bytes);
      } catch (error) {
        expect(error, `seed ${seed}`).to.be.instanceOf(MalformedTensorError);
        continue;
      }
      decoded++;
      expect(encodeTensor(tensor.shape, tensor.values), `seed ${seed}`).to.equal(hexlify(bytes));
    }
    expect(decoded, "some random cases decode").to.be.greaterThan(100);
  });

  it("refuses to encode values that are not int32 and shapes the contracts refuse", () => {
    expect(() => encodeTensor([2], [1, 2 ** 31])).to.throw(MalformedTensorError);
    expect(() => encodeTensor([2], [1, 0.5])).to.throw(MalformedTensorError);
    expect(() => encodeTensor([2], [1])).to.throw(MalformedTensorError, /needs 2 values/);
    expect(() => encodeTensor([], [])).to.throw(MalformedTensorError, /rank/);
    expect(() => encodeTensor([1, 0], [])).to.throw(MalformedTensorError, /dimension/);
    expect(() => encodeTensor(Array(9).fill(1), [1])).to.throw(MalformedTensorError, /rank/);
  });
});

describe("sdk tensors: real values and fixed point", () => {
  it("toFixedPoint then fromFixedPoint is within half a unit of the last decimal (property)", () => {
    for (let seed = 1; seed <= CASES; seed++) {
      const random = prng(seed);
      const decimals = Math.floor(random() * 9);
      const limit = Math.min(1e6, (INT32_MAX / 10 ** decimals) * 0.99);
      const values = Array.from({ length: 8 }, () => (random() * 2 - 1) * limit);
      const back = fromFixedPoint(toFixedPoint(values, decimals), decimals);
      values.forEach((x, i) => {
        const tolerance = 0.5 / 10 ** decimals + Math.abs(x) * 2 ** -50;
        expect(Math.abs(back[i] - x), `seed ${seed} value ${x} at ${decimals}`).to.be.at.most(
          tolerance,
        );
      });
    }
  });

  it("rejects NaN, ±Infinity and overflow with a TensorValueError that says what to do", () => {
    for (const bad of [NaN, Infinity, -Infinity, 3e3]) {
      let caught: unknown;
      try {
        toFixedPoint([0, bad], 6);
      } catch (error) {
        caught = error;
      }
      expect(caught, String(bad)).to.be.instanceOf(TensorValueError);
      const error = caught as TensorValueError;
      expect(error.shortMessage).to.match(/index 1/);
      expect(error.fix).to.match(/finite/);
    }
  });

  it("encodeInput checks the count and nested shape against the model and encodes at its decimals", () => {
    const model = { inputShape: [2, 2], outputShape: [1], decimals: 3 };
    const flat = encodeInput(model, [0.5, -1, 2.25, 0]);
    expect(decodeTensor(flat)).to.deep.equal({ shape: [2, 2], values: [500, -1000, 2250, 0] });
    expect(
      encodeInput(model, [
        [0.5, -1],
        [2.25, 0],
      ]),
    ).to.equal(flat);
    expect(() => encodeInput(model, [1, 2, 3])).to.throw(InvalidInputError, /takes 4 values/);
    expect(() => encodeInput(model, [[1, 2, 3, 4]])).to.throw(
      InvalidInputError,
      /shape is \[1, 4\]/,
    );
    expect(() => encodeInput(model, [[1, 2], [3]])).to.throw(InvalidInputError, /ragged/);
    expect(() => encodeInput(model, [1, 2, NaN, 4])).to.throw(TensorValueError, /NaN/);
  });

  it("checkInput refuses bytes of another shape or not a tensor; decodeOutput gives real values", () => {
    const model = { inputShape: [1, 2] };
    expect(checkInput(model, encodeTensor([1, 2], [1, 2])).values).to.deep.equal([1, 2]);
    expect(() => checkInput(model, encodeTensor([2, 1], [1, 2]))).to.throw(
      InvalidInputError,
      /shape is \[2, 1\]/,
    );
    expect(() => checkInput(model, "0x0201")).to.throw(InvalidInputError, /header/);
    expect(decodeOutput({ decimals: 6 }, encodeTensor([1, 2], [340223, -1])).real).to.deep.equal([
      0.340223, -0.000001,
    ]);
    expect(flattenTensor(4)).to.deep.equal({ shape: [1], values: [4] });
  });
});
