import { describe, expect, it } from 'vitest';
import { histogram } from '../../../../../functions/commons/chart/histogram.js';

describe('histogram binning (numpy / plt.hist semantics)', () => {
  it('bins 0..10 into five equal bins with the last bin closed', () => {
    // Edges 0,2,4,6,8,10: [0,2) [2,4) [4,6) [6,8) [8,10] — worked out by hand.
    const result = histogram([0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10], 5);

    expect(result.edges).toEqual([0, 2, 4, 6, 8, 10]);
    expect(result.counts).toEqual([2, 2, 2, 2, 3]);
  });

  it('puts values on an inner edge into the bin to its right, over 20 bins', () => {
    // Edges 1.0, 1.1, …, 3.0: 1 → bin 0, 2 → bin 10 (its left edge), 3 → bin 19 (closed).
    const result = histogram([1, 2, 2, 3, 3, 3], 20);

    expect(result.counts[0]).toBe(1);
    expect(result.counts[10]).toBe(2);
    expect(result.counts[19]).toBe(3);
    expect(result.counts.reduce((a, b) => a + b, 0)).toBe(6);
  });

  it('widens an empty range to one unit around the value, as numpy does', () => {
    const result = histogram([5, 5, 5], 20);

    expect(result.edges[0]).toBe(4.5);
    expect(result.edges[20]).toBe(5.5);
    expect(result.counts[10]).toBe(3);
  });

  it('counts every value exactly once on awkward floating-point ranges', () => {
    const values = Array.from({ length: 1000 }, (_, i) => 0.1 * i + 0.3 * ((i * 7) % 3));

    const result = histogram(values, 20);

    expect(result.counts.reduce((a, b) => a + b, 0)).toBe(values.length);
    for (const v of values) expect(v).toBeGreaterThanOrEqual(result.edges[0] as number);
  });

  it('refuses non-finite values', () => {
    expect(() => histogram([1, Number.NaN])).toThrow(/finite/);
  });
});
