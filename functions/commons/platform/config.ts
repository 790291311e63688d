/**
 * Configuration, read once at load. Every setting is an environment variable with a
 * local default, so `sls offline start` works with none set; on AWS serverless.yml
 * sets the ones that matter and leaves AWS_ENDPOINT_URL and LOGS_DIR unset.
 */
import { deadLetterQueueOf } from '../messaging/sqsLimits.js';
import type { SegmentRule } from '../metrics/segments.js';
import { type AlertRuleSettings, type DriftRuleSettings, isSet, readSettings, SETTINGS } from './settings.js';

export interface Config {
  /** Emulator endpoint (moto, LocalStack); undefined means real AWS. */
  readonly awsEndpoint: string | undefined;
  readonly region: string;
  readonly bucket: string;
  readonly queues: { readonly features: string; readonly yTrue: string; readonly yPred: string };
  /** Each queue's dead-letter queue: `<queue>-dlq`, as serverless.yml names them. */
  readonly deadLetterQueues: readonly string[];
  /** Local mirror of the S3 outputs; undefined on AWS. */
  readonly logsDir: string | undefined;
  readonly recordsPerRun: number;
  /** The chart server plot posts to; undefined (QUICKCHART_URL unset, the default on AWS): plot draws the chart itself. */
  readonly quickchartUrl: string | undefined;
  /** A half waiting longer than this for its partner goes to orphans.csv. */
  readonly orphanTtlMs: number;
  /** The alert rules maintain judges with each metrics update. */
  readonly alerts: AlertRuleSettings;
  /** How input drift is judged (DRIFT_*). */
  readonly drift: DriftRuleSettings;
  /** SEGMENT_BY: every figure per segment too. */
  readonly segmentBy: readonly SegmentRule[];
  /** Where alerts are published; undefined: kept in alerts.json only. */
  readonly alertsTopicArn: string | undefined;
  /** The plot function, started by maintain once histogram.json changed; undefined: none (plot's schedule draws it). */
  readonly plotFunction: string | undefined;
  /** Where Lambda functions are invoked: serverless-offline's Lambda endpoint under `sls offline` (AWS_ENDPOINT_URL_LAMBDA); undefined on AWS. */
  readonly lambdaEndpoint: string | undefined;
}

/**
 * Builds the functions' configuration from an environment; pure, so tests pass their
 * own. Every setting is checked (settings.ts), so a bad one fails the function's load
 * with a message naming it, its value and what is allowed. The rules between the
 * deployment's settings (visibility ≥ function timeout, …) are `npm start`'s to check
 * (infra/local/settings.ts), and CloudFormation's on AWS.
 */
export function readConfig(env: Readonly<Record<string, string | undefined>> = process.env): Config {
  const settings = readSettings(env);
  return {
    awsEndpoint: settings.awsEndpoint,
    region: settings.region,
    bucket: settings.bucket,
    queues: settings.queues,
    deadLetterQueues: Object.values(settings.queues).map(deadLetterQueueOf),
    logsDir: settings.logsDir,
    recordsPerRun: settings.recordsPerRun,
    // Only a server named here: unset, nothing leaves the function (npm start always names one).
    quickchartUrl: isSet(env, SETTINGS.quickchartUrl) ? settings.quickchartUrl : undefined,
    orphanTtlMs: settings.orphanTtlSeconds * 1000,
    alerts: settings.alerts,
    drift: settings.drift,
    segmentBy: settings.segmentBy,
    alertsTopicArn: settings.alertsTopicArn,
    plotFunction: settings.plotFunction,
    lambdaEndpoint: settings.lambdaEndpoint,
  };
}
