import { expect } from "chai";
import { FixedPointError, dequantize, dequantizeInto, quantize } from "@verity/contracts";

describe("fixed point", function () {
  it("rounds half away from zero, with no negative zero", function () {
    expect(quantize([2.5e-6, -2.5e-6, 1.5e-6, -1.5e-6, 0.4e-6, -0.4e-6], 6)).to.deep.equal([
      3, -3, 2, -2, 0, 0,
    ]);
    expect(Object.is(quantize([-0.4e-6], 6)[0], 0)).to.equal(true);
    expect(quantize([0.5, -0.5, 1.5, -1.5], 0)).to.deep.equal([1, -1, 2, -2]);
  });

  it("rounds the float64 product, so a tie it cannot represent rounds as the product does", function () {
    // 0.0001245 · 10^6 is 124.49999999999999 in float64.
    expect(0.0001245 * 10 ** 6).to.be.lessThan(124.5);
    expect(quantize([0.0001245], 6)).to.deep.equal([124]);
  });

  it("accepts the int32 extremes and refuses one step beyond, naming index and value", function () {
    expect(quantize([2147.483647, -2147.483648], 6)).to.deep.equal([2147483647, -2147483648]);
    expect(() => quantize([0, 2147.4836475], 6)).to.throw(
      FixedPointError,
      /value 2147.4836475 at index 1 does not fit an int32 at 6 decimals/,
    );
    expect(() => quantize([-2147.4836485], 6)).to.throw(FixedPointError, /index 0/);
  });

  it("refuses NaN and ±Infinity, naming the index", function () {
    expect(() => quantize([1, NaN], 6)).to.throw(FixedPointError, /index 1 is NaN/);
    expect(() => quantize([Infinity], 6)).to.throw(FixedPointError, /index 0 is Infinity/);
    expect(() => quantize([0, 0, -Infinity], 6)).to.throw(FixedPointError, /index 2 is -Infinity/);
  });

  it("refuses decimals the registry would refuse", function () {
    expect(() => quantize([1], 19)).to.throw(
      FixedPointError,
      /decimals must be an integer in 0..18/,
    );
    expect(() => dequantize([1], -1)).to.throw(FixedPointError, /got -1/);
    expect(() => quantize([1], 1.5)).to.throw(FixedPointError, /got 1.5/);
  });

  it("dequantizes by dividing, and round-trips every int32 it is given", function () {
    expect(dequantize([500000, -1, 0], 6)).to.deep.equal([0.5, -0.000001, 0]);
    const ints = [2147483647, -2147483648, 1, -1, 123456789, 7];
    for (const decimals of [0, 6, 9, 18]) {
      expect(quantize(dequantize(ints, decimals), decimals)).to.deep.equal(ints);
    }
  });

  it("dequantizes into a float32 buffer and refuses one that is too short", function () {
    const target = new Float32Array(3);
    expect(dequantizeInto([1_500_000, -250_000], 6, target)).to.equal(target);
    expect(Array.from(target)).to.deep.equal([1.5, -0.25, 0]);
    expect(() => dequantizeInto([1, 2, 3, 4], 6, target)).to.throw(FixedPointError, /holds 3/);
  });
});
