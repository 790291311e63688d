/**
 * On AWS, each maintain run also puts its figures in CloudWatch through Powertools
 * Metrics (embedded metric format: one JSON log line, no API call), namespace
 * `ml-monitor`, dimension `service=ml-monitor`: WindowMAE and WindowRMSE (the alert
 * rules' judged window: the last complete minutes), MAE and RMSE (all rows), LabelCoverage, Rows, Pending, DeadLetters and
 * AlertsFiring, the number of rules firing (serverless.yml's alarm watches it).
 * Locally nothing is written: not under serverless-offline (IS_OFFLINE), nor against
 * an emulator (AWS_ENDPOINT_URL set: the tests that run maintain on moto).
 */
import { Metrics, MetricUnit } from '@aws-lambda-powertools/metrics';
import type { MetricsDocument } from '../metrics/metricsBook.js';
import { type AlertSettings, judgedWindows } from './alertRules.js';

export const METRICS_NAMESPACE = 'ml-monitor';

export interface CloudWatchFigures {
  readonly metrics: MetricsDocument;
  readonly settings: AlertSettings;
  readonly firing: number;
  readonly now: number;
}

/** The figures as name → value (null ones left out): what one run puts in CloudWatch. Pure. */
export function cloudWatchValues({ metrics, settings, firing, now }: CloudWatchFigures): Record<string, number> {
  const { current } = judgedWindows(metrics, settings.windowMinutes, now);
  const values: Record<string, number | null> = {
    WindowMAE: current.mae,
    WindowRMSE: current.rmse,
    WindowRows: current.rows,
    MAE: metrics.totals.mae,
    RMSE: metrics.totals.rmse,
    LabelCoverage: metrics.label_coverage,
    Rows: metrics.totals.n,
    Pending: metrics.pending,
    DeadLetters: metrics.dead_letters,
    AlertsFiring: firing,
  };
  return Object.fromEntries(Object.entries(values).filter((entry): entry is [string, number] => entry[1] !== null));
}

const COUNTS = new Set(['WindowRows', 'Rows', 'Pending', 'DeadLetters', 'AlertsFiring']);

/** A publisher of the figures, or undefined where CloudWatch is not there (serverless-offline, an emulator). */
export function cloudWatchPublisher(
  env: Readonly<Record<string, string | undefined>> = process.env,
): ((figures: CloudWatchFigures) => void) | undefined {
  if (env.IS_OFFLINE || env.AWS_ENDPOINT_URL) return undefined;
  const metrics = new Metrics({ namespace: METRICS_NAMESPACE, serviceName: 'ml-monitor' });
  return (figures) => {
    for (const [name, value] of Object.entries(cloudWatchValues(figures))) {
      metrics.addMetric(name, COUNTS.has(name) ? MetricUnit.Count : MetricUnit.NoUnit, value);
    }
    metrics.publishStoredMetrics();
  };
}
