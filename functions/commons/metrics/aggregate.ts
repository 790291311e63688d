/**
 * Regression metrics as a mergeable aggregate, pure: sums from which MAE, RMSE, bias,
 * MAPE and R² follow exactly, and a DDSketch of |error| for its quantiles (within
 * RELATIVE_ACCURACY of the true value). Two aggregates merge into the aggregate of
 * both, so per-minute ones add up to any window and to the totals at a cost that
 * does not grow with the log.
 */
import { DDSketch } from '@datadog/sketches-js';

/** Every quantile of |error| is within 1% of the exact one (relative). */
export const RELATIVE_ACCURACY = 0.01;

export interface Aggregate {
  n: number;
  /** Σ (y_pred − y_true): the bias's numerator. */
  sumError: number;
  sumAbsError: number;
  sumSquaredError: number;
  sumY: number;
  sumYSquared: number;
  maxAbsError: number;
  /** Σ |error| / |y_true| over the rows whose y_true is not 0, and how many rows that is. */
  sumAbsPercentageError: number;
  percentageRows: number;
  /**
   * Predictions of the set, labelled or not, whose error the loss model estimated, and
   * the sum of the estimates (estimated MAE = the one over the other); and those still
   * without a label (pending, or orphaned). `n` counts the labelled rows alone.
   */
  estimatedN: number;
  sumEstimatedAbsError: number;
  unlabelled: number;
  sketch: DDSketch;
}

/** What metrics.json shows of an aggregate (null where a figure is undefined: no rows, or R² below 2 rows). */
export interface Summary {
  readonly n: number;
  readonly mae: number | null;
  readonly rmse: number | null;
  readonly bias: number | null;
  /** A fraction (0.1 is 10%), as scikit-learn's mean_absolute_percentage_error. */
  readonly mape: number | null;
  /** Rows MAPE leaves out because their y_true is 0. */
  readonly mape_skipped: number;
  readonly r2: number | null;
  readonly abs_error_p50: number | null;
  readonly abs_error_p90: number | null;
  readonly abs_error_p99: number | null;
  readonly abs_error_max: number | null;
  /** The loss model's estimate of the MAE over every prediction of the set, labelled or not; null with no reference. */
  readonly estimated_mae: number | null;
  /** Predictions the estimate is over. */
  readonly estimated_n: number;
  /** Predictions still without their label. */
  readonly unlabelled: number;
}

/** The summary of no rows: every figure null. */
export const EMPTY_SUMMARY: Summary = {
  n: 0,
  mae: null,
  rmse: null,
  bias: null,
  mape: null,
  mape_skipped: 0,
  r2: null,
  abs_error_p50: null,
  abs_error_p90: null,
  abs_error_p99: null,
  abs_error_max: null,
  estimated_mae: null,
  estimated_n: 0,
  unlabelled: 0,
};

/** What a prediction adds besides its row: its estimated error (undefined: no reference) and whether its label is in. */
export interface PredictionNote {
  readonly estimate: number | undefined;
  readonly labelled: boolean;
}

/** An aggregate as stored (JSON): the sums, and the sketch in its protobuf form, base64. */
export type StoredAggregate = Omit<Aggregate, 'sketch'> & { readonly sketch: string };

/** The sums alone: what MAE, RMSE, bias, MAPE, R² and the largest error follow from, exactly. */
export type Sums = Omit<Aggregate, 'sketch'>;

/** The |error| quantiles a summary shows. */
export interface Quantiles {
  readonly abs_error_p50: number | null;
  readonly abs_error_p90: number | null;
  readonly abs_error_p99: number | null;
}

/**
 * A closed period (an old minute or hour): its sums, which rows may still be added to
 * (a late label), and the quantiles its sketch gave when it closed, kept as they were:
 * a sketch per period would make the stored books grow with the traffic.
 */
export type ClosedAggregate = Sums & { readonly quantiles: Quantiles };

export function emptyAggregate(): Aggregate {
  return {
    n: 0,
    sumError: 0,
    sumAbsError: 0,
    sumSquaredError: 0,
    sumY: 0,
    sumYSquared: 0,
    maxAbsError: 0,
    sumAbsPercentageError: 0,
    percentageRows: 0,
    estimatedN: 0,
    sumEstimatedAbsError: 0,
    unlabelled: 0,
    sketch: new DDSketch({ relativeAccuracy: RELATIVE_ACCURACY }),
  };
}

/** Adds one row (the absolute error as metric_log.csv holds it). */
export function addRow(aggregate: Aggregate, yTrue: number, yPred: number, absError: number): void {
  addToSums(aggregate, yTrue, yPred, absError);
  aggregate.sketch.accept(absError);
}

/** Adds one row to the sums alone (a closed period). */
export function addToSums(sums: Sums, yTrue: number, yPred: number, absError: number): void {
  const error = yPred - yTrue;
  sums.n += 1;
  sums.sumError += error;
  sums.sumAbsError += absError;
  sums.sumSquaredError += error * error;
  sums.sumY += yTrue;
  sums.sumYSquared += yTrue * yTrue;
  sums.maxAbsError = Math.max(sums.maxAbsError, absError);
  if (yTrue !== 0) {
    sums.sumAbsPercentageError += absError / Math.abs(yTrue);
    sums.percentageRows += 1;
  }
}

/** Adds a prediction's estimate and label state (a labelled row adds its figures by addRow or addToSums too). */
export function addPrediction(sums: Sums, note: PredictionNote): void {
  if (note.estimate !== undefined) {
    sums.estimatedN += 1;
    sums.sumEstimatedAbsError += note.estimate;
  }
  if (!note.labelled) sums.unlabelled += 1;
}

/** Closes an aggregate: its sums go on, its quantiles are kept as they are now. */
export function closeAggregate(aggregate: Aggregate): ClosedAggregate {
  const { sketch: _, ...sums } = aggregate;
  const { abs_error_p50, abs_error_p90, abs_error_p99 } = summarize(aggregate);
  return { ...sums, quantiles: { abs_error_p50, abs_error_p90, abs_error_p99 } };
}

/** Adds `from` into `into`. */
export function merge(into: Aggregate, from: Aggregate): void {
  if (from.n === 0 && from.estimatedN === 0 && from.unlabelled === 0) return;
  into.n += from.n;
  into.sumError += from.sumError;
  into.sumAbsError += from.sumAbsError;
  into.sumSquaredError += from.sumSquaredError;
  into.sumY += from.sumY;
  into.sumYSquared += from.sumYSquared;
  into.maxAbsError = Math.max(into.maxAbsError, from.maxAbsError);
  into.sumAbsPercentageError += from.sumAbsPercentageError;
  into.percentageRows += from.percentageRows;
  into.estimatedN += from.estimatedN;
  into.sumEstimatedAbsError += from.sumEstimatedAbsError;
  into.unlabelled += from.unlabelled;
  into.sketch.merge(from.sketch);
}

/** The estimate sums alone: what predictions waiting for their label add to a summary. */
export type EstimateSums = Pick<Sums, 'estimatedN' | 'sumEstimatedAbsError' | 'unlabelled'>;

/** The figures of an aggregate; `waiting`: the estimates of predictions not in it yet (the join table's), added to its own. */
export function summarize(aggregate: Aggregate | ClosedAggregate, waiting?: EstimateSums): Summary {
  if (aggregate.n === 0) return { ...EMPTY_SUMMARY, ...estimates(aggregate, waiting) };
  if ('quantiles' in aggregate) return summarizeSums(aggregate, aggregate.quantiles, waiting);
  // A bin's representative value may pass the largest error by up to the accuracy.
  const quantile = (q: number) => Math.min(aggregate.sketch.getValueAtQuantile(q), aggregate.maxAbsError);
  return summarizeSums(aggregate, { abs_error_p50: quantile(0.5), abs_error_p90: quantile(0.9), abs_error_p99: quantile(0.99) }, waiting);
}

function summarizeSums(sums: Sums, quantiles: Quantiles, waiting: EstimateSums | undefined): Summary {
  const { n } = sums;
  const skipped = n - sums.percentageRows;
  // Σ (y − ȳ)², from the sums; R² is undefined when every y_true is the same.
  const totalSquares = sums.sumYSquared - (sums.sumY * sums.sumY) / n;
  return {
    n,
    mae: sums.sumAbsError / n,
    rmse: Math.sqrt(sums.sumSquaredError / n),
    bias: sums.sumError / n,
    mape: sums.percentageRows === 0 ? null : sums.sumAbsPercentageError / sums.percentageRows,
    mape_skipped: skipped,
    r2: n < 2 || totalSquares <= 0 ? null : 1 - sums.sumSquaredError / totalSquares,
    ...quantiles,
    abs_error_max: sums.maxAbsError,
    ...estimates(sums, waiting),
  };
}

function estimates(sums: EstimateSums, waiting: EstimateSums | undefined): Pick<Summary, 'estimated_mae' | 'estimated_n' | 'unlabelled'> {
  const n = sums.estimatedN + (waiting?.estimatedN ?? 0);
  return {
    estimated_mae: n === 0 ? null : (sums.sumEstimatedAbsError + (waiting?.sumEstimatedAbsError ?? 0)) / n,
    estimated_n: n,
    unlabelled: sums.unlabelled + (waiting?.unlabelled ?? 0),
  };
}

/** Sums stored before the estimates were kept start them at 0. */
export function withEstimateSums<T extends Omit<Sums, keyof EstimateSums>>(sums: T): T & EstimateSums {
  const partial = sums as T & Partial<Sums>;
  return {
    ...sums,
    estimatedN: partial.estimatedN ?? 0,
    sumEstimatedAbsError: partial.sumEstimatedAbsError ?? 0,
    unlabelled: partial.unlabelled ?? 0,
  };
}

export function toStored(aggregate: Aggregate): StoredAggregate {
  return { ...aggregate, sketch: Buffer.from(aggregate.sketch.toProto()).toString('base64') };
}

export function fromStored(stored: StoredAggregate): Aggregate {
  const sketch =
    stored.n === 0 ? new DDSketch({ relativeAccuracy: RELATIVE_ACCURACY }) : DDSketch.fromProto(Buffer.from(stored.sketch, 'base64'));
  return { ...withEstimateSums(stored), sketch };
}
