/**
 * plot (scheduled): the histogram of absolute errors in metric_log.csv, rendered by
 * the QuickChart server at QUICKCHART_URL, to error_distribution.png (S3 and LOGS_DIR).
 */
import { createAwsClients } from './commons/clients.js';
import { OBJECT_KEYS, readConfig } from './commons/config.js';
import { errorHistogramChart, renderChart } from './commons/chart.js';
import { parseMetricLog } from './commons/csv.js';
import { histogram } from './commons/histogram.js';
import { writeMirror } from './commons/localMirror.js';
import { createLogger } from './commons/logger.js';
import { getText, putObject } from './commons/s3Objects.js';

const config = readConfig();
const { s3 } = createAwsClients(config);
const logger = createLogger('plot');

export interface PlotResult {
  readonly plotted: boolean;
  readonly rows: number;
}

export const handler = async (): Promise<PlotResult> => {
  const log = await getText(s3, config.bucket, OBJECT_KEYS.metricLog);
  const errors = parseMetricLog(log?.text ?? '').map((row) => row.absoluteError);
  if (errors.length === 0) {
    logger.info('Nothing to plot yet: metric_log.csv has no rows', { bucket: config.bucket });
    return { plotted: false, rows: 0 };
  }
  const meanAbsoluteError = errors.reduce((sum, e) => sum + e, 0) / errors.length;
  const chart = errorHistogramChart(histogram(errors, 20), { rows: errors.length, meanAbsoluteError });
  const png = await renderChart(config.quickchartUrl, chart);
  await putObject(s3, config.bucket, OBJECT_KEYS.errorPlot, png, 'image/png');
  await writeMirror(config.logsDir, OBJECT_KEYS.errorPlot, png);
  logger.info('Histogram written', { rows: errors.length, meanAbsoluteError, bytes: png.length });
  return { plotted: true, rows: errors.length };
};
