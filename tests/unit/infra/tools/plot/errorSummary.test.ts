/** infra/tools/plot/errorSummary.ts: the histogram and the subtitle's figures without a sorted copy, as histogram() and summarizeErrors give them. */
import { describe, expect, it } from 'vitest';
import { summarizeErrors } from '../../../../../functions/commons/chart/absoluteErrors.js';
import { histogram } from '../../../../../functions/commons/chart/histogram.js';
import { seededRandom } from '../../../../../functions/commons/seededRandom.js';
import { selectInPlace, summarizeColumn, summarizeInPlace } from '../../../../../infra/tools/plot/errorSummary.js';

describe('summarizeInPlace', () => {
  it.each([1, 2, 10, 601, 100_000])('gives summarizeErrors figures for %i values', (count) => {
    const random = seededRandom(count);
    const values = Float64Array.from({ length: count }, () => Math.floor(random() * 50) + random());

    const summary = summarizeInPlace(Float64Array.from(values));

    const expected = summarizeErrors(values);
    expect(summary.rows).toBe(expected.rows);
    expect(summary.p90AbsoluteError).toBe(expected.p90AbsoluteError);
    expect(summary.meanAbsoluteError).toBeCloseTo(expected.meanAbsoluteError, 9);
    expect(summary.rootMeanSquaredError).toBeCloseTo(expected.rootMeanSquaredError, 9);
  });
});

describe('selectInPlace', () => {
  it('puts the k-th smallest at k, smaller before, larger after, with many ties', () => {
    const random = seededRandom(3);
    const values = Float64Array.from({ length: 5_000 }, () => Math.floor(random() * 20));
    const sorted = Float64Array.from(values).sort();

    selectInPlace(values, 1_234);

    expect(values[1_234]).toBe(sorted[1_234]);
    expect(values.subarray(0, 1_234).every((v) => v <= (values[1_234] as number))).toBe(true);
    expect(values.subarray(1_235).every((v) => v >= (values[1_234] as number))).toBe(true);
  });
});

describe('summarizeColumn', () => {
  const cases: [string, (random: () => number, i: number) => number][] = [
    ['spread', (random) => random() * 120],
    ['many ties', (random) => Math.floor(random() * 20)],
    ['all in one bucket', (random) => 64 + random() / 1000],
    ['zeros and tiny values', (random, i) => (i % 3 === 0 ? 0 : random() * 1e-300)],
    ['some below 0 (selected in place)', (random) => random() * 10 - 1],
    ['a -0 (selected in place)', (random, i) => (i === 7 ? -0 : random())],
  ];
  it.each(cases)('gives histogram() and summarizeErrors figures: %s', (_, value) => {
    for (const count of [1, 2, 601, 50_000]) {
      const random = seededRandom(count);
      const values = Float64Array.from({ length: count }, (__, i) => value(random, i));

      const { histogram: binned, summary } = summarizeColumn(Float64Array.from(values), 20);

      expect(binned).toEqual(histogram(values, 20));
      const expected = summarizeErrors(values);
      expect(summary.rows).toBe(expected.rows);
      expect(summary.p90AbsoluteError).toBe(expected.p90AbsoluteError);
      expect(summary.meanAbsoluteError).toBeCloseTo(expected.meanAbsoluteError, 9);
      expect(summary.rootMeanSquaredError).toBeCloseTo(expected.rootMeanSquaredError, 9);
    }
  });

  it('leaves the values as they were when all are at least 0', () => {
    const values = Float64Array.from([5, 1, 4, 2, 3, 9, 0]);
    summarizeColumn(values, 20);
    expect([...values]).toEqual([5, 1, 4, 2, 3, 9, 0]);
  });

  it('says which value is not finite, as histogram() does', () => {
    expect(() => summarizeColumn(Float64Array.from([1, Number.POSITIVE_INFINITY]), 20)).toThrow(/finite, got Infinity/);
  });
});
