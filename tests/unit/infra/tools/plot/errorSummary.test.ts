/** infra/tools/plot/errorSummary.ts: the subtitle's figures without a sorted copy, as summarizeErrors gives them. */
import { describe, expect, it } from 'vitest';
import { summarizeErrors } from '../../../../../functions/commons/chart/absoluteErrors.js';
import { seededRandom } from '../../../../../functions/commons/seededRandom.js';
import { selectInPlace, summarizeInPlace } from '../../../../../infra/tools/plot/errorSummary.js';

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
