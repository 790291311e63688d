/** bench/progress.ts: the pipeline's progress line. */
import { describe, expect, it } from 'vitest';
import { progressLine } from '../../../bench/progress.js';

describe('progressLine', () => {
  it('says emitted, rows, rate, depth and time in one line', () => {
    const line = progressLine({ emitted: 4000, planned: 10_000, rows: 3500, recordsPerS: 812.4, depth: 240, elapsedS: 12.2 });

    expect(line).toBe('emitted 4000/10000 · rows 3500 · 812 rec/s · depth 240 · 12 s');
  });

  it('shows a rate of 0 before the first row', () => {
    expect(progressLine({ emitted: 0, planned: 10, rows: 0, recordsPerS: Number.NaN, depth: 0, elapsedS: 0 })).toMatch(/· 0 rec\/s ·/);
  });
});
