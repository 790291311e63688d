/**
 * Whether a feature has drifted, and whether the data set has, pure, by Evidently's
 * defaults for numerical features (src/evidently/calculations/stattests/registry.py
 * `_get_default_stattest`, ks_stattest.py, wasserstein_distance_norm.py, psi.py,
 * calculations/data_drift.py `get_dataset_drift`):
 * - 'auto': the KS test while the reference has at most 1,000 rows, drifted when its
 *   p-value ≤ 0.05; above that, normalised Wasserstein, drifted when ≥ 0.1;
 * - 'psi': drifted when PSI ≥ 0.1;
 * - the data set has drifted when the share of drifted features is ≥ 0.5.
 * The method and threshold come in as options (the caller's DRIFT_METHOD and
 * DRIFT_THRESHOLD); a threshold given applies to whichever test the method picks.
 * Evidently sends numbers with at most 5 distinct values, and categories, to
 * chi-square / Z / Jensen–Shannon tests: not covered here.
 */
import type { DriftFigures } from './driftStatistics.js';

export const DRIFT_METHODS = ['auto', 'ks', 'wasserstein', 'psi'] as const;
export type DriftMethod = (typeof DRIFT_METHODS)[number];
export type DriftTest = Exclude<DriftMethod, 'auto'>;

/** Evidently's default threshold per test. */
export const DEFAULT_THRESHOLDS: Readonly<Record<DriftTest, number>> = { ks: 0.05, wasserstein: 0.1, psi: 0.1 };
/** At most this many reference rows, 'auto' picks KS; above, Wasserstein. */
export const KS_MAX_REFERENCE_ROWS = 1000;
/** Evidently's drift_share: the data set drifts when at least this share of its features do. */
export const DEFAULT_DRIFT_SHARE = 0.5;

export interface DriftOptions {
  readonly method?: DriftMethod;
  /** Replaces the chosen test's default threshold. */
  readonly threshold?: number;
}

export interface FeatureVerdict {
  readonly test: DriftTest;
  readonly threshold: number;
  /** The figure the test compares: a p-value for KS, a distance otherwise. */
  readonly score: number;
  readonly drifted: boolean;
}

/** The test a method uses for a reference of `referenceRows` rows. */
export function chooseTest(method: DriftMethod, referenceRows: number): DriftTest {
  if (method !== 'auto') return method;
  return referenceRows <= KS_MAX_REFERENCE_ROWS ? 'ks' : 'wasserstein';
}

export function judgeFeature(figures: DriftFigures, referenceRows: number, options: DriftOptions = {}): FeatureVerdict {
  const test = chooseTest(options.method ?? 'auto', referenceRows);
  const threshold = options.threshold ?? DEFAULT_THRESHOLDS[test];
  switch (test) {
    case 'ks':
      return { test, threshold, score: figures.ks_p_value, drifted: figures.ks_p_value <= threshold };
    case 'wasserstein':
      return { test, threshold, score: figures.wasserstein, drifted: figures.wasserstein >= threshold };
    case 'psi':
      return { test, threshold, score: figures.psi, drifted: figures.psi >= threshold };
  }
}

/** Dataset drift: the share of drifted features reaches `share` (no features: no drift). */
export function judgeDataset(drifted: readonly boolean[], share = DEFAULT_DRIFT_SHARE): boolean {
  if (drifted.length === 0) return false;
  return drifted.filter(Boolean).length / drifted.length >= share;
}
