/**
 * mulberry32: a small, seeded, well-mixed generator of uniforms in [0, 1). The loss
 * model's subsampling, the bench's generated logs and the tests' samples use it, so a
 * run can be made again exactly from its seed.
 */
export function seededRandom(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4_294_967_296;
  };
}
