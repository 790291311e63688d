/**
 * The absolute errors of every row, as a mergeable state of bounded size, pure: counts
 * in fine log-spaced buckets (each RELATIVE_WIDTH wide relative to its values), with
 * the exact count, smallest and largest. `maintain` adds each compaction's rows and
 * keeps it in state/error-histogram.json, so the chart never reads the log.
 *
 * `bins(20)` gives numpy's (plt.hist's) 20 equal-width bins over [min, max] from it:
 * each bucket's count goes to the bin its middle value falls in, so a count may differ
 * from numpy's only by the values that lie within RELATIVE_WIDTH of a bin edge (tested
 * against numpy). Its size depends on the spread of the errors, never on their number:
 * a few thousand buckets at most for errors from 1e-3 to 1e3.
 */
import { type Histogram, linspace } from './histogram.js';

/** A bucket spans [γ^(k−1), γ^k): values in it are within this of each other, relatively. */
export const RELATIVE_WIDTH = 0.001;
const GAMMA = (1 + RELATIVE_WIDTH) / (1 - RELATIVE_WIDTH);
const LOG_GAMMA = Math.log(GAMMA);
/** Errors this small count as zero (they bin with 0). */
const SMALLEST = 1e-12;

export interface StoredErrorHistogram {
  readonly version: 1;
  readonly n: number;
  readonly min: number;
  readonly max: number;
  readonly zeros: number;
  /** Bucket keys, ascending, and their counts. */
  readonly keys: readonly number[];
  readonly counts: readonly number[];
}

export class ErrorHistogram {
  #n = 0;
  #min = Number.POSITIVE_INFINITY;
  #max = Number.NEGATIVE_INFINITY;
  #zeros = 0;
  readonly #buckets = new Map<number, number>();

  constructor(stored?: StoredErrorHistogram) {
    if (stored === undefined) return;
    this.#n = stored.n;
    this.#min = stored.n === 0 ? Number.POSITIVE_INFINITY : stored.min;
    this.#max = stored.n === 0 ? Number.NEGATIVE_INFINITY : stored.max;
    this.#zeros = stored.zeros;
    stored.keys.forEach((key, i) => {
      this.#buckets.set(key, stored.counts[i] ?? 0);
    });
  }

  get count(): number {
    return this.#n;
  }

  add(absError: number): void {
    if (!Number.isFinite(absError) || absError < 0) return;
    this.#n += 1;
    this.#min = Math.min(this.#min, absError);
    this.#max = Math.max(this.#max, absError);
    if (absError < SMALLEST) {
      this.#zeros += 1;
      return;
    }
    const key = Math.ceil(Math.log(absError) / LOG_GAMMA);
    this.#buckets.set(key, (this.#buckets.get(key) ?? 0) + 1);
  }

  /** `bins` equal-width bins over [min, max], as numpy.histogram makes them (histogram.ts). */
  bins(bins = 20): Histogram {
    if (this.#n === 0) return { edges: linspace(0, 1, bins + 1), counts: new Array<number>(bins).fill(0) };
    let [min, max] = [this.#min, this.#max];
    if (min === max) [min, max] = [min - 0.5, max + 0.5];
    const edges = linspace(min, max, bins + 1);
    const counts = new Array<number>(bins).fill(0);
    const place = (value: number, count: number) => {
      const v = Math.min(Math.max(value, this.#min), this.#max);
      let index = Math.min(bins - 1, Math.max(0, Math.trunc(((v - min) * bins) / (max - min))));
      if (v < (edges[index] as number) && index > 0) index--;
      else if (index !== bins - 1 && v >= (edges[index + 1] as number)) index++;
      counts[index] = (counts[index] as number) + count;
    };
    if (this.#zeros > 0) place(0, this.#zeros);
    for (const [key, count] of this.#buckets) place((2 * GAMMA ** key) / (GAMMA + 1), count);
    return { edges, counts };
  }

  toStored(): StoredErrorHistogram {
    const keys = [...this.#buckets.keys()].sort((a, b) => a - b);
    return {
      version: 1,
      n: this.#n,
      min: this.#n === 0 ? 0 : this.#min,
      max: this.#n === 0 ? 0 : this.#max,
      zeros: this.#zeros,
      keys,
      counts: keys.map((key) => this.#buckets.get(key) ?? 0),
    };
  }
}

/** A stored histogram checked before it is trusted; undefined when it is not one. */
export function readStoredHistogram(value: unknown): StoredErrorHistogram | undefined {
  const stored = value as Partial<StoredErrorHistogram> | null;
  return stored?.version === 1 && typeof stored.n === 'number' && Array.isArray(stored.keys) && Array.isArray(stored.counts)
    ? (stored as StoredErrorHistogram)
    : undefined;
}
