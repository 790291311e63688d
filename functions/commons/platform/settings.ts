/**
 * The functions' settings, in one table: each environment variable they read, its
 * default and what is allowed, checked with zod. Pure: `readSettings(env)` checks them
 * all and throws one SettingsError listing every problem (variable, bad value, what is
 * allowed), so a function with a bad setting fails at load, clearly. Only what runs on
 * AWS is here; what deploys the stack or runs it on one machine (ports, the emulator,
 * batch sizes) is the local cloud's (infra/local/settings.ts), which reads this table too.
 */
import * as z from 'zod/mini';
import { DRIFT_METHODS, type DriftMethod } from '../drift/driftVerdict.js';
import { parseSegmentBy, QUANTILE_CUTS, type SegmentRule } from '../metrics/segments.js';
import { ConfigurationError } from './errors.js';

export type Env = Readonly<Record<string, string | undefined>>;

/** A setting's value is bad: `problems` has one line per variable, each naming it, its value and what is allowed. */
export class SettingsError extends ConfigurationError {
  constructor(readonly problems: readonly string[]) {
    super(`${problems.length === 1 ? 'a setting is' : `${problems.length} settings are`} not valid:\n  ${problems.join('\n  ')}`);
  }
}

/** AWS's limits, used here, by the deployment's settings and by the local event source. */
export const LIMITS = {
  /** A batch of more than 10 needs a batching window of at least 1 s (AWS's rule for standard queues). */
  batchSizeWithoutWindow: 10,
  batchSize: 10_000,
  batchingWindowSeconds: 300,
  waitTimeSeconds: 20,
  functionTimeoutSeconds: 900,
  visibilityTimeoutSeconds: 43_200,
  maxReceiveCount: 1_000,
  recordsPerRun: 10_000,
} as const;

export const LOG_LEVELS = ['TRACE', 'DEBUG', 'INFO', 'WARN', 'ERROR', 'CRITICAL', 'SILENT'] as const;
export type LogLevelName = (typeof LOG_LEVELS)[number];

/** Where `npm start` runs or finds the emulator when AWS_ENDPOINT_URL is unset (the functions then talk to AWS). */
export const LOCAL_AWS_ENDPOINT = 'http://localhost:4566';

export interface Settings {
  /** Emulator endpoint (moto, LocalStack); undefined means real AWS. */
  readonly awsEndpoint: string | undefined;
  readonly region: string;
  /**
   * The chart server `npm start` uses, or starts its renderer at (by default a local
   * one). The functions post to it only when QUICKCHART_URL is set (config.ts).
   */
  readonly quickchartUrl: string;
  /** Local mirror of the S3 outputs; undefined on AWS. */
  readonly logsDir: string | undefined;
  readonly bucket: string;
  readonly queues: { readonly features: string; readonly yTrue: string; readonly yPred: string };
  readonly recordsPerRun: number;
  readonly orphanTtlSeconds: number;
  readonly logLevel: LogLevelName;
  readonly alerts: AlertRuleSettings;
  readonly drift: DriftRuleSettings;
  /** SEGMENT_BY's rules; empty: no segments. */
  readonly segmentBy: readonly SegmentRule[];
  /** The SNS topic alerts go to (serverless.yml sets it); undefined: alerts are kept in alerts.json only. */
  readonly alertsTopicArn: string | undefined;
  /** The plot function maintain starts once histogram.json changed (serverless.yml sets it); undefined: none. */
  readonly plotFunction: string | undefined;
  /**
   * Where Lambda functions are invoked (the AWS SDK's own variable for it); undefined:
   * AWS's. The local cloud points it at serverless-offline's Lambda endpoint.
   */
  readonly lambdaEndpoint: string | undefined;
}

/** The alert rules' settings (functions/commons/alerts/alertRules.ts); a threshold that is off is undefined. */
export interface AlertRuleSettings {
  readonly windowMinutes: number;
  /** Absolute MAE threshold; undefined: the rule is off. */
  readonly maeAbove: number | undefined;
  /** Window MAE above this × the baseline window's MAE; undefined: off. */
  readonly maeRatio: number | undefined;
  /** Label coverage (a fraction) below this; undefined: off. */
  readonly coverageBelow: number | undefined;
  readonly minRows: number;
  /** Minutes a rule's condition must hold before it fires, and be clear before it resolves (0: at once). */
  readonly forMinutes: number;
  /** A pinned baseline period for the ratio rule (ms since epoch, `to` exclusive); undefined: the window before. */
  readonly baseline?: { readonly from: number; readonly to: number } | undefined;
  /** Whether the `drift` rule is on: it fires while a feature of a version with a reference drifted over the window. */
  readonly drift: boolean;
  /** The window's estimated MAE above this × the reference's MAE; undefined: off. */
  readonly estimatedMaeRatio: number | undefined;
}

/** How drift is judged (drift/driftVerdict.ts): the test, its threshold (undefined: the test's own), the data set's share. */
export interface DriftRuleSettings {
  readonly method: DriftMethod;
  readonly threshold: number | undefined;
  /** undefined: the data set is never called drifted. */
  readonly share: number | undefined;
}

/** One variable: its name, its default as the Configuration table writes it (undefined: unset), and how it is checked. */
export interface SettingSpec<T> {
  readonly name: string;
  readonly default: string | undefined;
  /** Whether docs/configuration.md lists it (the queue names are serverless.yml's, not the user's). */
  readonly documented: boolean;
  /** For an address or a port: what answers there, as docs/configuration.md's table says it (a test holds them together). */
  readonly serves?: string;
  readonly check: Check<T>;
}

/**
 * How a value is checked: a zod schema of the raw text (trimmed where numbers are
 * read), and the words a problem line uses for what is allowed, so every message
 * names the variable, its value and what it takes, whatever zod would say. zod/mini:
 * every function loads this module, and the full zod is some 450 kB of each bundle.
 */
export interface Check<T> {
  readonly schema: z.ZodMiniType<T, string>;
  readonly allowed: string;
}

function check<T>(schema: z.ZodMiniType<T, string>, allowed: string): Check<T> {
  return { schema, allowed };
}

/** The text as a number, for a schema of numbers to check. */
const asNumber = (text: z.ZodMiniType<string, string>) => z.pipe(text, z.transform(Number));

/** `off` (any case, spaces around), read as undefined: a threshold or period that is not used. */
const off = z.pipe(
  z.string().check(z.refine((raw) => raw.trim().toLowerCase() === 'off')),
  z.transform(() => undefined),
);

export function integer(min: number, max: number, unit = ''): Check<number> {
  return check(
    z.pipe(asNumber(z.string().check(z.trim(), z.regex(/^[+-]?\d+$/))), z.int().check(z.gte(min), z.lte(max))),
    `an integer from ${min} to ${max}${unit}`,
  );
}

export const port = integer(1, 65_535);

function isHttpUrl(raw: string): boolean {
  try {
    const parsed = new URL(raw);
    return (parsed.protocol === 'http:' || parsed.protocol === 'https:') && parsed.hostname !== '';
  } catch {
    return false;
  }
}

export const url = check(
  z.pipe(
    z.string().check(z.refine(isHttpUrl)),
    z.transform((raw) => raw.replace(/\/+$/, '')),
  ),
  'an http:// or https:// URL, e.g. http://localhost:4566',
);

export function pattern(regex: RegExp, allowed: string): Check<string> {
  return check(z.string().check(z.regex(regex)), allowed);
}

export function oneOf<const T extends readonly [string, ...string[]]>(
  values: T,
  options: { caseInsensitive?: boolean } = {},
): Check<T[number]> {
  return check(
    z.pipe(
      z.pipe(
        z.string(),
        z.transform((raw) => (options.caseInsensitive ? raw.toUpperCase() : raw)),
      ),
      z.enum(values),
    ),
    `one of ${values.join(', ')}`,
  );
}

/** `true`/`false` (or the pair given), as a boolean. */
export function flag(on: string, off: string, allowed = `one of ${on}, ${off}`): Check<boolean> {
  return check(
    z.pipe(
      z.enum([on, off]),
      z.transform((raw) => raw === on),
    ),
    allowed,
  );
}

export const text = check(z.string(), 'any text');

/** A time with its zone (ISO 8601, e.g. 2026-11-27T06:00Z), as ms since epoch, or `off`. */
const timeOrOff = check(
  z.union([
    off,
    z.pipe(
      z.pipe(z.string().check(z.regex(/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:\d{2})$/)), z.transform(Date.parse)),
      z.number().check(z.refine(Number.isFinite)),
    ),
  ]),
  'off or a time with its zone, e.g. 2026-11-27T06:00Z',
);

/** A decimal number in [min, max] (`above`: greater than min), or `off`. */
function numberOrOff(min: number, max: number, options: { above?: boolean } = {}): Check<number | undefined> {
  const range = `${options.above ? 'greater than' : 'from'} ${min}${Number.isFinite(max) ? ` ${options.above ? 'and at most' : 'to'} ${max}` : ''}`;
  return check(
    z.union([
      off,
      z.pipe(
        asNumber(z.string().check(z.regex(/^\s*\d+(\.\d+)?\s*$/))),
        z.number().check(options.above ? z.gt(min) : z.gte(min), z.lte(max)),
      ),
    ]),
    `off or a number ${range}`,
  );
}

/** SEGMENT_BY: `off`, or features to give the figures by (`sex,age:4`; segments.ts). */
const segmentRules = check(
  z.union([
    z.pipe(
      off,
      z.transform((): SegmentRule[] => []),
    ),
    z.pipe(
      z.string().check(z.refine((raw) => typeof parseSegmentBy(raw) !== 'string')),
      z.transform((raw) => parseSegmentBy(raw) as SegmentRule[]),
    ),
  ]),
  `off or features, comma-separated: a name (a category) or name:k (a number cut at its reference's k-quantiles, k one of ${QUANTILE_CUTS.join(', ')}), e.g. sex,age:4`,
);

const queueName = pattern(/^[A-Za-z0-9_-]{1,80}$/, 'an SQS queue name: 1 to 80 letters, digits, - or _');

export function spec<T>(name: string, defaultValue: string | undefined, check: Check<T>, documented = true): SettingSpec<T> {
  return { name, default: defaultValue, documented, check };
}

/** A setting that names where something listens, with what answers there. */
export function address<T>(serves: string, setting: SettingSpec<T>): SettingSpec<T> {
  return { ...setting, serves };
}

/** Every setting the functions read, in the Configuration table's order. */
export const SETTINGS = {
  awsEndpoint: address('the AWS emulator (SQS, S3, SNS)', spec('AWS_ENDPOINT_URL', undefined, url)),
  region: spec('AWS_REGION', 'us-east-1', pattern(/^[a-z]{2}(-[a-z]+)+-\d+$/, 'an AWS region name, e.g. us-east-1')),
  quickchartUrl: address('the chart server', spec('QUICKCHART_URL', 'http://localhost:3400', url)),
  logsDir: spec('LOGS_DIR', undefined, text),
  bucket: spec(
    'BUCKET_NAME',
    'ml-monitor-dev',
    pattern(
      /^(?!xn--)(?!.*\.\.)[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/,
      'an S3 bucket name: 3 to 63 lowercase letters, digits, dots or hyphens, starting and ending with a letter or digit',
    ),
  ),
  recordsPerRun: spec('RECORDS_PER_RUN', '10', integer(1, LIMITS.recordsPerRun)),
  orphanTtlSeconds: spec('ORPHAN_TTL_SECONDS', '3600', integer(1, 1_209_600, ' seconds (14 days)')),
  logLevel: spec('LOG_LEVEL', 'INFO', oneOf(LOG_LEVELS, { caseInsensitive: true })),
  alertWindowMinutes: spec('ALERT_WINDOW_MINUTES', '15', integer(1, 720, ' minutes')),
  alertMaeAbove: spec('ALERT_MAE_ABOVE', 'off', numberOrOff(0, Number.POSITIVE_INFINITY)),
  alertMaeRatio: spec('ALERT_MAE_RATIO', '1.5', numberOrOff(1, Number.POSITIVE_INFINITY, { above: true })),
  alertCoverageBelow: spec('ALERT_COVERAGE_BELOW', '0.8', numberOrOff(0, 1, { above: true })),
  alertMinRows: spec('ALERT_MIN_ROWS', '30', integer(1, 1_000_000)),
  alertForMinutes: spec('ALERT_FOR_MINUTES', '3', integer(0, 720, ' minutes')),
  alertBaselineFrom: spec('ALERT_BASELINE_FROM', 'off', timeOrOff),
  alertBaselineTo: spec('ALERT_BASELINE_TO', 'off', timeOrOff),
  alertDrift: spec('ALERT_DRIFT', 'on', flag('on', 'off')),
  alertEstimatedMaeRatio: spec('ALERT_ESTIMATED_MAE_RATIO', '1.5', numberOrOff(1, Number.POSITIVE_INFINITY, { above: true })),
  driftMethod: spec('DRIFT_METHOD', 'auto', oneOf(DRIFT_METHODS)),
  driftThreshold: spec('DRIFT_THRESHOLD', 'off', numberOrOff(0, Number.POSITIVE_INFINITY)),
  driftShare: spec('DRIFT_SHARE', '0.5', numberOrOff(0, 1, { above: true })),
  segmentBy: spec('SEGMENT_BY', 'off', segmentRules),
  alertsTopicArn: spec(
    'ALERTS_TOPIC_ARN',
    undefined,
    pattern(
      /^arn:aws[a-z-]*:sns:[a-z0-9-]+:\d{12}:[A-Za-z0-9_-]{1,256}$/,
      'an SNS topic ARN, e.g. arn:aws:sns:us-east-1:123456789012:alerts',
    ),
    false,
  ),
  plotFunction: spec(
    'PLOT_FUNCTION_NAME',
    undefined,
    pattern(/^[A-Za-z0-9_-]{1,64}$/, 'a Lambda function name: 1 to 64 letters, digits, - or _'),
    false,
  ),
  lambdaEndpoint: spec('AWS_ENDPOINT_URL_LAMBDA', undefined, url, false),
  featuresQueue: spec('FEATURES_QUEUE', 'features', queueName, false),
  yTrueQueue: spec('Y_TRUE_QUEUE', 'y_true', queueName, false),
  yPredQueue: spec('Y_PRED_QUEUE', 'y_pred', queueName, false),
} as const;

export type SettingValue<S> = S extends SettingSpec<infer T> ? T : never;
export type SettingValues<Table> = { -readonly [K in keyof Table]?: SettingValue<Table[K]> };

/** Whether `env` gives the setting a value: an empty variable is unset. */
export function isSet(env: Env, setting: Pick<SettingSpec<unknown>, 'name'>): boolean {
  const given = env[setting.name];
  return given !== undefined && given !== '';
}

/** Reads and checks every setting the functions read; throws a SettingsError naming every bad one. Pure. */
export function readSettings(env: Env = process.env): Settings {
  const { values, problems } = readTable(SETTINGS, env);
  if (problems.length > 0) throw new SettingsError(problems);
  return settingsOf(values);
}

/** The functions' settings from a table's checked values (every one without a default of undefined was read). */
export function settingsOf(values: SettingValues<typeof SETTINGS>): Settings {
  const v = values as Required<SettingValues<typeof SETTINGS>>;
  return {
    awsEndpoint: v.awsEndpoint,
    region: v.region,
    quickchartUrl: v.quickchartUrl,
    logsDir: v.logsDir,
    bucket: v.bucket,
    queues: { features: v.featuresQueue, yTrue: v.yTrueQueue, yPred: v.yPredQueue },
    recordsPerRun: v.recordsPerRun,
    orphanTtlSeconds: v.orphanTtlSeconds,
    logLevel: v.logLevel,
    alerts: {
      windowMinutes: v.alertWindowMinutes,
      maeAbove: v.alertMaeAbove,
      maeRatio: v.alertMaeRatio,
      coverageBelow: v.alertCoverageBelow,
      minRows: v.alertMinRows,
      forMinutes: v.alertForMinutes,
      // Both or none (npm start refuses one alone, or an empty period).
      baseline:
        v.alertBaselineFrom !== undefined && v.alertBaselineTo !== undefined && v.alertBaselineFrom < v.alertBaselineTo
          ? { from: v.alertBaselineFrom, to: v.alertBaselineTo }
          : undefined,
      drift: v.alertDrift,
      estimatedMaeRatio: v.alertEstimatedMaeRatio,
    },
    drift: { method: v.driftMethod, threshold: v.driftThreshold, share: v.driftShare },
    segmentBy: v.segmentBy,
    alertsTopicArn: v.alertsTopicArn,
    plotFunction: v.plotFunction,
    lambdaEndpoint: v.lambdaEndpoint,
  };
}

/** Every setting of `table` read from `env`: the valid values, and one problem line per bad one. Pure. */
export function readTable<Table extends Record<string, SettingSpec<unknown>>>(
  table: Table,
  env: Env,
): { values: SettingValues<Table>; problems: string[] } {
  const problems: string[] = [];
  const values: Record<string, unknown> = {};
  for (const [key, setting] of Object.entries(table)) {
    const read = readOne(setting, env);
    if (typeof read === 'string') problems.push(read);
    else if (read !== undefined) values[key] = read.value;
  }
  return { values: values as SettingValues<Table>, problems };
}

/** A setting's value (undefined: unset, no default), or the problem line naming it, its value and what is allowed. */
export function readOne(setting: SettingSpec<unknown>, env: Env): { value: unknown } | string | undefined {
  const raw = isSet(env, setting) ? (env[setting.name] as string) : setting.default;
  if (raw === undefined) return undefined;
  const parsed = setting.check.schema.safeParse(raw);
  return parsed.success ? { value: parsed.data } : `${setting.name}=${JSON.stringify(raw)}: must be ${setting.check.allowed}`;
}
