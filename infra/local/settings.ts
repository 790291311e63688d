/**
 * The settings of the local cloud and of the deployment, checked with zod, beside the
 * functions' own (functions/commons/platform/settings.ts, read here too): the one place
 * `npm start`, `sls` plugins, the tools and the bench read the environment. These never
 * reach a Lambda bundle: ports, the emulator, the local event source, and what
 * serverless.yml deploys (timeouts, batches, schedules, CORS).
 */
import * as z from 'zod/mini';
import {
  address,
  type Check,
  type Env,
  flag,
  integer,
  isSet,
  LIMITS,
  LOCAL_AWS_ENDPOINT,
  pattern,
  port,
  readOne,
  readTable,
  SETTINGS,
  type Settings,
  SettingsError,
  type SettingValue,
  type SettingValues,
  settingsOf,
  spec,
} from '../../functions/commons/platform/settings.js';

/**
 * Comma-separated web origins, each exactly as a browser sends it in `Origin`
 * (scheme://host[:port], lowercase, no default port, no path): a browser's origin is
 * compared as text, so `https://App.example.com/` would match no page. No `*`: the
 * API's writes are never open to every site.
 */
const origins: Check<string[]> = {
  schema: z.pipe(
    z.pipe(
      z.string(),
      z.transform((raw) => raw.split(',').map((entry) => entry.trim())),
    ),
    z.pipe(
      z.array(z.string().check(z.refine(isOrigin))),
      z.transform((entries) => [...new Set(entries)]),
    ),
  ),
  allowed:
    'comma-separated origins, each scheme://host[:port] as a browser sends it (http or https, lowercase, no default port, ' +
    'no path or trailing slash), e.g. https://app.example.com,http://localhost:8080',
};

function isOrigin(entry: string): boolean {
  try {
    const parsed = new URL(entry);
    return (parsed.protocol === 'http:' || parsed.protocol === 'https:') && parsed.origin === entry;
  } catch {
    return false;
  }
}

const host = pattern(/^[A-Za-z0-9.:[\]-]+$/, 'a host name or IP address, e.g. localhost, 127.0.0.1 or 0.0.0.0');

/** The deployment's and the local cloud's settings, in the Configuration table's order after the functions' own. */
export const LOCAL_SETTINGS = {
  functionTimeoutSeconds: spec('FUNCTION_TIMEOUT', '30', integer(1, LIMITS.functionTimeoutSeconds, ' seconds')),
  visibilityTimeoutSeconds: spec('SQS_VISIBILITY_TIMEOUT', '180', integer(0, LIMITS.visibilityTimeoutSeconds, ' seconds')),
  maxReceiveCount: spec('SQS_MAX_RECEIVE_COUNT', '5', integer(1, LIMITS.maxReceiveCount)),
  batchSize: spec('SQS_BATCH_SIZE', '100', integer(1, LIMITS.batchSize)),
  batchingWindowSeconds: spec('SQS_BATCHING_WINDOW', '1', integer(0, LIMITS.batchingWindowSeconds, ' seconds')),
  pollers: spec('SQS_POLLERS', '2', integer(1, 64)),
  waitTimeSeconds: spec('SQS_WAIT_TIME_SECONDS', '20', integer(0, LIMITS.waitTimeSeconds, ' seconds')),
  schedulesEnabled: spec('SCHEDULES_ENABLED', 'true', flag('true', 'false')),
  localCloudWatchSeconds: spec('LOCAL_CLOUD_WATCH_SECONDS', '10', integer(1, 3_600, ' seconds')),
  lambdaPort: address("serverless-offline's Lambda endpoint", spec('LAMBDA_PORT', '3002', port)),
  offlineHttpPort: address(
    'the HTTP API (`POST /truths`, `/predictions`, `PUT /references/{model}`) and the dashboard (`GET /`)',
    spec('OFFLINE_HTTP_PORT', '3000', port),
  ),
  // serverless-offline opens its WebSocket server only for websocket events; serverless.yml has none.
  offlineWebsocketPort: address('nothing listens on it', spec('OFFLINE_WEBSOCKET_PORT', '3001', port)),
  offlineHost: spec('OFFLINE_HOST', 'localhost', host),
  apiAllowedOrigins: spec('API_ALLOWED_ORIGINS', undefined, origins),
  esbuildWorkFolder: spec(
    'ESBUILD_WORK_FOLDER',
    '.esbuild',
    pattern(
      /^(?!\/)(?!.*(^|\/)\.\.(\/|$))(?!\.\/?$)[^\s\0]+$/,
      'a folder inside the project, e.g. .esbuild-mine (a relative path without .. or spaces)',
    ),
  ),
  motoFast: spec('MOTO_FAST', '1', flag('1', '0', 'one of 0, 1')),
  motoPython: spec('MOTO_PYTHON', 'python3', pattern(/^\S+$/, 'a Python command or path, without spaces')),
  rendererHost: spec('RENDERER_HOST', '127.0.0.1', host),
  rendererPort: address('the chart renderer of `npm run renderer`', spec('RENDERER_PORT', '3400', port)),
  // Emulators take any key: these are no secrets, and a user's own are used when set.
  accessKeyId: spec('AWS_ACCESS_KEY_ID', 'test', pattern(/^\S+$/, 'an access key id, without spaces'), false),
  secretAccessKey: spec('AWS_SECRET_ACCESS_KEY', 'test', pattern(/^\S+$/, 'a secret access key, without spaces'), false),
  /** Tests and the bench point the local event source at a proxy of the Lambda endpoint. */
  invokeVia: spec('ML_MONITOR_INVOKE_VIA', undefined, pattern(/^https?:\/\/\S+$/, 'an http:// URL'), false),
} as const;

/** Every setting, the functions' and the local cloud's: what docs/configuration.md lists. */
export const ALL_SETTINGS = { ...SETTINGS, ...LOCAL_SETTINGS } as const;

type LocalValues = Required<SettingValues<typeof LOCAL_SETTINGS>>;

export interface LocalSettings extends Settings {
  readonly functionTimeoutSeconds: number;
  readonly visibilityTimeoutSeconds: number;
  readonly maxReceiveCount: number;
  readonly batchSize: number;
  readonly batchingWindowSeconds: number;
  readonly pollers: number;
  readonly waitTimeSeconds: number;
  readonly schedulesEnabled: boolean;
  readonly localCloudWatchSeconds: number;
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
  readonly rendererHost: string;
  readonly rendererPort: number;
  readonly accessKeyId: string;
  readonly secretAccessKey: string;
  readonly invokeVia: string | undefined;
}

export interface ReadOptions {
  /**
   * Also check the rules between settings (batch size and window, visibility and
   * function timeout, distinct ports): true for `npm start`, which deploys them
   * locally; a tool only needs each value it reads to be valid.
   */
  readonly crossChecks?: boolean;
}

/** Every problem with `env`'s settings, one line each; empty when all are valid. Pure. */
export function checkLocalSettings(env: Env, options: ReadOptions = {}): string[] {
  return read(env, options).problems;
}

/** Reads and checks every setting, the functions' and the local cloud's; throws a SettingsError naming every bad one. */
export function readLocalSettings(env: Env = process.env, options: ReadOptions = {}): LocalSettings {
  const { settings, problems } = read(env, options);
  if (settings === undefined) throw new SettingsError(problems);
  return settings;
}

/**
 * One setting alone, checked, for a tool that needs only it: its value, or undefined
 * when unset with no default. Throws a SettingsError naming it when bad.
 */
export function readLocalSetting<K extends keyof typeof ALL_SETTINGS>(
  key: K,
  env: Env = process.env,
): SettingValue<(typeof ALL_SETTINGS)[K]> | undefined {
  const read = readOne(ALL_SETTINGS[key], env);
  if (typeof read === 'string') throw new SettingsError([read]);
  return read?.value as SettingValue<(typeof ALL_SETTINGS)[K]> | undefined;
}

/** Whether the environment gives the setting a value (its default is not what applies). */
export function isGiven(key: keyof typeof ALL_SETTINGS, env: Env = process.env): boolean {
  return isSet(env, ALL_SETTINGS[key]);
}

function read(env: Env, { crossChecks: withCrossChecks = true }: ReadOptions): { settings: LocalSettings | undefined; problems: string[] } {
  const runtime = readTable(SETTINGS, env);
  const local = readTable(LOCAL_SETTINGS, env);
  const problems = [...runtime.problems, ...local.problems];
  if (withCrossChecks) problems.push(...crossChecks({ ...runtime.values, ...local.values }));
  if (problems.length > 0) return { settings: undefined, problems };
  const v = local.values as LocalValues;
  return {
    problems,
    settings: { ...settingsOf(runtime.values), ...v, apiAllowedOrigins: v.apiAllowedOrigins ?? [], invokeVia: v.invokeVia },
  };
}

/** Rules between settings; each is checked only when the settings it compares are valid on their own. */
function crossChecks(v: SettingValues<typeof ALL_SETTINGS>): string[] {
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
