/**
 * functions/commons/drift/driftVerdict.ts: Evidently's defaults (KS up to 1,000
 * reference rows, normalised Wasserstein above, PSI when chosen; dataset drift at half
 * the features), and, end to end from summaries, a shifted feature flagged while an
 * unshifted one is not.
 */
import { describe, expect, it } from 'vitest';
import { type DriftFigures, driftOfSummaries } from '../../../../../functions/commons/drift/driftStatistics.js';
import { chooseTest, judgeDataset, judgeFeature } from '../../../../../functions/commons/drift/driftVerdict.js';
import { buildReference, mergeSummary, summarize } from '../../../../../functions/commons/drift/featureSummary.js';
import { normalSample } from '../../../../helpers/samples.js';

const figures = (overrides: Partial<DriftFigures>): DriftFigures => ({
  psi: 0,
  wasserstein: 0,
  ks_statistic: 0,
  ks_p_value: 1,
  ...overrides,
});

describe('drift verdict', () => {
  it('picks KS up to 1,000 reference rows and Wasserstein above, as Evidently does', () => {
    expect(chooseTest('auto', 1000)).toBe('ks');
    expect(chooseTest('auto', 1001)).toBe('wasserstein');
    expect(chooseTest('psi', 10)).toBe('psi');
  });

  it('flags KS at p ≤ 0.05 and the distances at ≥ 0.1 by default', () => {
    expect(judgeFeature(figures({ ks_p_value: 0.05 }), 500).drifted).toBe(true);
    expect(judgeFeature(figures({ ks_p_value: 0.0501 }), 500).drifted).toBe(false);
    expect(judgeFeature(figures({ wasserstein: 0.1 }), 5000).drifted).toBe(true);
    expect(judgeFeature(figures({ wasserstein: 0.099 }), 5000).drifted).toBe(false);
    expect(judgeFeature(figures({ psi: 0.1 }), 5000, { method: 'psi' })).toEqual({
      test: 'psi',
      threshold: 0.1,
      score: 0.1,
      drifted: true,
    });
  });

  it('takes a threshold given for the chosen test', () => {
    expect(judgeFeature(figures({ wasserstein: 0.15 }), 5000, { threshold: 0.2 }).drifted).toBe(false);
    expect(judgeFeature(figures({ ks_p_value: 0.009 }), 500, { method: 'ks', threshold: 0.01 }).drifted).toBe(true);
  });

  it('calls the data set drifted when at least half its features are', () => {
    expect(judgeDataset([true, false])).toBe(true);
    expect(judgeDataset([true, false, false])).toBe(false);
    expect(judgeDataset([true, false, false], 0.3)).toBe(true);
    expect(judgeDataset([])).toBe(false);
  });

  it.each([
    ['auto (Wasserstein, 5,000 reference rows)', 5000, {}],
    ['auto (KS, 800 reference rows)', 800, {}],
    ['psi', 5000, { method: 'psi' as const }],
  ])('flags a shifted feature and not an unshifted one from per-minute summaries: %s', (_, rows, options) => {
    const reference = buildReference(normalSample(rows, 0, 1, 1));
    const window = (mean: number, seed: number) => {
      const summary = summarize(reference.edges, []);
      for (let minute = 0; minute < 10; minute++)
        mergeSummary(summary, summarize(reference.edges, normalSample(300, mean, 1, seed + minute)));
      return summary;
    };

    const shifted = judgeFeature(driftOfSummaries(reference, window(0.5, 100))!, rows, options);
    const unshifted = judgeFeature(driftOfSummaries(reference, window(0, 200))!, rows, options);

    expect(shifted.drifted).toBe(true);
    expect(unshifted.drifted).toBe(false);
  });
});
