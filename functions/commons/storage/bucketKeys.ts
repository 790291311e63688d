/**
 * Every key and prefix the pipeline uses in its bucket: one place, so the handlers,
 * the tools and the bucket's lifecycle rule (serverless.yml) agree.
 */
export const BUCKET_KEYS = {
  /** The join's in-flight state: ids with one half, and lines not yet in a segment. */
  joinTable: 'state/metric-table.json',
  /**
   * The logs users fetch, in bounded pieces (pieces.ts): one row per completed id, one
   * per orphaned half, `<prefix>date=YYYY-MM-DD/hour=HH/part-NNNN.csv`.
   */
  metricLogPieces: 'metric_log/',
  orphanLogPieces: 'orphans/',
  /** Where each log stands: its newest piece and last line (logHeads.ts). */
  logHeads: 'state/log-heads.json',
  /** The ids in the logs, filed by the hour of their prediction, for exactly once at any distance (idIndex.ts). */
  idIndex: 'state/ids/',
  /** The one-object logs of before the pieces, migrated on the first run that finds them (migration.ts). */
  metricLog: 'metric_log.csv',
  orphanLog: 'orphans.csv',
  /** Log lines written by `metric`, waiting for `maintain` to append them to their log. */
  metricLogSegments: 'segments/metric_log/',
  orphanLogSegments: 'segments/orphans/',
  errorPlot: 'error_distribution.png',
  /** Windowed regression metrics, per minute and per model version (metrics/metricsBook.ts). */
  metrics: 'metrics.json',
  /** The aggregates behind metrics.json. */
  metricsBook: 'state/metrics-book.json',
  /** The absolute errors of every row, in fine buckets, behind histogram.json (chart/errorHistogram.ts). */
  errorHistogram: 'state/error-histogram.json',
  /** The error histogram's bins and counts, which the PNG and the dashboard draw (written by maintain with metrics.json). */
  histogram: 'histogram.json',
  /** Each model version's reference, `references/<model>.json` (drift/modelReference.ts). */
  references: 'references/',
  /** Input drift per model version against its reference, over the alert window (written by maintain). */
  drift: 'drift.json',
  /**
   * Where earlier versions kept predictions' inputs: one object a batch, and the whole
   * inputs book. No longer written; a cold start of maintain deletes what is left
   * (drift/predictionInputs.ts).
   */
  inputSegments: 'segments/inputs/',
  inputsBook: 'state/inputs-book.json',
  /** The per-minute feature summaries behind drift.json (drift/driftBook.ts). */
  driftBook: 'state/drift-book.json',
  /** The alert rules' states and the alerts they raised (written by maintain). */
  alerts: 'alerts.json',
  /**
   * Why each rejected message was rejected, read by `npm run dlq`. Expired with the
   * dead-letter queues' retention by the bucket's lifecycle rule: a reason outliving
   * its message explains nothing.
   */
  deadLetterReasons: 'dead-letters/reasons/',
} as const;
