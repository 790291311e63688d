/**
 * A model version's reference, pure: what its inputs, its predictions and its errors
 * looked like on the rows it is judged against (its training rows, or a sample the
 * user uploads), summarised in mergeable form, with the loss model trained on them.
 * Drift compares each window against it (driftStatistics.ts), and the loss model
 * estimates the window's MAE before its labels come (estimate/lossModel.ts).
 *
 * One per model version, kept in the bucket at `references/<model>.json`; the built-in
 * model's is written by `npm run train` beside model.json and bundled, so a fresh
 * stack has one before anything is uploaded.
 */
import { assertLossModel, type LossModel } from '../estimate/lossModel.js';
import { trainLossModel } from '../estimate/trainLossModel.js';
import { BUCKET_KEYS } from '../storage/bucketKeys.js';
import { buildCategoryReference, type CategoryReference } from './categoryDrift.js';
import { buildReference, type FeatureReference, FINE_BINS, readStoredSummary } from './featureSummary.js';

/** A feature's value as a record carries it: a number, or a category's name. */
export type FeatureValue = number | string;
export type FeatureValues = Readonly<Record<string, FeatureValue>>;

/** One row a reference is built from. */
export interface ReferenceRow {
  readonly features: FeatureValues;
  readonly yPred: number;
  readonly yTrue: number;
}

export interface ModelReference {
  readonly version: 1;
  readonly model: string;
  readonly rows: number;
  readonly created_at: string;
  /** The numeric features, in the loss model's input order. */
  readonly feature_names: readonly string[];
  readonly features: Readonly<Record<string, FeatureReference>>;
  /** The category features (any row gives a name): their categories' counts. Absent when there are none. */
  readonly categories?: Readonly<Record<string, CategoryReference>>;
  readonly prediction: FeatureReference;
  /** The reference rows' MAE: what the estimate is measured against when nothing drifted. */
  readonly mae: number;
  readonly loss_model: LossModel;
}

/** Fewer rows than this make percentile edges and a loss model that mean little. */
export const MIN_REFERENCE_ROWS = 50;

/** The bucket key of a model version's reference. */
export function referenceKey(model: string): string {
  return `${BUCKET_KEYS.references}${model}.json`;
}

/** A feature's value as the number the summaries and the loss model take (NaN: missing or a category). */
export function numericValue(value: FeatureValue | undefined): number {
  return typeof value === 'number' && Number.isFinite(value) ? value : Number.NaN;
}

/**
 * Builds the reference of `model` from its rows. Its numeric features are the names
 * every row gives as a number (the loss model takes those); its category features the
 * names some row gives as a category's name (a number in another row counts as its
 * text; a row without it is left out). A number missing in some row is neither, and is
 * said in `skipped`.
 */
export function buildModelReference(
  model: string,
  rows: readonly ReferenceRow[],
  now: number = Date.now(),
): { reference: ModelReference; skipped: string[] } {
  if (rows.length < MIN_REFERENCE_ROWS) throw new RangeError(`a reference needs at least ${MIN_REFERENCE_ROWS} rows, got ${rows.length}`);
  const names = [...new Set(rows.flatMap((row) => Object.keys(row.features)))];
  const numeric = names.filter((name) => rows.every((row) => typeof row.features[name] === 'number'));
  const categorical = names.filter((name) => rows.some((row) => typeof row.features[name] === 'string'));
  const skipped = names.filter((name) => !numeric.includes(name) && !categorical.includes(name));
  const categories = Object.fromEntries(
    categorical.map((name) => [
      name,
      buildCategoryReference(rows.flatMap((row) => (row.features[name] === undefined ? [] : [String(row.features[name])]))),
    ]),
  );
  const features = Object.fromEntries(numeric.map((name) => [name, buildReference(rows.map((row) => numericValue(row.features[name])))]));
  const lossModel = trainLossModel(
    rows.map((row) => ({ features: numeric.map((name) => numericValue(row.features[name])), prediction: row.yPred, actual: row.yTrue })),
  );
  const mae = rows.reduce((sum, row) => sum + Math.abs(row.yTrue - row.yPred), 0) / rows.length;
  return {
    reference: {
      version: 1,
      model,
      rows: rows.length,
      created_at: new Date(now).toISOString(),
      feature_names: numeric,
      features,
      ...(categorical.length === 0 ? {} : { categories }),
      prediction: buildReference(rows.map((row) => row.yPred)),
      mae,
      loss_model: lossModel,
    },
    skipped,
  };
}

function isCategoryReference(value: unknown): value is CategoryReference {
  const reference = value as Partial<CategoryReference> | null;
  return (
    Array.isArray(reference?.categories) &&
    Array.isArray(reference.counts) &&
    reference.categories.length === reference.counts.length &&
    reference.categories.length > 0 &&
    reference.counts.every((count) => typeof count === 'number')
  );
}

function isFeatureReference(value: unknown): value is FeatureReference {
  const reference = value as Partial<FeatureReference> | null;
  return (
    Array.isArray(reference?.edges) &&
    reference.edges.length === FINE_BINS - 1 &&
    reference.edges.every((edge) => typeof edge === 'number') &&
    readStoredSummary(reference.summary) !== undefined
  );
}

/** A stored reference, checked before it is trusted; throws with the reason when it is not one. */
export function assertModelReference(value: unknown): ModelReference {
  const reference = value as Partial<ModelReference> | null;
  const problem =
    reference?.version !== 1
      ? 'it is not a version-1 reference'
      : typeof reference.model !== 'string' || typeof reference.rows !== 'number' || typeof reference.mae !== 'number'
        ? 'model, rows or mae is missing'
        : !Array.isArray(reference.feature_names) || typeof reference.features !== 'object' || reference.features === null
          ? 'feature_names or features is missing'
          : !reference.feature_names.every((name) => isFeatureReference(reference.features?.[name]))
            ? 'a feature has no percentile edges and summary'
            : !isFeatureReference(reference.prediction)
              ? 'the prediction has no percentile edges and summary'
              : !Object.values(reference.categories ?? {}).every(isCategoryReference)
                ? 'a category feature has no categories and counts'
                : undefined;
  if (problem !== undefined) throw new Error(`not a model reference: ${problem}`);
  assertLossModel((reference as ModelReference).loss_model);
  if ((reference as ModelReference).loss_model.features !== (reference as ModelReference).feature_names.length)
    throw new Error('not a model reference: its loss model takes another number of features');
  return reference as ModelReference;
}
