/**
 * Configuration, read once at load. Every setting is an environment variable with a
 * local default, so `sls offline start` works with none set; on AWS serverless.yml
 * sets the ones that matter and leaves AWS_ENDPOINT_URL and LOGS_DIR unset.
 */
import { deadLetterQueueOf } from '../messaging/sqsLimits.js';
import { isSet, readSettings, SETTINGS, type Settings } from './settings.js';

/**
 * What the functions read: the settings as checked (settings.ts), except that the
 * queues' dead-letter queues are named, the chart server is only one named here, and
 * the orphans' TTL is in ms.
 */
export interface Config
  extends Pick<
    Settings,
    | 'awsEndpoint'
    | 'region'
    | 'bucket'
    | 'queues'
    | 'logsDir'
    | 'recordsPerRun'
    | 'alerts'
    | 'drift'
    | 'segmentBy'
    | 'alertsTopicArn'
    | 'plotFunction'
    | 'lambdaEndpoint'
  > {
  /** Each queue's dead-letter queue: `<queue>-dlq`, as serverless.yml names them. */
  readonly deadLetterQueues: readonly string[];
  /** The chart server plot posts to; undefined (QUICKCHART_URL unset, the default on AWS): plot draws the chart itself. */
  readonly quickchartUrl: string | undefined;
  /** A half waiting longer than this for its partner goes to orphans.csv. */
  readonly orphanTtlMs: number;
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
