/**
 * plot (scheduled): brings metric_log.csv and orphans.csv up to date from their
 * segments (S3 and LOGS_DIR, where they are only ever appended to), expires halves
 * past their TTL, and renders the
 * histogram of absolute errors through the QuickChart server at QUICKCHART_URL to
 * error_distribution.png (S3 and LOGS_DIR).
 */
import type { Context } from 'aws-lambda';
import { ErrorSeries } from './commons/chart/absoluteErrors.js';
import { histogram } from './commons/chart/histogram.js';
import { errorHistogramChart, renderChart } from './commons/chart/histogramChart.js';
import { MetricStore } from './commons/join/joinTableStore.js';
import { type CompactionResult, LogCompactor } from './commons/logs/compaction.js';
import { writeMirror } from './commons/logs/localMirror.js';
import { LOGS } from './commons/logs/logFiles.js';
import { createS3Client } from './commons/platform/clients.js';
import { OBJECT_KEYS, readConfig } from './commons/platform/config.js';
import { createLogger } from './commons/platform/logger.js';
import { putObject } from './commons/storage/s3Objects.js';

const config = readConfig();
const logger = createLogger('plot');
const s3 = createS3Client(config, logger);
const store = new MetricStore({ s3, bucket: config.bucket, settledIdsKept: config.settledIdsKept, orphanTtlMs: config.orphanTtlMs });
const compactor = new LogCompactor({ s3, bucket: config.bucket, logsDir: config.logsDir });
const errors = new ErrorSeries();
let plottedRows = -1;

export interface PlotResult {
  readonly plotted: boolean;
  readonly rows: number;
  readonly orphans: number;
}

/** Says, on every run while it lasts, what keeps a log from being complete. */
function reportCompaction(file: string, result: CompactionResult): void {
  if (result.gap) {
    const { fromSeq, toSeq, waitingMs } = result.gap;
    logger.warn(`${file} waits for lines ${fromSeq}–${toSeq}: committed, but their segment is not written yet`, {
      fromSeq,
      toSeq,
      waitingSeconds: Math.round(waitingMs / 1000),
    });
  }
  if (result.mirror === 'diverged') {
    logger.error(`${config.logsDir}/${file} holds rows that s3://${config.bucket}/${file} lacks: it is left as it is, not updated`, {
      action: `keep it (it is your data); move it aside to let the copy in ${config.logsDir} start again from the bucket`,
    });
  }
}

export const handler = async (_event?: unknown, context?: Pick<Context, 'getRemainingTimeInMillis'>): Promise<PlotResult> => {
  // Orphans are found here too, so they leave the table even when no message comes.
  // Half the time at most: the logs and the chart come after.
  const settled = await store.settle(Date.now() + (context?.getRemainingTimeInMillis() ?? 60_000) / 2);
  for (const orphan of settled.orphans) logger.warn('Half orphaned', { ...orphan });
  const metricLog = await compactor.compact(LOGS.metric_log);
  const orphanLog = await compactor.compact(LOGS.orphans);
  for (const [spec, result] of [
    [LOGS.metric_log, metricLog],
    [LOGS.orphans, orphanLog],
  ] as const) {
    reportCompaction(spec.key, result);
  }
  errors.update(metricLog);
  const orphans = orphanLog.lastSeq;
  if (metricLog.appended.length > 0 || orphanLog.appended.length > 0) {
    logger.info('Logs compacted', {
      rowsAdded: metricLog.appended.length,
      rows: metricLog.lastSeq,
      orphansAdded: orphanLog.appended.length,
      orphans,
    });
  }
  if (errors.count === 0) {
    logger.info('Nothing to plot yet: metric_log.csv has no rows', { bucket: config.bucket });
    return { plotted: false, rows: 0, orphans };
  }
  if (errors.count === plottedRows) return { plotted: false, rows: errors.count, orphans };
  const chart = errorHistogramChart(histogram(errors.values, 20), { rows: errors.count, meanAbsoluteError: errors.mean });
  const png = await renderChart(config.quickchartUrl, chart);
  await putObject(s3, config.bucket, OBJECT_KEYS.errorPlot, png, 'image/png');
  await writeMirror(config.logsDir, OBJECT_KEYS.errorPlot, png);
  plottedRows = errors.count;
  logger.info('Histogram written', { rows: errors.count, meanAbsoluteError: errors.mean, bytes: png.length });
  return { plotted: true, rows: errors.count, orphans };
};
