/**
 * Every key and prefix the pipeline uses in its bucket: one place, so the handlers,
 * the tools and the bucket's lifecycle rule (serverless.yml) agree.
 */
export const BUCKET_KEYS = {
  /** The join's in-flight state: ids with one half, and lines not yet in a segment. */
  joinTable: 'state/metric-table.json',
  /** The logs users fetch, one row per completed id and one per orphaned half. */
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
  /** The error histogram's bins as the PNG draws them, for the dashboard (written by plot). */
  histogram: 'histogram.json',
  /** The alert rules' states and the alerts they raised (written by maintain). */
  alerts: 'alerts.json',
  /**
   * Why each rejected message was rejected, read by `npm run dlq`. Expired with the
   * dead-letter queues' retention by the bucket's lifecycle rule: a reason outliving
   * its message explains nothing.
   */
  deadLetterReasons: 'dead-letters/reasons/',
} as const;
