import { describe, expect, it } from 'vitest';
import {
  addPrediction,
  addRow,
  emptyAggregate,
  fromStored,
  merge,
  RELATIVE_ACCURACY,
  summarize,
  toStored,
} from '../../../../../functions/commons/metrics/aggregate.js';

/** A seeded generator, so a failing case can be run again. */
function random(seed: number): () => number {
  let state = seed;
  return () => {
    state = (state * 1_103_515_245 + 12_345) % 2 ** 31;
    return state / 2 ** 31;
  };
}

interface Row {
  readonly yTrue: number;
  readonly yPred: number;
}

function rows(count: number, seed: number): Row[] {
  const next = random(seed);
  return Array.from({ length: count }, (_, i) => ({ yTrue: i % 17 === 0 ? 0 : Math.round(next() * 300), yPred: next() * 300 }));
}

/** The figures computed directly from the rows, as from metric_log.csv. */
function direct(data: readonly Row[]) {
  const errors = data.map((row) => row.yPred - row.yTrue);
  const abs = errors.map(Math.abs).sort((a, b) => a - b);
  const n = data.length;
  const meanY = data.reduce((sum, row) => sum + row.yTrue, 0) / n;
  const totalSquares = data.reduce((sum, row) => sum + (row.yTrue - meanY) ** 2, 0);
  const withY = data.filter((row) => row.yTrue !== 0);
  return {
    mae: abs.reduce((a, b) => a + b, 0) / n,
    rmse: Math.sqrt(errors.reduce((sum, e) => sum + e * e, 0) / n),
    bias: errors.reduce((a, b) => a + b, 0) / n,
    mape: withY.reduce((sum, row) => sum + Math.abs(row.yPred - row.yTrue) / Math.abs(row.yTrue), 0) / withY.length,
    mapeSkipped: n - withY.length,
    r2: 1 - errors.reduce((sum, e) => sum + e * e, 0) / totalSquares,
    // The rank DDSketch uses: ⌊q (n − 1)⌋ (numpy's 'lower').
    quantile: (q: number) => abs[Math.floor(q * (n - 1))] as number,
    max: abs[n - 1] as number,
  };
}

function aggregateOf(data: readonly Row[]) {
  const aggregate = emptyAggregate();
  for (const row of data) addRow(aggregate, row.yTrue, row.yPred, Math.abs(row.yTrue - row.yPred));
  return aggregate;
}

describe('a mergeable aggregate', () => {
  it.each([1, 2, 3])('equals the direct computation on random rows (seed %i), merged from per-minute parts', (seed) => {
    const data = rows(2_000, seed);
    const parts = [data.slice(0, 7), data.slice(7, 7), data.slice(7, 1_500), data.slice(1_500)].map(aggregateOf);

    const merged = emptyAggregate();
    for (const part of parts) merge(merged, fromStored(JSON.parse(JSON.stringify(toStored(part)))));
    const summary = summarize(merged);

    const expected = direct(data);
    expect(summary.n).toBe(2_000);
    expect(summary.mae).toBeCloseTo(expected.mae, 9);
    expect(Math.abs((summary.rmse as number) / expected.rmse - 1)).toBeLessThan(1e-9);
    expect(Math.abs((summary.mae as number) / expected.mae - 1)).toBeLessThan(1e-9);
    expect(summary.bias).toBeCloseTo(expected.bias, 9);
    expect(summary.mape).toBeCloseTo(expected.mape, 9);
    expect(summary.mape_skipped).toBe(expected.mapeSkipped);
    expect(summary.r2).toBeCloseTo(expected.r2, 9);
    expect(summary.abs_error_max).toBe(expected.max);
    for (const [q, key] of [
      [0.5, 'abs_error_p50'],
      [0.9, 'abs_error_p90'],
      [0.99, 'abs_error_p99'],
    ] as const) {
      const exact = expected.quantile(q);
      // DDSketch's guarantee: within the relative accuracy of the exact quantile.
      expect(Math.abs((summary[key] as number) - exact)).toBeLessThanOrEqual(RELATIVE_ACCURACY * exact + 1e-12);
    }
  });

  it('estimates the MAE over every prediction, labelled or not, and counts the unlabelled', () => {
    const aggregate = emptyAggregate();
    addRow(aggregate, 10, 12, 2);
    addPrediction(aggregate, { estimate: 3, labelled: true });
    addPrediction(aggregate, { estimate: 5, labelled: false });
    addPrediction(aggregate, { estimate: undefined, labelled: false });

    const own = summarize(aggregate);
    expect([own.n, own.mae, own.estimated_mae, own.estimated_n, own.unlabelled]).toEqual([1, 2, 4, 2, 2]);
    const withWaiting = summarize(aggregate, { estimatedN: 2, sumEstimatedAbsError: 14, unlabelled: 2 });
    expect([withWaiting.n, withWaiting.estimated_mae, withWaiting.estimated_n, withWaiting.unlabelled]).toEqual([1, 22 / 4, 4, 4]);
    const unlabelledOnly = summarize(emptyAggregate(), { estimatedN: 1, sumEstimatedAbsError: 7, unlabelled: 1 });
    expect([unlabelledOnly.n, unlabelledOnly.mae, unlabelledOnly.estimated_mae, unlabelledOnly.unlabelled]).toEqual([0, null, 7, 1]);
  });

  it('has no figures but n when empty', () => {
    const summary = summarize(emptyAggregate());

    const counts = ['n', 'mape_skipped', 'estimated_n', 'unlabelled'];
    const figures = Object.entries(summary).filter(([key]) => !counts.includes(key));
    expect(counts.map((key) => summary[key as keyof typeof summary])).toEqual([0, 0, 0, 0]);
    expect(figures.map(([key, value]) => [key, value])).toEqual(figures.map(([key]) => [key, null]));
    expect(figures).toHaveLength(10);
  });

  it('gives every figure but R² for one row, and skips a y_true of 0 in MAPE', () => {
    const one = summarize(aggregateOf([{ yTrue: 10, yPred: 12 }]));
    const zero = summarize(aggregateOf([{ yTrue: 0, yPred: 3 }]));

    expect(one).toMatchObject({ n: 1, mae: 2, rmse: 2, bias: 2, mape: 0.2, mape_skipped: 0, r2: null, abs_error_max: 2 });
    expect(Math.abs((one.abs_error_p50 as number) - 2)).toBeLessThanOrEqual(2 * RELATIVE_ACCURACY);
    expect(zero).toMatchObject({ n: 1, mae: 3, mape: null, mape_skipped: 1 });
  });
});
