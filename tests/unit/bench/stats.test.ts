/** bench/stats.ts: percentiles as numpy computes them, medians, means, rounding. */
import { describe, expect, it } from 'vitest';
import { latencyPercentiles, mean, median, percentile, round } from '../../../bench/stats.js';

describe('percentile', () => {
  it.each([
    [0, 15],
    [40, 29],
    [50, 35],
    [100, 50],
  ])('interpolates the %ith percentile between closest ranks, as numpy does', (p, expected) => {
    expect(percentile([15, 20, 35, 40, 50], p)).toBe(expected);
  });

  it('takes the mean of the middle two for an even count', () => {
    expect(percentile([1, 2, 3, 4], 50)).toBe(2.5);
  });

  it('is the one value of a single-value list, and NaN for none', () => {
    expect(percentile([7], 99)).toBe(7);
    expect(percentile([], 50)).toBeNaN();
  });

  it('refuses percentiles outside 0..100', () => {
    expect(() => percentile([1], 101)).toThrow(RangeError);
    expect(() => percentile([1], -1)).toThrow(RangeError);
  });
});

describe('median and mean', () => {
  it('does not care about input order and leaves the input alone', () => {
    const values = [5, 1, 4, 2, 3];

    const result = median(values);

    expect(result).toBe(3);
    expect(values).toEqual([5, 1, 4, 2, 3]);
  });

  it('averages, and is NaN for no values', () => {
    expect(mean([1, 2, 6])).toBe(3);
    expect(mean([])).toBeNaN();
  });
});

describe('latencyPercentiles', () => {
  it('gives p50, p95 and p99 of a latency list', () => {
    const values = Array.from({ length: 101 }, (_, i) => i * 10);

    expect(latencyPercentiles(values)).toEqual({ p50: 500, p95: 950, p99: 990 });
  });
});

describe('round', () => {
  it('keeps the decimals asked for and leaves non-finite numbers alone', () => {
    expect(round(1.23456, 2)).toBe(1.23);
    expect(round(2.5, 0)).toBe(3);
    expect(round(Number.POSITIVE_INFINITY)).toBe(Number.POSITIVE_INFINITY);
  });
});
