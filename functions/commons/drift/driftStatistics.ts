/**
 * How far a current sample of one numeric feature lies from its reference, pure: the
 * two-sample KS statistic and p-value, Wasserstein-1 distance normalised by the
 * reference's standard deviation, and PSI on the reference's deciles.
 *
 * Two paths. On raw samples (a reference being built, a test) the figures equal
 * scipy's ks_2samp and wasserstein_distance and Evidently's formulas. On summaries
 * (featureSummary.ts: what the monitor keeps per minute) they are computed from the
 * bins alone: PSI is the same number as on the samples; KS's statistic is the largest
 * gap between the two CDFs at the 99 percentile edges, so a lower bound that misses
 * only a gap inside a bin; Wasserstein sums |∫(F − G)| bin by bin, exact wherever
 * F − G keeps its sign within a bin (all but the bins where the CDFs cross).
 *
 * Evidently's choices followed (src/evidently/calculations/stattests/):
 * - normalised Wasserstein divides by max(numpy.std(reference), 0.001): ddof 0
 *   (wasserstein_distance_norm.py; numpy.std's default, also on a pandas Series
 *   given to numpy.std);
 * - PSI is Σ (r − c)·ln(r / c) over bin shares, an empty bin's share replaced by
 *   0.0001, or by the smallest non-empty share / 10⁶ when that is itself ≤ 0.0001
 *   (psi.py, utils.py get_binned_data). Evidently bins numbers by Sturges' rule over
 *   both samples; here the bins are the reference's deciles, as the issue asks, which
 *   a summary can hold before the current sample exists.
 */
import { binIndex, decileCounts, decileEdges, type FeatureReference, type FeatureSummary, summaryStd } from './featureSummary.js';
import { type KsTest, ksTwoSamplePValue } from './ksDistribution.js';

/** Evidently's floor under the reference's standard deviation (a constant feature). */
export const MIN_NORM = 0.001;

/** The figures drift.json shows for a feature. */
export interface DriftFigures {
  readonly psi: number;
  /** Wasserstein-1 distance / max(std of the reference, MIN_NORM). */
  readonly wasserstein: number;
  readonly ks_statistic: number;
  readonly ks_p_value: number;
}

// ---- On raw samples ------------------------------------------------------------

/** scipy.stats.ks_2samp(reference, current) (two-sided, method 'auto'). */
export function ksTest(reference: readonly number[], current: readonly number[]): KsTest {
  const a = sortedFinite(reference);
  const b = sortedFinite(current);
  // The ECDFs' difference at every value of either sample (scipy's searchsorted 'right').
  let [i, j, largest, smallest] = [0, 0, 0, 0];
  while (i < a.length || j < b.length) {
    const value = Math.min(a[i] ?? Number.POSITIVE_INFINITY, b[j] ?? Number.POSITIVE_INFINITY);
    while (i < a.length && (a[i] as number) <= value) i++;
    while (j < b.length && (b[j] as number) <= value) j++;
    const diff = i / a.length - j / b.length;
    if (diff > largest) largest = diff;
    if (diff < smallest) smallest = diff;
  }
  return ksTwoSamplePValue(Math.max(largest, -smallest), a.length, b.length);
}

/** scipy.stats.wasserstein_distance(u, v): ∫ |F_u − F_v| over the sorted union of both samples. */
export function wassersteinDistance(u: readonly number[], v: readonly number[]): number {
  const a = sortedFinite(u);
  const b = sortedFinite(v);
  let [i, j, distance] = [0, 0, 0];
  let previous = Math.min(a[0] ?? Number.NaN, b[0] ?? Number.NaN);
  while (i < a.length || j < b.length) {
    const value = Math.min(a[i] ?? Number.POSITIVE_INFINITY, b[j] ?? Number.POSITIVE_INFINITY);
    distance += Math.abs(i / a.length - j / b.length) * (value - previous);
    while (i < a.length && (a[i] as number) <= value) i++;
    while (j < b.length && (b[j] as number) <= value) j++;
    previous = value;
  }
  return distance;
}

/** numpy.std(values): ddof 0, two passes. */
export function populationStd(values: readonly number[]): number {
  const finite = values.filter(Number.isFinite);
  const mean = finite.reduce((s, x) => s + x, 0) / finite.length;
  return Math.sqrt(finite.reduce((s, x) => s + (x - mean) ** 2, 0) / finite.length);
}

/** Wasserstein-1 between the samples over max(numpy.std(reference), MIN_NORM), as Evidently's "wasserstein" test. */
export function normalisedWasserstein(reference: readonly number[], current: readonly number[]): number {
  return wassersteinDistance(reference, current) / Math.max(populationStd(reference), MIN_NORM);
}

/** PSI of the samples on the reference's decile bins (open at both ends). */
export function psiOfSamples(edges: readonly number[], reference: readonly number[], current: readonly number[]): number {
  const deciles = decileEdges(edges);
  const count = (values: readonly number[]) => {
    const counts = new Array<number>(deciles.length + 1).fill(0);
    for (const value of values) {
      if (!Number.isFinite(value)) continue;
      const bin = binIndex(deciles, value);
      counts[bin] = (counts[bin] as number) + 1;
    }
    return counts;
  };
  return psi(count(reference), count(current));
}

/** All four figures from the samples themselves. */
export function driftOfSamples(edges: readonly number[], reference: readonly number[], current: readonly number[]): DriftFigures {
  const ks = ksTest(reference, current);
  return {
    psi: psiOfSamples(edges, reference, current),
    wasserstein: normalisedWasserstein(reference, current),
    ks_statistic: ks.statistic,
    ks_p_value: ks.pValue,
  };
}

// ---- On summaries --------------------------------------------------------------

/** KS from cumulative bin counts: the largest CDF gap at the edges, and scipy's p-value for it at the two sizes. */
export function ksOfSummaries(reference: FeatureSummary, current: FeatureSummary): KsTest {
  let [below, currentBelow, statistic] = [0, 0, 0];
  for (let bin = 0; bin < reference.counts.length - 1; bin++) {
    below += reference.counts[bin] as number;
    currentBelow += current.counts[bin] as number;
    statistic = Math.max(statistic, Math.abs(below / reference.n - currentBelow / current.n));
  }
  return ksTwoSamplePValue(statistic, reference.n, current.n);
}

/**
 * Wasserstein-1 from the bins: over a bin [a, b) a sample's ∫F is F(a)·(b − a) plus
 * Σ(b − x)/n over its values there, exact from the bin's count and sum; the outer bins
 * likewise from the edge outwards (∫F below the first edge, ∫(1 − F) above the last).
 */
export function wassersteinOfSummaries(edges: readonly number[], reference: FeatureSummary, current: FeatureSummary): number {
  const last = edges.length;
  const integrals = (summary: FeatureSummary): number[] => {
    let below = 0;
    return summary.counts.map((count, bin) => {
      const sum = summary.sums[bin] as number;
      let integral: number;
      if (bin === 0) integral = (count * (edges[0] as number) - sum) / summary.n;
      else if (bin === last) integral = -(sum - count * (edges[last - 1] as number)) / summary.n;
      else {
        const [a, b] = [edges[bin - 1] as number, edges[bin] as number];
        integral = (below * (b - a) + count * b - sum) / summary.n;
      }
      below += count;
      return integral;
    });
  };
  // The last bin holds −∫(1 − F): its difference is ∫(F − G) there too.
  const ofReference = integrals(reference);
  const ofCurrent = integrals(current);
  return ofReference.reduce((distance, integral, bin) => distance + Math.abs(integral - (ofCurrent[bin] as number)), 0);
}

/** All four figures from the reference and a current summary (null when the current window holds no value). */
export function driftOfSummaries(reference: FeatureReference, current: FeatureSummary): DriftFigures | null {
  if (current.n === 0 || reference.summary.n === 0) return null;
  const ks = ksOfSummaries(reference.summary, current);
  return {
    psi: psi(decileCounts(reference.summary), decileCounts(current)),
    wasserstein: wassersteinOfSummaries(reference.edges, reference.summary, current) / Math.max(summaryStd(reference.summary), MIN_NORM),
    ks_statistic: ks.statistic,
    ks_p_value: ks.pValue,
  };
}

// ---- PSI -----------------------------------------------------------------------

/** PSI of two count vectors over the same bins, with Evidently's replacement of empty shares. */
export function psi(referenceCounts: readonly number[], currentCounts: readonly number[]): number {
  const r = fillEmpty(shares(referenceCounts));
  const c = fillEmpty(shares(currentCounts));
  return r.reduce((total, share, i) => total + (share - (c[i] as number)) * Math.log(share / (c[i] as number)), 0);
}

/** Each count's share of their sum. */
export function shares(counts: readonly number[]): number[] {
  const n = counts.reduce((a, b) => a + b, 0);
  return counts.map((count) => count / n);
}

/** Evidently's get_binned_data(feel_zeroes=True): 0.0001, or the smallest share / 10⁶ if that is ≤ 0.0001. */
export function fillEmpty(values: readonly number[]): number[] {
  const smallest = Math.min(...values.filter((share) => share !== 0));
  const filler = smallest <= 0.0001 ? smallest / 10 ** 6 : 0.0001;
  return values.map((share) => (share === 0 ? filler : share));
}

function sortedFinite(values: readonly number[]): Float64Array {
  const sorted = Float64Array.from(values.filter(Number.isFinite)).sort();
  if (sorted.length === 0) throw new RangeError('a drift statistic needs a non-empty sample');
  return sorted;
}
