/**
 * Configuration, read once at load. Every setting is an environment variable with a
 * local default, so `sls offline start` works with none set; on AWS serverless.yml
 * sets the ones that matter and leaves AWS_ENDPOINT_URL and LOGS_DIR unset.
 */
import { ConfigurationError } from './errors.js';

export interface Config {
  /** Emulator endpoint (moto, LocalStack); undefined means real AWS. */
  readonly awsEndpoint: string | undefined;
  readonly region: string;
  readonly bucket: string;
  readonly queues: { readonly features: string; readonly yTrue: string; readonly yPred: string };
  /** Local mirror of the S3 outputs; undefined on AWS. */
  readonly logsDir: string | undefined;
  readonly recordsPerRun: number;
  readonly quickchartUrl: string;
  /** How many settled (completed or orphaned) ids the metric table remembers to drop late duplicates. */
  readonly settledIdsKept: number;
  /** A half waiting longer than this for its partner goes to orphans.csv. */
  readonly orphanTtlMs: number;
}

type Env = Record<string, string | undefined>;

function positiveInteger(env: Env, name: string, fallback: number): number {
  const raw = env[name];
  if (raw === undefined || raw === '') return fallback;
  const value = Number(raw);
  if (!Number.isInteger(value) || value <= 0) {
    throw new ConfigurationError(`${name} must be a positive integer, got "${raw}"`);
  }
  return value;
}

function text(env: Env, name: string, fallback: string): string {
  const raw = env[name];
  return raw === undefined || raw === '' ? fallback : raw;
}

function optional(env: Env, name: string): string | undefined {
  const raw = env[name];
  return raw === undefined || raw === '' ? undefined : raw;
}

/** Builds the configuration from an environment; pure, so tests pass their own. */
export function readConfig(env: Env = process.env): Config {
  return {
    awsEndpoint: optional(env, 'AWS_ENDPOINT_URL'),
    region: text(env, 'AWS_REGION', 'us-east-1'),
    bucket: text(env, 'BUCKET_NAME', 'ml-monitor-dev'),
    queues: {
      features: text(env, 'FEATURES_QUEUE', 'features'),
      yTrue: text(env, 'Y_TRUE_QUEUE', 'y_true'),
      yPred: text(env, 'Y_PRED_QUEUE', 'y_pred'),
    },
    logsDir: optional(env, 'LOGS_DIR'),
    recordsPerRun: positiveInteger(env, 'RECORDS_PER_RUN', 10),
    quickchartUrl: text(env, 'QUICKCHART_URL', 'http://localhost:3400'),
    settledIdsKept: positiveInteger(env, 'SETTLED_IDS_KEPT', 20_000),
    orphanTtlMs: positiveInteger(env, 'ORPHAN_TTL_SECONDS', 3_600) * 1000,
  };
}

/** Object keys in the bucket: one place, so the handlers and tools agree. */
export const OBJECT_KEYS = {
  metricTable: 'state/metric-table.json',
  errorPlot: 'error_distribution.png',
} as const;
