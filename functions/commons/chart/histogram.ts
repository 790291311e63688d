/**
 * Equal-width binning exactly as numpy.histogram (and so matplotlib's
 * `plt.hist(x, bins=20)`) does it: edges from linspace(min, max, bins + 1), the last
 * bin closed on the right, an empty range widened to [v - 0.5, v + 0.5].
 */
export interface Histogram {
  /** bins + 1 edges, ascending. */
  readonly edges: readonly number[];
  readonly counts: readonly number[];
}

export function linspace(start: number, stop: number, count: number): number[] {
  const divisions = count - 1;
  const step = (stop - start) / divisions;
  const values = Array.from({ length: count }, (_, i) => start + i * step);
  if (count > 1) values[divisions] = stop;
  return values;
}

/** Bins `values` into `bins` equal-width bins over [min, max]. */
export function histogram(values: ArrayLike<number>, bins = 20): Histogram {
  if (!Number.isInteger(bins) || bins < 1) throw new RangeError(`bins must be a positive integer, got ${bins}`);
  if (values.length === 0) return { edges: linspace(0, 1, bins + 1), counts: new Array<number>(bins).fill(0) };
  let min = Number.POSITIVE_INFINITY;
  let max = Number.NEGATIVE_INFINITY;
  for (let i = 0; i < values.length; i++) {
    const v = values[i] as number;
    if (!Number.isFinite(v)) throw new RangeError(`histogram values must be finite, got ${v}`);
    if (v < min) min = v;
    if (v > max) max = v;
  }
  if (min === max) {
    min -= 0.5;
    max += 0.5;
  }
  const edges = linspace(min, max, bins + 1);
  const counts = new Array<number>(bins).fill(0);
  const norm = bins / (max - min);
  for (let i = 0; i < values.length; i++) {
    const v = values[i] as number;
    // numpy's fast path, then its correction for values that rounding put one bin off.
    let index = Math.trunc((v - min) * norm);
    if (index === bins) index--;
    if (v < (edges[index] as number)) index--;
    else if (index !== bins - 1 && v >= (edges[index + 1] as number)) index++;
    counts[index] = (counts[index] as number) + 1;
  }
  return { edges, counts };
}
