/**
 * plot (started by maintain once histogram.json changed, and each minute on its
 * schedule): draws histogram.json, the bins and counts maintain publishes with
 * metrics.json, to error_distribution.png (S3 and LOGS_DIR): in the function itself,
 * or through the QuickChart server at QUICKCHART_URL when one is set (as `npm start`
 * does). It never reads the log: the chart's state is maintain's (errorHistogram.ts),
 * so a cold start costs the same at any history, and the PNG, histogram.json,
 * metrics.json and the dashboard agree on the rows.
 */
import { errorHistogramChart, renderChart } from './commons/chart/histogramChart.js';
import { type HistogramDocument, summaryOf } from './commons/dashboard/histogramDocument.js';
import { writeMirror } from './commons/logs/localMirror.js';
import { createS3Client } from './commons/platform/clients.js';
import { readConfig } from './commons/platform/config.js';
import { createLogger } from './commons/platform/logger.js';
import { BUCKET_KEYS } from './commons/storage/bucketKeys.js';
import { getText, putObject } from './commons/storage/s3Objects.js';

const config = readConfig();
const logger = createLogger('plot');
const s3 = createS3Client(config, logger);
/** histogram.json as last drawn by this warm container: the same one is not drawn twice. */
let drawn = '';

export interface PlotResult {
  readonly plotted: boolean;
  readonly rows: number;
}

export const handler = async (): Promise<PlotResult> => {
  const stored = await getText(s3, config.bucket, BUCKET_KEYS.histogram);
  const document = stored === undefined ? undefined : (JSON.parse(stored.text) as HistogramDocument);
  if (document === undefined || document.rows === 0) {
    logger.info('Nothing to plot yet: the log has no rows', { bucket: config.bucket });
    return { plotted: false, rows: 0 };
  }
  if (stored?.etag === drawn) return { plotted: false, rows: document.rows };
  const summary = summaryOf(document);
  const png = await renderChart(errorHistogramChart({ edges: document.edges, counts: document.counts }, summary), config.quickchartUrl);
  await putObject(s3, config.bucket, BUCKET_KEYS.errorPlot, png, 'image/png');
  // The bucket has the PNG either way: a copy LOGS_DIR refused is one line, not a failed run.
  const problem = await writeMirror(config.logsDir, BUCKET_KEYS.errorPlot, png);
  if (problem !== undefined) logger.error(problem);
  drawn = stored?.etag ?? '';
  logger.info('Histogram drawn', { ...summary, bytes: png.length });
  return { plotted: true, rows: document.rows };
};
