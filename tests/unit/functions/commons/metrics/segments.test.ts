/** SEGMENT_BY: its rules, which segment a prediction falls in, and the books' figures per segment. */
import { describe, expect, it } from 'vitest';
import { buildModelReference } from '../../../../../functions/commons/drift/modelReference.js';
import { formatMetricRow, metricRow } from '../../../../../functions/commons/logs/rowFormat.js';
import { MetricsBook, MIN_SEGMENT_ROWS } from '../../../../../functions/commons/metrics/metricsBook.js';
import {
  MAX_SEGMENT_VALUES,
  OTHER_SEGMENT,
  parseSegmentBy,
  segmentOf,
  segmentsOf,
} from '../../../../../functions/commons/metrics/segments.js';

/** A reference whose `age` is 1 … 100 (quartile edges at 25.75, 50.5, 75.25, as numpy.quantile's). */
const reference = buildModelReference(
  'v1',
  Array.from({ length: 100 }, (_, i) => ({ features: { age: i + 1, sex: i % 2 === 0 ? 'F' : 'M' }, yPred: i, yTrue: i + 1 })),
  0,
).reference;

describe('SEGMENT_BY', () => {
  it('reads categories and quantile cuts, and refuses what it cannot cut', () => {
    expect(parseSegmentBy('sex, age:4')).toEqual([
      { name: 'sex', feature: 'sex' },
      { name: 'age:4', feature: 'age', cuts: 4 },
    ]);
    expect(parseSegmentBy('')).toEqual([]);
    expect(parseSegmentBy('age:3')).toMatch(/k must be one of 2, 4, 5, 10/);
    expect(parseSegmentBy('sex,sex')).toMatch(/named twice/);
    expect(parseSegmentBy('a b')).toMatch(/not a feature name/);
  });

  it("cuts a number at its reference's quantiles, and takes a category's value as it is", () => {
    const [sex, age] = parseSegmentBy('sex,age:4') as [never, never];
    expect([1, 25.7, 25.75, 50.5, 75.24, 75.25, 1000].map((value) => segmentOf(age, { age: value }, reference))).toEqual([
      'Q1',
      'Q1',
      'Q2',
      'Q3',
      'Q3',
      'Q4',
      'Q4',
    ]);
    expect(segmentOf(sex, { sex: 'F' }, reference)).toBe('F');
    expect(segmentOf(sex, { sex: 0.05 }, undefined)).toBe('0.05');
    // No reference to cut by, a category where a number is cut, or no such feature: no segment.
    expect(segmentOf(age, { age: 30 }, undefined)).toBeUndefined();
    expect(segmentOf(age, { age: 'old' }, reference)).toBeUndefined();
    expect(segmentsOf(parseSegmentBy('sex,age:4') as never, { bmi: 1 }, reference)).toEqual([]);
  });
});

describe('the books per segment', () => {
  const line = (i: number, error: number) => formatMetricRow(metricRow(`r-${i}`, 100, 100 + error));

  it('gives every figure per segment, the waiting predictions counted as unlabelled, and names the worst by MAE', () => {
    const book = new MetricsBook();
    for (let i = 0; i < 40; i++) {
      book.addRow(line(i, 1), undefined, 0, { estimate: 2, segments: [['sex', 'F']] });
      book.addRow(line(100 + i, 5), undefined, 0, { estimate: 4, segments: [['sex', 'M']] });
    }
    book.addRow(line(999, 50), undefined, 0, { segments: [['age:4', 'Q4']] });

    const document = book.document(0, {
      pending: 1,
      pendingPredictions: 1,
      deadLetters: 0,
      waiting: [{ model: undefined, predictedAt: undefined, estimate: 8, segments: [['sex', 'F']] }],
    });

    expect(document.segments.sex?.F).toMatchObject({ n: 40, mae: 1, estimated_n: 41, unlabelled: 1 });
    expect(document.segments.sex?.F?.estimated_mae).toBeCloseTo((40 * 2 + 8) / 41, 12);
    expect(document.segments.sex?.M).toMatchObject({ n: 40, mae: 5, estimated_mae: 4, unlabelled: 0 });
    // One row of MAE 50 is too few to be named.
    expect(MIN_SEGMENT_ROWS).toBeGreaterThan(1);
    expect(document.worst_segment).toEqual({ by: 'sex', segment: 'M', mae: 5, n: 40 });
  });

  it(`keeps at most ${MAX_SEGMENT_VALUES} segments a rule, the rest together, and keeps them across a store`, () => {
    const book = new MetricsBook();
    for (let i = 0; i < MAX_SEGMENT_VALUES + 5; i++) book.addRow(line(i, 1), undefined, 0, { segments: [['id', `v${i}`]] });

    const stored = new MetricsBook(JSON.parse(JSON.stringify(book.toStored(0)))).document(0, {
      pending: 0,
      pendingPredictions: 0,
      deadLetters: 0,
    });

    expect(Object.keys(stored.segments.id ?? {})).toHaveLength(MAX_SEGMENT_VALUES + 1);
    expect(stored.segments.id?.[OTHER_SEGMENT]?.n).toBe(5);
  });
});
