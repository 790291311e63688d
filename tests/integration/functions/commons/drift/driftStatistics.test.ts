/**
 * functions/commons/drift/driftStatistics.ts against scipy and numpy, on fixtures drawn
 * here and handed to Python: the exact paths (raw samples) within 1e-6 of
 * scipy.stats.ks_2samp and of scipy.stats.wasserstein_distance / numpy.std(reference);
 * PSI against numpy running Evidently's formula on the same decile bins; the summary
 * paths within 2% of scipy on realistic samples.
 */
import { describe, expect, it } from 'vitest';
import {
  driftOfSamples,
  driftOfSummaries,
  ksTest,
  psi,
  psiOfSamples,
  wassersteinDistance,
} from '../../../../../functions/commons/drift/driftStatistics.js';
import { buildReference, summarize } from '../../../../../functions/commons/drift/featureSummary.js';
import { refereeTitle, runReferee, SCIPY_MISSING } from '../../../../helpers/pythonReferee.js';
import { normalSample } from '../../../../helpers/samples.js';

interface Scipy {
  readonly statistic: number;
  readonly pValue: number;
  readonly wasserstein: number;
  readonly psi: number;
}

/** scipy's KS and Wasserstein (normalised as Evidently does), and numpy's PSI on the reference's deciles. */
const SCIPY_FIGURES = `
def psi(ref, cur):
    edges = np.quantile(ref, np.arange(1, 100) / 100)[9::10]
    def shares(x):
        s = np.bincount(np.searchsorted(edges, x, side='right'), minlength=10) / len(x)
        smallest = s[s != 0].min()
        return np.where(s == 0, smallest / 10**6 if smallest <= 0.0001 else 0.0001, s)
    r, c = shares(ref), shares(cur)
    return float(np.sum((r - c) * np.log(r / c)))

out = []
for case in data:
    ref, cur = np.array(case[0]), np.array(case[1])
    ks = scipy.stats.ks_2samp(ref, cur)
    w = scipy.stats.wasserstein_distance(ref, cur) / max(np.std(ref), 0.001)
    out.append({'statistic': float(ks.statistic), 'pValue': float(ks.pvalue), 'wasserstein': float(w), 'psi': psi(ref, cur)})
print(json.dumps(out))
`;

function scipyFigures(cases: ReadonlyArray<readonly [number[], number[]]>): Scipy[] {
  return runReferee<Scipy[]>(SCIPY_FIGURES, cases);
}

const rounded = (values: number[]) => values.map((x) => Math.round(x * 10) / 10);

/** Sizes and shifts that take ks_2samp down each of its paths. */
const EXACT_CASES: ReadonlyArray<{ name: string; reference: number[]; current: number[] }> = [
  { name: '30 vs 45, exact (unequal sizes)', reference: normalSample(30, 0, 1, 11), current: normalSample(45, 0.5, 1, 12) },
  { name: '200 vs 200, exact (equal sizes)', reference: normalSample(200, 0, 1, 13), current: normalSample(200, 0.3, 1, 14) },
  { name: '800 vs 1,000, exact', reference: normalSample(800, 0, 1, 15), current: normalSample(1000, 0.1, 1, 16) },
  { name: '600 vs 700 with ties, exact', reference: rounded(normalSample(600, 0, 1, 17)), current: rounded(normalSample(700, 0.2, 1, 18)) },
  { name: '5,000 vs 5,000, exact', reference: normalSample(5000, 0, 1, 19), current: normalSample(5000, 0.05, 1, 20) },
  { name: '5,000 vs 3,000, exact', reference: normalSample(5000, 0, 1, 21), current: normalSample(3000, 0.08, 1.1, 22) },
  { name: '12,000 vs 4,000, asymptotic', reference: normalSample(12_000, 0, 1, 23), current: normalSample(4000, 0.03, 1, 24) },
  { name: '15,000 vs 15,000, asymptotic', reference: normalSample(15_000, 10, 2, 25), current: normalSample(15_000, 10, 2, 26) },
  { name: '20,000 vs 300, asymptotic', reference: normalSample(20_000, 0, 1, 27), current: normalSample(300, 0.2, 1, 28) },
];

describe.skipIf(SCIPY_MISSING !== undefined)(refereeTitle('drift statistics on raw samples against scipy'), () => {
  const expected = SCIPY_MISSING === undefined ? scipyFigures(EXACT_CASES.map((c) => [c.reference, c.current] as const)) : [];

  it.each(EXACT_CASES.map((c, i) => [c.name, i] as const))('agrees with ks_2samp and wasserstein_distance within 1e-6: %s', (_, i) => {
    const { reference, current } = EXACT_CASES[i]!;
    const scipy = expected[i]!;

    const figures = driftOfSamples(buildReference(reference).edges, reference, current);

    expect(Math.abs(figures.ks_statistic - scipy.statistic)).toBeLessThan(1e-6);
    expect(Math.abs(figures.ks_p_value - scipy.pValue)).toBeLessThan(1e-6);
    expect(Math.abs(figures.wasserstein - scipy.wasserstein)).toBeLessThan(1e-6);
    expect(Math.abs(figures.psi - scipy.psi)).toBeLessThan(1e-9);
  });

  it('fills empty decile bins as Evidently does, as numpy computes it', () => {
    // Every current value above the reference's 95th percentile: nine of its ten bins are empty.
    const reference = normalSample(2000, 0, 1, 31);
    const current = normalSample(500, 0, 0.1, 32).map((x) => 2 + Math.abs(x));
    const [scipy] = scipyFigures([[reference, current]]);

    const actual = psiOfSamples(buildReference(reference).edges, reference, current);

    expect(Math.abs(actual - scipy!.psi)).toBeLessThan(1e-9);
    expect(actual).toBeGreaterThan(5);
  });
});

describe.skipIf(SCIPY_MISSING !== undefined)(refereeTitle('drift statistics from summaries against scipy on the raw samples'), () => {
  const reference = normalSample(5000, 0, 1, 1);
  const built = buildReference(reference);
  const drifted = [
    { name: 'shifted by 0.5 sd', current: normalSample(5000, 0.5, 1, 2) },
    { name: 'shifted by 0.2 sd', current: normalSample(5000, 0.2, 1, 5) },
    { name: 'widened 1.5 times', current: normalSample(5000, 0, 1.5, 3) },
  ];
  const unshifted = normalSample(5000, 0, 1, 4);
  const expected =
    SCIPY_MISSING === undefined ? scipyFigures([...drifted.map((c) => [reference, c.current] as const), [reference, unshifted]]) : [];

  it.each(drifted.map((c, i) => [c.name, i] as const))(
    'gives KS and Wasserstein within 2%%, PSI exactly, for 5,000 vs 5,000 %s',
    (_, i) => {
      const scipy = expected[i]!;
      const exact = driftOfSamples(built.edges, reference, drifted[i]!.current);

      const figures = driftOfSummaries(built, summarize(built.edges, drifted[i]!.current))!;

      expect(Math.abs(figures.ks_statistic / scipy.statistic - 1)).toBeLessThan(0.02);
      expect(Math.abs(figures.wasserstein / scipy.wasserstein - 1)).toBeLessThan(0.02);
      expect(figures.psi).toBe(exact.psi);
      expect(Math.abs(figures.psi - scipy.psi)).toBeLessThan(1e-9);
    },
  );

  it('stays within a bin of the exact figures for an unshifted sample, whose figures are noise', () => {
    // Here D and W are sampling noise (~0.02), so a relative bound means little: KS from
    // the edges may miss at most the largest share one bin holds, and W stays within 0.005.
    const scipy = expected[drifted.length]!;
    const current = summarize(built.edges, unshifted);
    const largestBinShare = Math.max(...current.counts.map((c) => c / current.n), ...built.summary.counts.map((c) => c / built.summary.n));

    const figures = driftOfSummaries(built, current)!;

    expect(figures.ks_statistic).toBeLessThanOrEqual(scipy.statistic + 1e-12);
    expect(scipy.statistic - figures.ks_statistic).toBeLessThanOrEqual(largestBinShare);
    expect(Math.abs(figures.wasserstein - scipy.wasserstein)).toBeLessThan(0.005);
    expect(figures.ks_p_value).toBeGreaterThan(0.05);
  });
});

describe('drift statistics by hand', () => {
  it('measures Wasserstein-1 as the area between the two CDFs', () => {
    // scipy's docstring example: wasserstein_distance([0, 1, 3], [5, 6, 8]) == 5.
    expect(wassersteinDistance([0, 1, 3], [5, 6, 8])).toBe(5);
  });

  it('finds the largest gap between the two ECDFs', () => {
    expect(ksTest([1, 2, 3, 4], [3, 4, 5, 6]).statistic).toBe(0.5);
  });

  it('gives PSI 0 for the same shares and adds (r − c)·ln(r/c) otherwise', () => {
    expect(psi([10, 20, 30], [1, 2, 3])).toBe(0);
    // 0.25·ln 2 + (−0.25)·ln(2/3) = 0.25·ln 3.
    expect(psi([50, 50], [25, 75])).toBeCloseTo(0.25 * Math.log(3), 12);
  });

  it('gives no figures for a window without values', () => {
    const built = buildReference(normalSample(100, 0, 1, 9));

    expect(driftOfSummaries(built, summarize(built.edges, []))).toBeNull();
  });
});
