/**
 * drift.json, pure: per model version with a reference, each numeric feature's and the
 * prediction's figures over the judged window against the reference (PSI, normalised
 * Wasserstein, KS statistic and p-value), the verdict of the configured test, the
 * drifted features and whether the data set drifted, and the window's estimated MAE
 * beside the reference's. The dashboard draws the deciles' shares it carries; the
 * `drift` and `estimated_mae_ratio` alert rules read it.
 */
import {
  CATEGORY_THRESHOLDS,
  type CategoryReference,
  type CategoryTest,
  categoryFigures,
  chooseCategoryTest,
  judgeCategory,
} from './categoryDrift.js';
import type { WindowSummary } from './driftBook.js';
import { shares as countShares, type DriftFigures, driftOfSummaries } from './driftStatistics.js';
import { chooseTest, DEFAULT_THRESHOLDS, type DriftOptions, type DriftTest, judgeDataset, judgeFeature } from './driftVerdict.js';
import { decileCounts, decileEdges, type FeatureReference, type FeatureSummary } from './featureSummary.js';
import type { ModelReference } from './modelReference.js';

export interface DriftEntry {
  readonly psi: number | null;
  readonly wasserstein: number | null;
  readonly ks_statistic: number | null;
  readonly ks_p_value: number | null;
  readonly drifted: boolean;
  /** The reference's deciles, and the share of each sample in the ten bins they cut. */
  readonly decile_edges: readonly number[];
  readonly reference_shares: readonly number[];
  readonly current_shares: readonly number[];
}

/**
 * A category feature's entry: its own test (categoryDrift.ts) and threshold, the
 * chi-square p-value, Jensen–Shannon distance and PSI, and the shares by category
 * (no deciles; the numeric figures null).
 */
export interface CategoryEntry extends DriftEntry {
  readonly test: CategoryTest;
  readonly threshold: number;
  readonly chi_square_p_value: number | null;
  readonly jensen_shannon: number | null;
  readonly categories: readonly string[];
}

export interface ModelDrift {
  readonly reference_rows: number;
  /** Predictions in the window, waiting ones included. */
  readonly rows: number;
  readonly test: DriftTest;
  readonly threshold: number;
  /** Numeric features (judged by `test`) and category features (their entry's own `test`). */
  readonly features: Readonly<Record<string, DriftEntry | CategoryEntry>>;
  readonly prediction: DriftEntry;
  readonly drifted_features: readonly string[];
  /** The share of features that drifted. */
  readonly drift_share: number;
  readonly dataset_drift: boolean;
  /** The loss model's estimate of the window's MAE (null: no prediction), and the reference's own MAE. */
  readonly estimated_mae: number | null;
  readonly reference_mae: number;
}

export interface DriftDocument {
  readonly updated_at: string;
  readonly window: { readonly from: string; readonly to: string; readonly minutes: number };
  readonly method: NonNullable<DriftOptions['method']>;
  /** The share of drifted features at which the data set counts as drifted (null: DRIFT_SHARE off, never). */
  readonly drift_share_threshold: number | null;
  readonly models: Readonly<Record<string, ModelDrift>>;
}

export interface DriftSettings extends DriftOptions {
  /** undefined: the data set is never called drifted. */
  readonly share: number | undefined;
}

/** One version's window against its reference. */
export interface ModelWindow {
  readonly reference: ModelReference;
  readonly current: WindowSummary;
  readonly estimatedMae: number | null;
}

function shares(summary: FeatureSummary): number[] {
  const counts = decileCounts(summary);
  return counts.map((count) => (summary.n === 0 ? 0 : count / summary.n));
}

function entryOf(reference: FeatureReference, current: FeatureSummary, judge: (figures: DriftFigures) => boolean): DriftEntry {
  const figures = driftOfSummaries(reference, current);
  return {
    psi: figures?.psi ?? null,
    wasserstein: figures?.wasserstein ?? null,
    ks_statistic: figures?.ks_statistic ?? null,
    ks_p_value: figures?.ks_p_value ?? null,
    // No value in the window: nothing to say it drifted.
    drifted: figures === null ? false : judge(figures),
    decile_edges: decileEdges(reference.edges),
    reference_shares: shares(reference.summary),
    current_shares: shares(current),
  };
}

function categoryEntryOf(reference: CategoryReference, current: readonly number[], settings: DriftSettings, rows: number): CategoryEntry {
  const figures = categoryFigures(reference, current);
  const test = chooseCategoryTest(settings.method ?? 'auto', rows);
  const threshold = settings.threshold ?? CATEGORY_THRESHOLDS[test];
  const currentRows = current.reduce((a, b) => a + b, 0);
  return {
    test,
    threshold,
    psi: figures?.psi ?? null,
    wasserstein: null,
    ks_statistic: null,
    ks_p_value: null,
    chi_square_p_value: figures?.chi_square_p_value ?? null,
    jensen_shannon: figures?.jensen_shannon ?? null,
    drifted: figures === null ? false : judgeCategory(figures, test, threshold),
    categories: reference.categories,
    decile_edges: [],
    reference_shares: countShares(reference.counts),
    current_shares: current.map((count) => (currentRows === 0 ? 0 : count / currentRows)),
  };
}

export function modelDrift(window: ModelWindow, settings: DriftSettings): ModelDrift {
  const { reference, current } = window;
  const judge = (figures: DriftFigures) => judgeFeature(figures, reference.rows, settings).drifted;
  const numeric: [string, DriftEntry][] = reference.feature_names.flatMap((name) => {
    const ofReference = reference.features[name];
    const ofCurrent = current.features[name];
    return ofReference === undefined || ofCurrent === undefined ? [] : [[name, entryOf(ofReference, ofCurrent, judge)]];
  });
  const categorical: [string, CategoryEntry][] = Object.entries(reference.categories ?? {}).flatMap(([name, ofReference]) => {
    const ofCurrent = current.categories[name];
    return ofCurrent === undefined ? [] : [[name, categoryEntryOf(ofReference, ofCurrent, settings, reference.rows)]];
  });
  const features = Object.fromEntries([...numeric, ...categorical]);
  const verdicts = Object.entries(features).map(([name, entry]) => ({ name, drifted: entry.drifted }));
  const drifted = verdicts.filter((verdict) => verdict.drifted).map((verdict) => verdict.name);
  const test = chooseTest(settings.method ?? 'auto', reference.rows);
  return {
    reference_rows: reference.rows,
    rows: current.rows,
    test,
    threshold: settings.threshold ?? DEFAULT_THRESHOLDS[test],
    features,
    prediction: entryOf(reference.prediction, current.prediction, judge),
    drifted_features: drifted,
    drift_share: verdicts.length === 0 ? 0 : drifted.length / verdicts.length,
    dataset_drift:
      settings.share !== undefined &&
      judgeDataset(
        verdicts.map((verdict) => verdict.drifted),
        settings.share,
      ),
    estimated_mae: window.estimatedMae,
    reference_mae: reference.mae,
  };
}

export function driftDocument(
  now: number,
  window: { readonly from: number; readonly to: number },
  models: readonly ModelWindow[],
  settings: DriftSettings,
): DriftDocument {
  return {
    updated_at: new Date(now).toISOString(),
    window: {
      from: new Date(window.from).toISOString(),
      to: new Date(window.to).toISOString(),
      minutes: Math.round((window.to - window.from) / 60_000),
    },
    method: settings.method ?? 'auto',
    drift_share_threshold: settings.share ?? null,
    models: Object.fromEntries(models.map((model) => [model.reference.model, modelDrift(model, settings)])),
  };
}
