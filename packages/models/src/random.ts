/**
 * Seeded randomness for model weights and test inputs that every machine reproduces bit for bit:
 * integer operations and one exact division only (no Math.random, no transcendental functions,
 * whose last bit may differ between engines).
 */

/** mulberry32: a small, fast 32-bit PRNG (public domain), uniform in [0, 1). */
export function mulberry32(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** `count` values uniform in [-limit, limit), rounded to float32. */
export function uniform(random: () => number, count: number, limit: number): Float32Array {
  return Float32Array.from({ length: count }, () => (random() * 2 - 1) * limit);
}
