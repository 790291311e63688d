/** Seeded samples for the statistics tests, so a failing case can be run again. */

/** mulberry32: a small, well-mixed 32-bit generator of uniforms in [0, 1). */
export function uniform(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 2 ** 32;
  };
}

/** `count` draws from N(mean, sd²) (Box–Muller). */
export function normalSample(count: number, mean: number, sd: number, seed: number): number[] {
  const next = uniform(seed);
  return Array.from({ length: count }, () => mean + sd * Math.sqrt(-2 * Math.log(1 - next())) * Math.cos(2 * Math.PI * next()));
}
