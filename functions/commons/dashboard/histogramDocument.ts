/**
 * histogram.json, pure: the bins and counts error_distribution.png draws (so the
 * dashboard's chart and the PNG never disagree), with the subtitle's figures: the rows,
 * MAE, RMSE and p90 of |error| as metrics.json's totals have them.
 */
import type { Histogram } from '../chart/histogram.js';
import type { ErrorSummary } from '../chart/histogramChart.js';
import type { Summary } from '../metrics/aggregate.js';

export interface HistogramDocument {
  readonly updated_at: string;
  /** Rows binned: the log's rows when maintain published it. */
  readonly rows: number;
  /** bins + 1 ascending edges of |error|. */
  readonly edges: readonly number[];
  readonly counts: readonly number[];
  readonly mae: number;
  readonly rmse: number;
  readonly abs_error_p90: number;
}

export function histogramDocument(bins: Histogram, totals: Summary, at: Date): HistogramDocument {
  return {
    updated_at: at.toISOString(),
    rows: totals.n,
    edges: [...bins.edges],
    counts: [...bins.counts],
    mae: totals.mae ?? 0,
    rmse: totals.rmse ?? 0,
    abs_error_p90: totals.abs_error_p90 ?? 0,
  };
}

/** The PNG subtitle's figures, from histogram.json. */
export function summaryOf(document: HistogramDocument): ErrorSummary {
  return {
    rows: document.rows,
    meanAbsoluteError: document.mae,
    rootMeanSquaredError: document.rmse,
    p90AbsoluteError: document.abs_error_p90,
  };
}
