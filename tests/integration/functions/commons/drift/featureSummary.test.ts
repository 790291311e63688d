/**
 * functions/commons/drift/featureSummary.ts: the reference's edges as numpy.quantile
 * gives them, summaries that merge into the summary of the concatenated sample, open
 * outer bins, deciles from the fine bins, and a JSON round trip.
 */
import { describe, expect, it } from 'vitest';
import {
  addValue,
  binIndex,
  buildReference,
  DECILE_BINS,
  decileCounts,
  decileEdges,
  emptySummary,
  FINE_BINS,
  mergeSummary,
  readStoredSummary,
  summarize,
  summaryStd,
} from '../../../../../functions/commons/drift/featureSummary.js';
import { refereeTitle, runReferee, SCIPY_MISSING } from '../../../../helpers/pythonReferee.js';
import { normalSample } from '../../../../helpers/samples.js';

describe.skipIf(SCIPY_MISSING !== undefined)(refereeTitle('the reference against numpy'), () => {
  it('cuts its bins at numpy.quantile’s percentiles, to the bit, ties included', () => {
    const samples = [normalSample(5000, 3, 2, 1), normalSample(37, 0, 1, 2), normalSample(1000, 0, 1, 3).map((x) => Math.round(x) + 0)]; // + 0: no −0, which JSON sends as 0;

    const expected = runReferee<number[][]>(
      'print(json.dumps([np.quantile(np.array(s), np.arange(1, 100) / 100).tolist() for s in data]))',
      samples,
    );

    samples.forEach((sample, i) => {
      expect(buildReference(sample).edges).toEqual(expected[i]);
    });
  });

  it('bins as numpy.searchsorted(edges, x, side="right")', () => {
    const reference = buildReference(normalSample(500, 0, 1, 4).map((x) => Math.round(x * 4) / 4));
    const values = normalSample(300, 0, 1.5, 5).map((x) => Math.round(x * 4) / 4);

    const expected = runReferee<number[]>(
      'print(json.dumps(np.searchsorted(np.array(data[0]), np.array(data[1]), side="right").tolist()))',
      [reference.edges, values],
    );

    expect(values.map((x) => binIndex(reference.edges, x))).toEqual(expected);
  });
});

describe('feature summary', () => {
  const reference = buildReference(normalSample(5000, 0, 1, 10));

  it('merges per-minute summaries into the summary of the concatenated sample', () => {
    const minutes = [normalSample(700, 0.3, 1, 11), normalSample(1, 5, 1, 12), [], normalSample(2500, -0.2, 2, 13)];
    const whole = summarize(reference.edges, minutes.flat());

    const merged = emptySummary();
    for (const minute of minutes) mergeSummary(merged, summarize(reference.edges, minute));

    expect(merged.counts).toEqual(whole.counts);
    expect([merged.n, merged.min, merged.max]).toEqual([whole.n, whole.min, whole.max]);
    expect(merged.sum).toBeCloseTo(whole.sum, 9);
    expect(merged.sumSquares).toBeCloseTo(whole.sumSquares, 9);
    merged.sums.forEach((sum, i) => {
      expect(sum).toBeCloseTo(whole.sums[i]!, 9);
    });
  });

  it('keeps a fixed size, whatever the number of values', () => {
    const summary = summarize(reference.edges, normalSample(50_000, 0, 1, 14));

    expect(summary.counts).toHaveLength(FINE_BINS);
    expect(summary.sums).toHaveLength(FINE_BINS);
    expect(JSON.stringify(summary).length).toBeLessThan(6000);
  });

  it('counts values beyond the reference’s range in its open outer bins', () => {
    const summary = summarize(reference.edges, [-100, 100, 100]);

    expect(summary.counts[0]).toBe(1);
    expect(summary.counts[FINE_BINS - 1]).toBe(2);
    expect([summary.min, summary.max]).toEqual([-100, 100]);
  });

  it('gives the counts on the decile edges as sums of ten fine bins', () => {
    const values = normalSample(3000, 0.4, 1.2, 15);
    const deciles = decileEdges(reference.edges);
    const direct = new Array<number>(DECILE_BINS).fill(0);
    for (const x of values) direct[binIndex(deciles, x)]! += 1;

    expect(decileCounts(summarize(reference.edges, values))).toEqual(direct);
    expect(deciles).toEqual([9, 19, 29, 39, 49, 59, 69, 79, 89].map((i) => reference.edges[i]));
  });

  it('leaves missing values out', () => {
    const summary = emptySummary();

    for (const x of [Number.NaN, Number.POSITIVE_INFINITY, 1]) addValue(summary, reference.edges, x);

    expect(summary.n).toBe(1);
  });

  it('gives numpy.std’s population deviation (ddof 0)', () => {
    const summary = summarize(reference.edges, [1, 2, 3, 4]);

    expect(summaryStd(summary)).toBeCloseTo(Math.sqrt(1.25), 12);
  });

  it('survives JSON, and a stored value that is not a summary is refused', () => {
    const summary = summarize(reference.edges, normalSample(100, 0, 1, 16));

    expect(readStoredSummary(JSON.parse(JSON.stringify(summary)))).toEqual(summary);
    expect(readStoredSummary(JSON.parse(JSON.stringify(emptySummary())))).toEqual(emptySummary());
    expect(readStoredSummary({ ...summary, counts: [1, 2] })).toBeUndefined();
    expect(readStoredSummary(null)).toBeUndefined();
  });

  it('refuses to merge summaries on different bins', () => {
    expect(() => mergeSummary(emptySummary(), { ...emptySummary(), counts: [1] })).toThrow(/different bins/);
  });
});
