/**
 * One numeric feature's values as a mergeable state of fixed size, pure: counts and
 * sums in the bins cut by the reference's percentiles, with n, Σx, Σx², min and max.
 * Two summaries on the same edges merge into the summary of both samples (counts and
 * sums add), so per-minute summaries add up to any window at a cost that does not grow
 * with the traffic: 100 counts and 100 sums per feature, whatever the number of rows.
 *
 * The edges are the reference's 99 inner percentiles (numpy.quantile, 'linear'); the
 * two outer bins are open, so a current value beyond the reference's range still
 * counts. Its deciles are every tenth percentile (the same doubles numpy gives for
 * q = 0.1 … 0.9), so PSI's ten bins are sums of ten fine bins each.
 *
 * Per-bin sums go beyond bare counts on purpose: with them ∫ F over every bin, and over
 * the unbounded outer bins, is exact (drift statistics use it for Wasserstein), where
 * counts alone would have to guess how values spread inside a bin and in the tails.
 *
 * Summaries carry no edges: they are comparable only under one reference, which the
 * caller keys them by (a model version's reference).
 */

/** Fine bins: the reference's percentiles cut 100 of them. */
export const FINE_BINS = 100;
/** PSI's bins: the reference's deciles. */
export const DECILE_BINS = 10;

export interface FeatureSummary {
  n: number;
  sum: number;
  sumSquares: number;
  /** Smallest and largest value (0 while n is 0: JSON has no infinities). */
  min: number;
  max: number;
  /** Per bin, how many values and their sum; bin i holds [edges[i−1], edges[i]), the outer two open. */
  counts: number[];
  sums: number[];
}

/** What a feature is compared against: the reference's percentile edges and its own summary on them. */
export interface FeatureReference {
  /** FINE_BINS − 1 ascending edges (ties where the reference repeats a value). */
  readonly edges: readonly number[];
  readonly summary: FeatureSummary;
}

export function emptySummary(): FeatureSummary {
  return {
    n: 0,
    sum: 0,
    sumSquares: 0,
    min: 0,
    max: 0,
    counts: new Array<number>(FINE_BINS).fill(0),
    sums: new Array<number>(FINE_BINS).fill(0),
  };
}

/** The bin `value` falls in: how many edges are ≤ value (numpy.searchsorted(edges, value, 'right')). */
export function binIndex(edges: readonly number[], value: number): number {
  let low = 0;
  let high = edges.length;
  while (low < high) {
    const middle = (low + high) >>> 1;
    if ((edges[middle] as number) <= value) low = middle + 1;
    else high = middle;
  }
  return low;
}

/** Adds one value; a missing (non-finite) value is left out, as Evidently drops NaN. */
export function addValue(summary: FeatureSummary, edges: readonly number[], value: number): void {
  if (!Number.isFinite(value)) return;
  const bin = binIndex(edges, value);
  summary.min = summary.n === 0 ? value : Math.min(summary.min, value);
  summary.max = summary.n === 0 ? value : Math.max(summary.max, value);
  summary.n += 1;
  summary.sum += value;
  summary.sumSquares += value * value;
  summary.counts[bin] = (summary.counts[bin] as number) + 1;
  summary.sums[bin] = (summary.sums[bin] as number) + value;
}

export function summarize(edges: readonly number[], values: Iterable<number>): FeatureSummary {
  const summary = emptySummary();
  for (const value of values) addValue(summary, edges, value);
  return summary;
}

/** Adds `from` into `into` (both on the same reference's edges). */
export function mergeSummary(into: FeatureSummary, from: FeatureSummary): void {
  if (from.counts.length !== into.counts.length) throw new RangeError('summaries on different bins do not merge');
  if (from.n === 0) return;
  into.min = into.n === 0 ? from.min : Math.min(into.min, from.min);
  into.max = into.n === 0 ? from.max : Math.max(into.max, from.max);
  into.n += from.n;
  into.sum += from.sum;
  into.sumSquares += from.sumSquares;
  from.counts.forEach((count, i) => {
    into.counts[i] = (into.counts[i] as number) + count;
    into.sums[i] = (into.sums[i] as number) + (from.sums[i] as number);
  });
}

/** Counts in the reference's ten decile bins: bin d is fine bins 10d … 10d + 9. */
export function decileCounts(summary: FeatureSummary): number[] {
  const width = summary.counts.length / DECILE_BINS;
  return Array.from({ length: DECILE_BINS }, (_, d) => summary.counts.slice(d * width, (d + 1) * width).reduce((a, b) => a + b, 0));
}

/** The decile edges among the fine ones (every tenth percentile). */
export function decileEdges(edges: readonly number[]): number[] {
  const width = (edges.length + 1) / DECILE_BINS;
  return Array.from({ length: DECILE_BINS - 1 }, (_, d) => edges[(d + 1) * width - 1] as number);
}

/** The population standard deviation (ddof 0, as numpy.std) from the sums; 0 below two values. */
export function summaryStd(summary: FeatureSummary): number {
  if (summary.n < 2) return 0;
  const mean = summary.sum / summary.n;
  return Math.sqrt(Math.max(0, summary.sumSquares / summary.n - mean * mean));
}

/** A reference from its sample: percentile edges, and the sample summarised on them. Missing values are left out. */
export function buildReference(values: readonly number[]): FeatureReference {
  const sorted = Float64Array.from(values.filter(Number.isFinite)).sort();
  if (sorted.length === 0) throw new RangeError('a reference needs at least one value');
  const edges = Array.from({ length: FINE_BINS - 1 }, (_, i) => quantile(sorted, (i + 1) / FINE_BINS));
  return { edges, summary: summarize(edges, sorted) };
}

/**
 * numpy.quantile(sorted, q) with its default 'linear' method, to the bit: the index
 * q·(n − 1), and numpy's lerp, which works from the upper neighbour past the midpoint.
 */
export function quantile(sorted: Float64Array, q: number): number {
  const index = q * (sorted.length - 1);
  const below = Math.floor(index);
  const t = index - below;
  const a = sorted[below] as number;
  const b = sorted[Math.min(below + 1, sorted.length - 1)] as number;
  const diff = b - a;
  return t >= 0.5 ? b - diff * (1 - t) : a + diff * t;
}

/** A stored summary checked before it is trusted; undefined when it is not one. */
export function readStoredSummary(value: unknown): FeatureSummary | undefined {
  const stored = value as Partial<FeatureSummary> | null;
  const numbers = (list: unknown): boolean => Array.isArray(list) && list.length === FINE_BINS && list.every((x) => typeof x === 'number');
  return typeof stored?.n === 'number' &&
    typeof stored.sum === 'number' &&
    typeof stored.sumSquares === 'number' &&
    typeof stored.min === 'number' &&
    typeof stored.max === 'number' &&
    numbers(stored.counts) &&
    numbers(stored.sums)
    ? (stored as FeatureSummary)
    : undefined;
}
