/**
 * plot (scheduled, each minute): reads what is new in metric_log.csv and renders the
 * histogram of absolute errors to error_distribution.png (S3 and LOGS_DIR): drawn in
 * the function itself, or through the QuickChart server at QUICKCHART_URL when one is
 * set (as `npm start` does). And it writes the same bins and counts to
 * histogram.json beside it for the dashboard. It only reads the log: `maintain` writes it.
 */
import { AbsoluteErrors, summarizeErrors } from './commons/chart/absoluteErrors.js';
import { histogram } from './commons/chart/histogram.js';
import { errorHistogramChart, renderChart } from './commons/chart/histogramChart.js';
import { histogramDocument } from './commons/dashboard/histogramDocument.js';
import { AppendOnlyLog } from './commons/logs/appendOnlyLog.js';
import { writeMirror } from './commons/logs/localMirror.js';
import { textToLines } from './commons/logs/logFiles.js';
import { createS3Client } from './commons/platform/clients.js';
import { readConfig } from './commons/platform/config.js';
import { createLogger } from './commons/platform/logger.js';
import { BUCKET_KEYS } from './commons/storage/bucketKeys.js';
import { putObject } from './commons/storage/s3Objects.js';

const config = readConfig();
const logger = createLogger('plot');
const s3 = createS3Client(config, logger);
const metricLog = new AppendOnlyLog({ s3, bucket: config.bucket, key: BUCKET_KEYS.metricLog });
const errors = new AbsoluteErrors();
let plottedRows = -1;

export interface PlotResult {
  readonly plotted: boolean;
  readonly rows: number;
}

/** The bucket has the output either way: a copy LOGS_DIR refused is one line, not a failed run. */
function reportLocalCopy(problem: string | undefined): void {
  if (problem !== undefined) logger.error(problem);
}

export const handler = async (): Promise<PlotResult> => {
  const read = await metricLog.readNew();
  if (read.restarted) errors.clear();
  const unread = errors.add(textToLines(read.lines.toString('utf8')));
  if (unread.length > 0) {
    logger.warn(`${unread.length} metric_log.csv line(s) are no rows and are not plotted`, { first: unread[0]?.slice(0, 200) });
  }
  if (errors.count === 0) {
    logger.info('Nothing to plot yet: metric_log.csv has no rows', { bucket: config.bucket });
    return { plotted: false, rows: 0 };
  }
  if (errors.count === plottedRows) return { plotted: false, rows: errors.count };
  const summary = summarizeErrors(errors.values);
  const bins = histogram(errors.values, 20);
  const chart = errorHistogramChart(bins, summary);
  const png = await renderChart(chart, config.quickchartUrl);
  await putObject(s3, config.bucket, BUCKET_KEYS.errorPlot, png, 'image/png');
  reportLocalCopy(await writeMirror(config.logsDir, BUCKET_KEYS.errorPlot, png));
  const binsJson = JSON.stringify(histogramDocument(bins, summary, new Date()));
  await putObject(s3, config.bucket, BUCKET_KEYS.histogram, binsJson, 'application/json');
  reportLocalCopy(await writeMirror(config.logsDir, BUCKET_KEYS.histogram, binsJson));
  plottedRows = errors.count;
  logger.info('Histogram written', { ...summary, bytes: png.length });
  return { plotted: true, rows: errors.count };
};
