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
};

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

/** Closes an aggregate: its sums go on, its quantiles are kept as they are now. */
export function closeAggregate(aggregate: Aggregate): ClosedAggregate {
  const { sketch: _, ...sums } = aggregate;
  const { abs_error_p50, abs_error_p90, abs_error_p99 } = summarize(aggregate);
  return { ...sums, quantiles: { abs_error_p50, abs_error_p90, abs_error_p99 } };
}

/** Adds `from` into `into`. */
export function merge(into: Aggregate, from: Aggregate): void {
  if (from.n === 0) return;
  into.n += from.n;
  into.sumError += from.sumError;
  into.sumAbsError += from.sumAbsError;
  into.sumSquaredError += from.sumSquaredError;
  into.sumY += from.sumY;
  into.sumYSquared += from.sumYSquared;
  into.maxAbsError = Math.max(into.maxAbsError, from.maxAbsError);
  into.sumAbsPercentageError += from.sumAbsPercentageError;
  into.percentageRows += from.percentageRows;
  into.sketch.merge(from.sketch);
}

export function summarize(aggregate: Aggregate | ClosedAggregate): Summary {
  if (aggregate.n === 0) return EMPTY_SUMMARY;
  if ('quantiles' in aggregate) return summarizeSums(aggregate, aggregate.quantiles);
  // A bin's representative value may pass the largest error by up to the accuracy.
  const quantile = (q: number) => Math.min(aggregate.sketch.getValueAtQuantile(q), aggregate.maxAbsError);
  return summarizeSums(aggregate, { abs_error_p50: quantile(0.5), abs_error_p90: quantile(0.9), abs_error_p99: quantile(0.99) });
}

function summarizeSums(sums: Sums, quantiles: Quantiles): Summary {
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
  };
}

export function toStored(aggregate: Aggregate): StoredAggregate {
  return { ...aggregate, sketch: Buffer.from(aggregate.sketch.toProto()).toString('base64') };
}

export function fromStored(stored: StoredAggregate): Aggregate {
  const sketch =
    stored.n === 0 ? new DDSketch({ relativeAccuracy: RELATIVE_ACCURACY }) : DDSketch.fromProto(Buffer.from(stored.sketch, 'base64'));
  return { ...stored, sketch };
}
