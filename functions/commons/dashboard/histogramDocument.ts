/**
 * histogram.json, pure: the bins and counts error_distribution.png draws (the same
 * Histogram object, so the dashboard's chart and the PNG never disagree), with the
 * PNG's labels and subtitle figures.
 */

import type { Histogram } from '../chart/histogram.js';
import type { ErrorSummary } from '../chart/histogramChart.js';

export interface HistogramDocument {
  readonly updated_at: string;
  /** Rows binned: metric_log.csv's rows when plot last ran. */
  readonly rows: number;
  /** bins + 1 ascending edges of |error|. */
  readonly edges: readonly number[];
  readonly counts: readonly number[];
  readonly mae: number;
  readonly rmse: number;
  readonly abs_error_p90: number;
}

export function histogramDocument(bins: Histogram, summary: ErrorSummary, at: Date): HistogramDocument {
  return {
    updated_at: at.toISOString(),
    rows: summary.rows,
    edges: [...bins.edges],
    counts: [...bins.counts],
    mae: summary.meanAbsoluteError,
    rmse: summary.rootMeanSquaredError,
    abs_error_p90: summary.p90AbsoluteError,
  };
}
