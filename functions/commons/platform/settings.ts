/**
 * Every setting of ml-monitor, in one table: its environment variable, default and
 * what is allowed. Pure: `readSettings(env)` checks them all and throws one
 * SettingsError listing every problem (variable, bad value, what is allowed), so a
 * bad start fails at once and clearly. Used by the functions at load (config.ts) and
 * by `npm start` before it starts anything; the limits are AWS's where AWS has one.
 */
import { ConfigurationError } from './errors.js';

type Env = Readonly<Record<string, string | undefined>>;

/** A setting's value is bad: `problems` has one line per variable, each naming it, its value and what is allowed. */
export class SettingsError extends ConfigurationError {
  constructor(readonly problems: readonly string[]) {
    super(`${problems.length === 1 ? 'a setting is' : `${problems.length} settings are`} not valid:\n  ${problems.join('\n  ')}`);
  }
}

/** AWS's limits, used below and by the local event source. */
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
  readonly functionTimeoutSeconds: number;
  readonly visibilityTimeoutSeconds: number;
  readonly maxReceiveCount: number;
  readonly batchSize: number;
  readonly batchingWindowSeconds: number;
  readonly pollers: number;
  readonly waitTimeSeconds: number;
  readonly orphanTtlSeconds: number;
  readonly schedulesEnabled: boolean;
  readonly localCloudWatchSeconds: number;
  readonly logLevel: LogLevelName;
  readonly lambdaPort: number;
  readonly offlineHttpPort: number;
  readonly offlineWebsocketPort: number;
  readonly offlineHost: string;
  /**
   * The web origins whose pages may call the HTTP API (CORS); empty: none, the API is
   * closed to every other origin. serverless.yml turns it into the API's CORS configuration.
   */
  readonly apiAllowedOrigins: readonly string[];
  readonly esbuildWorkFolder: string;
  readonly motoFast: boolean;
  readonly motoPython: string;
  readonly alerts: AlertRuleSettings;
  /** The SNS topic alerts go to (serverless.yml sets it); undefined: alerts are kept in alerts.json only. */
  readonly alertsTopicArn: string | undefined;
  /** The plot function maintain starts once histogram.json changed (serverless.yml sets it); undefined: none. */
  readonly plotFunction: string | undefined;
}

/** The alert rules' settings (functions/commons/alerts/alertRules.ts); a threshold that is off is undefined. */
export interface AlertRuleSettings {
  readonly windowMinutes: number;
  readonly maeAbove: number | undefined;
  readonly maeRatio: number | undefined;
  readonly coverageBelow: number | undefined;
  readonly minRows: number;
  /** Minutes a rule's condition must hold before it fires, and be clear before it resolves (0: at once). */
  readonly forMinutes: number;
  /** The ratio rule's pinned baseline period (ms since epoch); undefined: the window before. */
  readonly baseline: { readonly from: number; readonly to: number } | undefined;
}

/** One variable: its name, its default as written in docs/configuration.md (undefined: unset), and how it is read. */
export interface SettingSpec<T> {
  readonly name: string;
  readonly default: string | undefined;
  /** Whether docs/configuration.md's table lists it (the queue names are serverless.yml's, not the user's). */
  readonly documented: boolean;
  /** For an address or a port: what answers there, as docs/configuration.md's table says it (a test holds them together). */
  readonly serves?: string;
  /** Returns the value, or a string saying what is allowed. */
  readonly parse: (raw: string) => T | Invalid;
}

class Invalid {
  constructor(readonly allowed: string) {}
}

function integer(min: number, max: number, unit = ''): (raw: string) => number | Invalid {
  return (raw) => {
    const value = /^[+-]?\d+$/.test(raw.trim()) ? Number(raw) : Number.NaN;
    return Number.isSafeInteger(value) && value >= min && value <= max ? value : new Invalid(`an integer from ${min} to ${max}${unit}`);
  };
}

const port = integer(1, 65_535);

function url(raw: string): string | Invalid {
  try {
    const parsed = new URL(raw);
    if ((parsed.protocol === 'http:' || parsed.protocol === 'https:') && parsed.hostname !== '') return raw.replace(/\/+$/, '');
  } catch {
    // falls through
  }
  return new Invalid('an http:// or https:// URL, e.g. http://localhost:4566');
}

function pattern(regex: RegExp, allowed: string): (raw: string) => string | Invalid {
  return (raw) => (regex.test(raw) ? raw : new Invalid(allowed));
}

function oneOf<T extends string>(values: readonly T[], options: { caseInsensitive?: boolean } = {}): (raw: string) => T | Invalid {
  return (raw) => {
    const value = (options.caseInsensitive ? raw.toUpperCase() : raw) as T;
    return values.includes(value) ? value : new Invalid(`one of ${values.join(', ')}`);
  };
}

const text = (raw: string): string => raw;

/**
 * Comma-separated web origins, each exactly as a browser sends it in `Origin`
 * (scheme://host[:port], lowercase, no default port, no path): a browser's origin is
 * compared as text, so `https://App.example.com/` would match no page. No `*`: the
 * API's writes are never open to every site.
 */
function origins(raw: string): string[] | Invalid {
  const allowed = new Invalid(
    'comma-separated origins, each scheme://host[:port] as a browser sends it (http or https, lowercase, no default port, ' +
      'no path or trailing slash), e.g. https://app.example.com,http://localhost:8080',
  );
  const entries = raw.split(',').map((entry) => entry.trim());
  const isOrigin = (entry: string) => {
    try {
      const parsed = new URL(entry);
      return (parsed.protocol === 'http:' || parsed.protocol === 'https:') && parsed.origin === entry;
    } catch {
      return false;
    }
  };
  return entries.every(isOrigin) ? [...new Set(entries)] : allowed;
}

/** A time with its zone (ISO 8601, e.g. 2026-11-27T06:00Z), as ms since epoch, or `off`. */
function timeOrOff(raw: string): number | undefined | Invalid {
  if (raw.trim().toLowerCase() === 'off') return undefined;
  const time = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:\d{2})$/.test(raw) ? Date.parse(raw) : Number.NaN;
  return Number.isFinite(time) ? time : new Invalid('off or a time with its zone, e.g. 2026-11-27T06:00Z');
}

/** A decimal number in [min, max] (`above`: greater than min), or `off`. */
function numberOrOff(min: number, max: number, options: { above?: boolean } = {}): (raw: string) => number | undefined | Invalid {
  const range = `${options.above ? 'greater than' : 'from'} ${min}${Number.isFinite(max) ? ` ${options.above ? 'and at most' : 'to'} ${max}` : ''}`;
  return (raw) => {
    if (raw.trim().toLowerCase() === 'off') return undefined;
    const value = /^\s*\d+(\.\d+)?\s*$/.test(raw) ? Number(raw) : Number.NaN;
    const inRange = options.above ? value > min : value >= min;
    return Number.isFinite(value) && inRange && value <= max ? value : new Invalid(`off or a number ${range}`);
  };
}

const queueName = pattern(/^[A-Za-z0-9_-]{1,80}$/, 'an SQS queue name: 1 to 80 letters, digits, - or _');

function spec<T>(name: string, defaultValue: string | undefined, parse: (raw: string) => T | Invalid, documented = true): SettingSpec<T> {
  return { name, default: defaultValue, documented, parse };
}

/** A setting that names where something listens, with what answers there. */
function address<T>(serves: string, setting: SettingSpec<T>): SettingSpec<T> {
  return { ...setting, serves };
}

/** Every setting, in docs/configuration.md's order. */
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
  functionTimeoutSeconds: spec('FUNCTION_TIMEOUT', '30', integer(1, LIMITS.functionTimeoutSeconds, ' seconds')),
  visibilityTimeoutSeconds: spec('SQS_VISIBILITY_TIMEOUT', '180', integer(0, LIMITS.visibilityTimeoutSeconds, ' seconds')),
  maxReceiveCount: spec('SQS_MAX_RECEIVE_COUNT', '5', integer(1, LIMITS.maxReceiveCount)),
  batchSize: spec('SQS_BATCH_SIZE', '100', integer(1, LIMITS.batchSize)),
  batchingWindowSeconds: spec('SQS_BATCHING_WINDOW', '1', integer(0, LIMITS.batchingWindowSeconds, ' seconds')),
  pollers: spec('SQS_POLLERS', '2', integer(1, 64)),
  waitTimeSeconds: spec('SQS_WAIT_TIME_SECONDS', '20', integer(0, LIMITS.waitTimeSeconds, ' seconds')),
  orphanTtlSeconds: spec('ORPHAN_TTL_SECONDS', '3600', integer(1, 1_209_600, ' seconds (14 days)')),
  schedulesEnabled: spec('SCHEDULES_ENABLED', 'true', (raw) => {
    const value = oneOf(['true', 'false'] as const)(raw);
    return value instanceof Invalid ? value : value === 'true';
  }),
  localCloudWatchSeconds: spec('LOCAL_CLOUD_WATCH_SECONDS', '10', integer(1, 3_600, ' seconds')),
  logLevel: spec('LOG_LEVEL', 'INFO', oneOf(LOG_LEVELS, { caseInsensitive: true })),
  lambdaPort: address("serverless-offline's Lambda endpoint", spec('LAMBDA_PORT', '3002', port)),
  offlineHttpPort: address(
    'the HTTP API (`POST /truths`, `/predictions`) and the dashboard (`GET /`)',
    spec('OFFLINE_HTTP_PORT', '3000', port),
  ),
  // serverless-offline opens its WebSocket server only for websocket events; serverless.yml has none.
  offlineWebsocketPort: address('nothing listens on it', spec('OFFLINE_WEBSOCKET_PORT', '3001', port)),
  offlineHost: spec(
    'OFFLINE_HOST',
    'localhost',
    pattern(/^[A-Za-z0-9.:[\]-]+$/, 'a host name or IP address, e.g. localhost, 127.0.0.1 or 0.0.0.0'),
  ),
  apiAllowedOrigins: spec('API_ALLOWED_ORIGINS', undefined, origins),
  esbuildWorkFolder: spec(
    'ESBUILD_WORK_FOLDER',
    '.esbuild',
    pattern(
      /^(?!\/)(?!.*(^|\/)\.\.(\/|$))(?!\.\/?$)[^\s\0]+$/,
      'a folder inside the project, e.g. .esbuild-mine (a relative path without .. or spaces)',
    ),
  ),
  motoFast: spec('MOTO_FAST', '1', (raw) => {
    const value = oneOf(['0', '1'] as const)(raw);
    return value instanceof Invalid ? value : value === '1';
  }),
  motoPython: spec('MOTO_PYTHON', 'python3', pattern(/^\S+$/, 'a Python command or path, without spaces')),
  alertWindowMinutes: spec('ALERT_WINDOW_MINUTES', '15', integer(1, 720, ' minutes')),
  alertMaeAbove: spec('ALERT_MAE_ABOVE', 'off', numberOrOff(0, Number.POSITIVE_INFINITY)),
  alertMaeRatio: spec('ALERT_MAE_RATIO', '1.5', numberOrOff(1, Number.POSITIVE_INFINITY, { above: true })),
  alertCoverageBelow: spec('ALERT_COVERAGE_BELOW', '0.8', numberOrOff(0, 1, { above: true })),
  alertMinRows: spec('ALERT_MIN_ROWS', '30', integer(1, 1_000_000)),
  alertForMinutes: spec('ALERT_FOR_MINUTES', '3', integer(0, 720, ' minutes')),
  alertBaselineFrom: spec('ALERT_BASELINE_FROM', 'off', timeOrOff),
  alertBaselineTo: spec('ALERT_BASELINE_TO', 'off', timeOrOff),
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
  featuresQueue: spec('FEATURES_QUEUE', 'features', queueName, false),
  yTrueQueue: spec('Y_TRUE_QUEUE', 'y_true', queueName, false),
  yPredQueue: spec('Y_PRED_QUEUE', 'y_pred', queueName, false),
} as const;

type Parsed<S> = S extends SettingSpec<infer T> ? T : never;
type Values = { -readonly [K in keyof typeof SETTINGS]?: Parsed<(typeof SETTINGS)[K]> };

export interface ReadOptions {
  /**
   * Also check the rules between settings (batch size and window, visibility and
   * function timeout, distinct ports): true for `npm start`, which deploys them
   * locally; a function only needs each value it reads to be valid.
   */
  readonly crossChecks?: boolean;
}

/** Whether `env` gives the setting a value: an empty variable is unset. */
export function isSet(env: Env, setting: Pick<SettingSpec<unknown>, 'name'>): boolean {
  const given = env[setting.name];
  return given !== undefined && given !== '';
}

/** Every problem with `env`'s settings, one line each; empty when all are valid. Pure. */
export function checkSettings(env: Env, options: ReadOptions = {}): string[] {
  return read(env, options).problems;
}

/** Reads and checks every setting; throws a SettingsError naming every bad one. Pure. */
export function readSettings(env: Env = process.env, options: ReadOptions = {}): Settings {
  const { settings, problems } = read(env, options);
  if (problems.length > 0 || settings === undefined) throw new SettingsError(problems);
  return settings;
}

function read(env: Env, { crossChecks: withCrossChecks = true }: ReadOptions): { settings: Settings | undefined; problems: string[] } {
  const problems: string[] = [];
  const values = {} as Values;
  for (const [key, setting] of Object.entries(SETTINGS) as [keyof typeof SETTINGS, SettingSpec<unknown>][]) {
    const read = readOne(setting, env);
    if (typeof read === 'string') problems.push(read);
    else if (read !== undefined) (values as Record<string, unknown>)[key] = read.value;
  }
  if (withCrossChecks) problems.push(...crossChecks(values));
  if (problems.length > 0) return { settings: undefined, problems };
  // Every setting without a default of undefined was read (no problems).
  const v = values as Required<Values>;
  return {
    problems,
    settings: {
      awsEndpoint: v.awsEndpoint,
      region: v.region,
      quickchartUrl: v.quickchartUrl,
      logsDir: v.logsDir,
      bucket: v.bucket,
      queues: { features: v.featuresQueue, yTrue: v.yTrueQueue, yPred: v.yPredQueue },
      recordsPerRun: v.recordsPerRun,
      functionTimeoutSeconds: v.functionTimeoutSeconds,
      visibilityTimeoutSeconds: v.visibilityTimeoutSeconds,
      maxReceiveCount: v.maxReceiveCount,
      batchSize: v.batchSize,
      batchingWindowSeconds: v.batchingWindowSeconds,
      pollers: v.pollers,
      waitTimeSeconds: v.waitTimeSeconds,
      orphanTtlSeconds: v.orphanTtlSeconds,
      schedulesEnabled: v.schedulesEnabled,
      localCloudWatchSeconds: v.localCloudWatchSeconds,
      logLevel: v.logLevel,
      lambdaPort: v.lambdaPort,
      offlineHttpPort: v.offlineHttpPort,
      offlineWebsocketPort: v.offlineWebsocketPort,
      offlineHost: v.offlineHost,
      apiAllowedOrigins: v.apiAllowedOrigins ?? [],
      esbuildWorkFolder: v.esbuildWorkFolder,
      motoFast: v.motoFast,
      motoPython: v.motoPython,
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
      },
      alertsTopicArn: v.alertsTopicArn,
      plotFunction: v.plotFunction,
    },
  };
}

/**
 * One setting alone, checked, for a tool that needs only it (serverless.yml's CORS
 * configuration): its value, or undefined when unset with no default. Throws a
 * SettingsError naming it when bad. Pure.
 */
export function readSetting<K extends keyof typeof SETTINGS>(key: K, env: Env = process.env): Parsed<(typeof SETTINGS)[K]> | undefined {
  const read = readOne(SETTINGS[key] as SettingSpec<unknown>, env);
  if (typeof read === 'string') throw new SettingsError([read]);
  return read?.value as Parsed<(typeof SETTINGS)[K]> | undefined;
}

/** A setting's value (undefined: unset, no default), or the problem line naming it, its value and what is allowed. */
function readOne(setting: SettingSpec<unknown>, env: Env): { value: unknown } | string | undefined {
  const raw = isSet(env, setting) ? (env[setting.name] as string) : setting.default;
  if (raw === undefined) return undefined;
  const value = setting.parse(raw);
  return value instanceof Invalid ? `${setting.name}=${JSON.stringify(raw)}: must be ${value.allowed}` : { value };
}

/** Rules between settings; each is checked only when the settings it compares are valid on their own. */
function crossChecks(v: Values): string[] {
  const problems: string[] = [];
  const { batchSize, batchingWindowSeconds, visibilityTimeoutSeconds, functionTimeoutSeconds } = v;
  if (
    batchSize !== undefined &&
    batchingWindowSeconds !== undefined &&
    batchSize > LIMITS.batchSizeWithoutWindow &&
    batchingWindowSeconds < 1
  ) {
    problems.push(
      `SQS_BATCH_SIZE=${batchSize} with SQS_BATCHING_WINDOW=${batchingWindowSeconds}: a batch of more than ${LIMITS.batchSizeWithoutWindow} ` +
        'needs SQS_BATCHING_WINDOW of at least 1 second (as on AWS); lower the batch size or set a window',
    );
  }
  if (visibilityTimeoutSeconds !== undefined && functionTimeoutSeconds !== undefined && visibilityTimeoutSeconds < functionTimeoutSeconds) {
    problems.push(
      `SQS_VISIBILITY_TIMEOUT=${visibilityTimeoutSeconds} with FUNCTION_TIMEOUT=${functionTimeoutSeconds}: the visibility timeout must be ` +
        'at least the function timeout (AWS refuses the event source otherwise; it advises 6×)',
    );
  }
  const { alertBaselineFrom: from, alertBaselineTo: to } = v;
  if ((from === undefined) !== (to === undefined)) {
    problems.push('ALERT_BASELINE_FROM and ALERT_BASELINE_TO: a pinned baseline needs both (or neither: the window before)');
  } else if (from !== undefined && to !== undefined && from >= to) {
    problems.push('ALERT_BASELINE_FROM must be before ALERT_BASELINE_TO: the baseline period is empty');
  }
  const ports: [string, number | undefined][] = [
    ['LAMBDA_PORT', v.lambdaPort],
    ['OFFLINE_HTTP_PORT', v.offlineHttpPort],
    ['OFFLINE_WEBSOCKET_PORT', v.offlineWebsocketPort],
    ['AWS_ENDPOINT_URL', localPort(v.awsEndpoint ?? LOCAL_AWS_ENDPOINT)],
    ['QUICKCHART_URL', localPort(v.quickchartUrl)],
  ];
  for (let i = 0; i < ports.length; i++) {
    for (let j = i + 1; j < ports.length; j++) {
      const [a, portA] = ports[i] as [string, number | undefined];
      const [b, portB] = ports[j] as [string, number | undefined];
      if (portA !== undefined && portA === portB) problems.push(`${a} and ${b} both use port ${portA}: each needs its own port`);
    }
  }
  return problems;
}

/** The port of a URL on this machine, or undefined (another host, or no URL). */
function localPort(address: string | undefined): number | undefined {
  if (address === undefined) return undefined;
  try {
    const parsed = new URL(address);
    if (!['localhost', '127.0.0.1', '[::1]', '0.0.0.0'].includes(parsed.hostname)) return undefined;
    return Number(parsed.port || (parsed.protocol === 'https:' ? 443 : 80));
  } catch {
    return undefined;
  }
}
