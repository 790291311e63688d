/** Seeded samples for the statistics tests, so a failing case can be run again. */
import { seededRandom } from '../../functions/commons/seededRandom.js';

/** mulberry32: a small, well-mixed 32-bit generator of uniforms in [0, 1) (the bench's own). */
export const uniform = seededRandom;

/** `count` draws from N(mean, sd²) (Box–Muller). */
export function normalSample(count: number, mean: number, sd: number, seed: number): number[] {
  const next = uniform(seed);
  return Array.from({ length: count }, () => mean + sd * Math.sqrt(-2 * Math.log(1 - next())) * Math.cos(2 * Math.PI * next()));
}
