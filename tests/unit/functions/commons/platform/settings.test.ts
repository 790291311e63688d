/**
 * The settings module: every variable's default, what each refuses and how it says
 * so (variable, bad value, what is allowed), all problems at once, and
 * docs/configuration.md's table naming every setting with the code's default and, for
 * each address and port, what answers there.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { readConfig } from '../../../../../functions/commons/platform/config.js';
import { ConfigurationError } from '../../../../../functions/commons/platform/errors.js';
import {
  SETTINGS as FUNCTION_SETTINGS,
  LOCAL_AWS_ENDPOINT,
  type SettingSpec,
  SettingsError,
} from '../../../../../functions/commons/platform/settings.js';
import {
  checkLocalSettings as checkSettings,
  LOCAL_SETTINGS,
  readLocalSetting as readSetting,
  readLocalSettings as readSettings,
  ALL_SETTINGS as SETTINGS,
} from '../../../../../infra/local/settings.js';
import { PROJECT_DIR } from '../../../../../infra/local/toolbox/localDefaults.js';

/** A bad value for every variable (LOGS_DIR takes any path), and a word of what the message says is allowed. */
const BAD_VALUES: Record<string, [string, RegExp]> = {
  AWS_ENDPOINT_URL: ['localhost:4566', /http:\/\/ or https:\/\/ URL/],
  AWS_REGION: ['Mars', /AWS region/],
  QUICKCHART_URL: ['ftp://charts', /http:\/\/ or https:\/\/ URL/],
  BUCKET_NAME: ['My_Bucket', /S3 bucket name/],
  RECORDS_PER_RUN: ['-1', /integer from 1 to 10000/],
  FUNCTION_TIMEOUT: ['0', /integer from 1 to 900 seconds/],
  SQS_VISIBILITY_TIMEOUT: ['1.5', /integer from 0 to 43200 seconds/],
  SQS_MAX_RECEIVE_COUNT: ['0', /integer from 1 to 1000/],
  SQS_BATCH_SIZE: ['10001', /integer from 1 to 10000/],
  SQS_BATCHING_WINDOW: ['301', /integer from 0 to 300 seconds/],
  SQS_POLLERS: ['none', /integer from 1 to 64/],
  SQS_WAIT_TIME_SECONDS: ['21', /integer from 0 to 20 seconds/],
  ORPHAN_TTL_SECONDS: ['1e3', /integer from 1 to 1209600/],
  SCHEDULES_ENABLED: ['yes', /one of true, false/],
  LOCAL_CLOUD_WATCH_SECONDS: ['0', /integer from 1 to 3600 seconds/],
  LOG_LEVEL: ['LOUD', /one of TRACE, DEBUG, INFO, WARN, ERROR, CRITICAL, SILENT/],
  LAMBDA_PORT: ['70000', /integer from 1 to 65535/],
  OFFLINE_HTTP_PORT: ['http', /integer from 1 to 65535/],
  OFFLINE_WEBSOCKET_PORT: ['-3001', /integer from 1 to 65535/],
  OFFLINE_HOST: ['local host', /host name or IP address/],
  API_ALLOWED_ORIGINS: ['https://app.example.com/dashboard', /comma-separated origins, each scheme:\/\/host\[:port\]/],
  ESBUILD_WORK_FOLDER: ['../elsewhere', /folder inside the project/],
  MOTO_FAST: ['yes', /one of 0, 1/],
  MOTO_PYTHON: ['python 3', /Python command/],
  RENDERER_HOST: ['local host', /host name or IP address/],
  RENDERER_PORT: ['0', /integer from 1 to 65535/],
  AWS_ACCESS_KEY_ID: ['a key', /access key id/],
  AWS_SECRET_ACCESS_KEY: ['a secret', /secret access key/],
  ML_MONITOR_INVOKE_VIA: ['127.0.0.1:3002', /http:\/\/ URL/],
  AWS_ENDPOINT_URL_LAMBDA: ['127.0.0.1:3002', /http:\/\/ or https:\/\/ URL/],
  ALERT_WINDOW_MINUTES: ['0', /integer from 1 to 720 minutes/],
  ALERT_MAE_ABOVE: ['-1', /off or a number from 0/],
  ALERT_MAE_RATIO: ['1', /off or a number greater than 1/],
  ALERT_COVERAGE_BELOW: ['1.5', /off or a number greater than 0 and at most 1/],
  ALERT_MIN_ROWS: ['0', /integer from 1 to 1000000/],
  ALERT_FOR_MINUTES: ['-1', /integer from 0 to 720 minutes/],
  ALERTS_TOPIC_ARN: ['alerts', /SNS topic ARN/],
  PLOT_FUNCTION_NAME: ['ml monitor plot', /Lambda function name/],
  ALERT_BASELINE_FROM: ['yesterday', /off or a time with its zone/],
  ALERT_BASELINE_TO: ['2026-11-27 06:00', /off or a time with its zone/],
  ALERT_DRIFT: ['yes', /one of on, off/],
  ALERT_ESTIMATED_MAE_RATIO: ['1', /off or a number greater than 1/],
  DRIFT_METHOD: ['chi2', /one of auto, ks, wasserstein, psi/],
  DRIFT_THRESHOLD: ['-0.1', /off or a number from 0/],
  DRIFT_SHARE: ['1.5', /off or a number greater than 0 and at most 1/],
  SEGMENT_BY: ['age:3', /off or features, comma-separated/],
  FEATURES_QUEUE: ['features queue', /SQS queue name/],
  Y_TRUE_QUEUE: ['y.true', /SQS queue name/],
  Y_PRED_QUEUE: ['x'.repeat(81), /SQS queue name/],
};

describe('readSettings', () => {
  it('gives the documented defaults with nothing set', () => {
    const settings = readSettings({});

    expect(settings).toMatchObject({
      awsEndpoint: undefined,
      logsDir: undefined,
      quickchartUrl: 'http://localhost:3400',
      bucket: 'ml-monitor-dev',
      recordsPerRun: 10,
      functionTimeoutSeconds: 30,
      visibilityTimeoutSeconds: 180,
      batchSize: 100,
      batchingWindowSeconds: 1,
      waitTimeSeconds: 20,
      schedulesEnabled: true,
      logLevel: 'INFO',
      lambdaPort: 3002,
      motoFast: true,
    });
  });

  it('treats an empty variable as unset', () => {
    expect(readSettings({ RECORDS_PER_RUN: '', LOG_LEVEL: '' })).toMatchObject({ recordsPerRun: 10, logLevel: 'INFO' });
  });

  it('knows a bad value for every variable', () => {
    expect(Object.keys(BAD_VALUES).sort()).toEqual(
      Object.values(SETTINGS)
        .map((setting) => setting.name)
        .filter((name) => name !== 'LOGS_DIR')
        .sort(),
    );
  });

  for (const [name, [value, allowed]] of Object.entries(BAD_VALUES)) {
    it(`refuses ${name}=${value.slice(0, 20)}, naming the variable, the value and what is allowed`, () => {
      const problems = checkSettings({ [name]: value });

      expect(problems).toHaveLength(1);
      expect(problems[0]).toContain(`${name}=${JSON.stringify(value)}`);
      expect(problems[0]).toMatch(allowed);
    });
  }

  it('reports every problem at once', () => {
    const attempt = () => readSettings({ RECORDS_PER_RUN: '-1', LOG_LEVEL: 'LOUD', LAMBDA_PORT: 'x' });

    expect(attempt).toThrow(SettingsError);
    expect(attempt).toThrow(/3 settings are not valid:\n {2}RECORDS_PER_RUN="-1".*\n {2}LOG_LEVEL="LOUD".*\n {2}LAMBDA_PORT="x"/);
  });

  it('accepts a batch over 10 only with a batching window, as AWS does', () => {
    expect(checkSettings({ SQS_BATCH_SIZE: '11', SQS_BATCHING_WINDOW: '0' })).toEqual([
      expect.stringMatching(/SQS_BATCH_SIZE=11 with SQS_BATCHING_WINDOW=0: .*at least 1 second/),
    ]);
    expect(checkSettings({ SQS_BATCH_SIZE: '10000', SQS_BATCHING_WINDOW: '1' })).toEqual([]);
    expect(checkSettings({ SQS_BATCH_SIZE: '10', SQS_BATCHING_WINDOW: '0' })).toEqual([]);
  });

  it('wants the visibility timeout at least the function timeout', () => {
    expect(checkSettings({ SQS_VISIBILITY_TIMEOUT: '20', FUNCTION_TIMEOUT: '30' })).toEqual([
      expect.stringMatching(/SQS_VISIBILITY_TIMEOUT=20 with FUNCTION_TIMEOUT=30: .*at least the function timeout/),
    ]);
    expect(checkSettings({ SQS_VISIBILITY_TIMEOUT: '10', FUNCTION_TIMEOUT: '10' })).toEqual([]);
  });

  it('wants every local port different', () => {
    expect(checkSettings({ LAMBDA_PORT: '4566' })).toEqual([
      'LAMBDA_PORT and AWS_ENDPOINT_URL both use port 4566: each needs its own port',
    ]);
    expect(checkSettings({ QUICKCHART_URL: 'http://127.0.0.1:3000' })).toEqual([
      'OFFLINE_HTTP_PORT and QUICKCHART_URL both use port 3000: each needs its own port',
    ]);
    expect(checkSettings({ QUICKCHART_URL: 'https://quickchart.io', LAMBDA_PORT: '443' })).toEqual([]);
  });

  it('reads the alert rules, a threshold being off or a number', () => {
    expect(readSettings({}).alerts).toEqual({
      windowMinutes: 15,
      maeAbove: undefined,
      maeRatio: 1.5,
      coverageBelow: 0.8,
      minRows: 30,
      forMinutes: 3,
      baseline: undefined,
      drift: true,
      estimatedMaeRatio: 1.5,
    });
    expect(readSettings({}).drift).toEqual({ method: 'auto', threshold: undefined, share: 0.5 });
    expect(readSettings({}).segmentBy).toEqual([]);
    expect(readSettings({ SEGMENT_BY: 'sex, age:4' }).segmentBy).toEqual([
      { name: 'sex', feature: 'sex' },
      { name: 'age:4', feature: 'age', cuts: 4 },
    ]);
    expect(readSettings({ DRIFT_METHOD: 'psi', DRIFT_THRESHOLD: '0.2', DRIFT_SHARE: 'off', ALERT_DRIFT: 'off' })).toMatchObject({
      drift: { method: 'psi', threshold: 0.2, share: undefined },
      alerts: { drift: false },
    });
    expect(readSettings({ ALERT_FOR_MINUTES: '0' }).alerts.forMinutes).toBe(0);
    expect(checkSettings({ ALERT_FOR_MINUTES: '721' })).toEqual([
      expect.stringMatching(/^ALERT_FOR_MINUTES="721": must be an integer from 0 to 720 minutes$/),
    ]);
    expect(checkSettings({ ALERT_FOR_MINUTES: '1.5' })).toEqual([expect.stringMatching(/ALERT_FOR_MINUTES/)]);
    expect(
      readSettings({ ALERT_MAE_ABOVE: '12.5', ALERT_MAE_RATIO: 'off', ALERT_COVERAGE_BELOW: 'OFF', ALERT_WINDOW_MINUTES: '1' }).alerts,
    ).toMatchObject({ windowMinutes: 1, maeAbove: 12.5, maeRatio: undefined, coverageBelow: undefined });
    expect(readSettings({ ALERT_BASELINE_FROM: '2026-11-27T06:00Z', ALERT_BASELINE_TO: '2026-11-27T08:00+01:00' }).alerts.baseline).toEqual(
      {
        from: Date.parse('2026-11-27T06:00Z'),
        to: Date.parse('2026-11-27T07:00Z'),
      },
    );
    expect(readSettings({ ALERTS_TOPIC_ARN: 'arn:aws:sns:us-east-1:123456789012:ml-monitor-alerts-dev' }).alertsTopicArn).toBe(
      'arn:aws:sns:us-east-1:123456789012:ml-monitor-alerts-dev',
    );
  });

  it('wants a pinned baseline period whole: both ends, the first before the second', () => {
    expect(checkSettings({ ALERT_BASELINE_FROM: '2026-11-27T06:00Z' })).toEqual([expect.stringMatching(/needs both/)]);
    expect(checkSettings({ ALERT_BASELINE_FROM: '2026-11-27T06:00Z', ALERT_BASELINE_TO: '2026-11-27T05:00Z' })).toEqual([
      expect.stringMatching(/ALERT_BASELINE_FROM must be before ALERT_BASELINE_TO/),
    ]);
  });

  it('closes the API to other origins unless API_ALLOWED_ORIGINS names them', () => {
    expect(readSettings({}).apiAllowedOrigins).toEqual([]);
    expect(
      readSettings({ API_ALLOWED_ORIGINS: 'https://app.example.com, http://localhost:8080,https://app.example.com' }).apiAllowedOrigins,
    ).toEqual(['https://app.example.com', 'http://localhost:8080']);
  });

  it.each([
    ['*', 'a wildcard'],
    ['null', 'the opaque origin'],
    ['https://app.example.com/', 'a trailing slash'],
    ['https://App.example.com', 'capitals, which a browser never sends'],
    ['https://app.example.com:443', 'the default port'],
    ['ftp://files.example.com', 'a scheme other than http or https'],
    ['app.example.com', 'no scheme'],
    ['https://app.example.com,', 'an empty entry'],
  ])('refuses API_ALLOWED_ORIGINS=%s: %s', (value) => {
    expect(checkSettings({ API_ALLOWED_ORIGINS: value })).toEqual([
      expect.stringContaining(`API_ALLOWED_ORIGINS=${JSON.stringify(value)}: must be`),
    ]);
  });

  it('reads one setting alone, naming it when bad', () => {
    expect(readSetting('apiAllowedOrigins', { API_ALLOWED_ORIGINS: 'http://127.0.0.1:8080', LOG_LEVEL: 'LOUD' })).toEqual([
      'http://127.0.0.1:8080',
    ]);
    expect(readSetting('apiAllowedOrigins', {})).toBeUndefined();
    expect(readSetting('logLevel', {})).toBe('INFO');
    expect(() => readSetting('apiAllowedOrigins', { API_ALLOWED_ORIGINS: '*' })).toThrow(SettingsError);
    expect(() => readSetting('apiAllowedOrigins', { API_ALLOWED_ORIGINS: '*' })).toThrow(
      /^a setting is not valid:\n {2}API_ALLOWED_ORIGINS="\*"/,
    );
  });

  it('reads log levels in any case and the queue names serverless.yml sets', () => {
    expect(readSettings({ LOG_LEVEL: 'debug', FEATURES_QUEUE: 'f-1' })).toMatchObject({ logLevel: 'DEBUG', queues: { features: 'f-1' } });
  });
});

describe('what the functions read', () => {
  it('is only what runs on AWS: no port, emulator, event source or deployment setting', () => {
    const functions = new Set(Object.values(FUNCTION_SETTINGS).map((setting) => setting.name));
    const local = Object.values(LOCAL_SETTINGS).map((setting) => setting.name);

    expect(local.filter((name) => functions.has(name))).toEqual([]);
    for (const name of ['LAMBDA_PORT', 'OFFLINE_HTTP_PORT', 'MOTO_FAST', 'ESBUILD_WORK_FOLDER', 'SQS_POLLERS', 'FUNCTION_TIMEOUT']) {
      expect(functions.has(name), name).toBe(false);
    }
    expect(readConfig({ LAMBDA_PORT: 'not a port', MOTO_FAST: 'maybe' }).recordsPerRun).toBe(10);
  });

  it('invokes Lambda where AWS_ENDPOINT_URL_LAMBDA says (the local cloud sets it), else on AWS', () => {
    expect(readConfig({}).lambdaEndpoint).toBeUndefined();
    expect(readConfig({ AWS_ENDPOINT_URL_LAMBDA: 'http://127.0.0.1:3002' }).lambdaEndpoint).toBe('http://127.0.0.1:3002');
  });
});

describe('readConfig', () => {
  it('fails the function at load with a configuration error naming the setting', () => {
    expect(() => readConfig({ RECORDS_PER_RUN: '-1' })).toThrow(ConfigurationError);
    expect(() => readConfig({ RECORDS_PER_RUN: '-1' })).toThrow(/RECORDS_PER_RUN="-1": must be an integer from 1 to 10000/);
  });

  it('leaves the rules between settings to npm start', () => {
    expect(readConfig({ FUNCTION_TIMEOUT: '300', SQS_BATCH_SIZE: '100' }).recordsPerRun).toBe(10);
  });

  it('gives the functions what they read', () => {
    expect(readConfig({ AWS_ENDPOINT_URL: 'http://127.0.0.1:4599', ORPHAN_TTL_SECONDS: '2' })).toMatchObject({
      awsEndpoint: 'http://127.0.0.1:4599',
      orphanTtlMs: 2_000,
      queues: { features: 'features', yTrue: 'y_true', yPred: 'y_pred' },
    });
  });

  it('names a chart server only when QUICKCHART_URL is set: unset or empty, plot draws the chart itself', () => {
    expect(readConfig({ QUICKCHART_URL: 'http://127.0.0.1:3499/' }).quickchartUrl).toBe('http://127.0.0.1:3499');
    expect(readConfig({}).quickchartUrl).toBeUndefined();
    expect(readConfig({ QUICKCHART_URL: '' }).quickchartUrl).toBeUndefined();
  });
});

describe("docs/configuration.md's table", () => {
  const doc = readFileSync(join(PROJECT_DIR, 'docs/configuration.md'), 'utf8');
  const rows = new Map(
    [...doc.matchAll(/^\| `([A-Z_]+)` \| ([^|]*) \| (.*) \|$/gm)].map(
      (match) => [match[1] as string, { default: match[2] as string, does: match[3] as string }] as const,
    ),
  );
  const documented = Object.values(SETTINGS).filter((setting) => setting.documented) as SettingSpec<unknown>[];
  /** Defaults the table words for people: where unset means something else than a value. */
  const WORDED: Record<string, string> = {
    AWS_ENDPOINT_URL: LOCAL_AWS_ENDPOINT,
    LOGS_DIR: './logs',
    BUCKET_NAME: 'ml-monitor-<stage>',
  };

  it('names every setting, and nothing else', () => {
    expect([...rows.keys()].sort()).toEqual(documented.map((setting) => setting.name).sort());
  });

  it("gives each setting the code's default", () => {
    for (const setting of documented) {
      const firstCode = /`([^`]*)`/.exec(rows.get(setting.name)?.default ?? '')?.[1];
      expect(firstCode, setting.name).toBe(WORDED[setting.name] ?? setting.default);
    }
  });

  it('says of each address and port what the settings module says answers there', () => {
    const addresses = documented.filter((setting) => setting.serves !== undefined);

    expect(addresses.map((setting) => setting.name).sort()).toEqual(
      ['AWS_ENDPOINT_URL', 'LAMBDA_PORT', 'OFFLINE_HTTP_PORT', 'OFFLINE_WEBSOCKET_PORT', 'QUICKCHART_URL', 'RENDERER_PORT'].sort(),
    );
    for (const setting of addresses) expect(rows.get(setting.name)?.does, setting.name).toContain(setting.serves);
  });

  it("serves on the HTTP port serverless.yml's routes, and on the WebSocket port nothing, as the module says", () => {
    const yml = readFileSync(join(PROJECT_DIR, 'serverless.yml'), 'utf8');
    const routes = [...yml.matchAll(/- httpApi:\n\s+method: (\w+)\n\s+path: (\S+)/g)].map((match) => `${match[1]} ${match[2]}`);

    expect(routes).toEqual(['POST /truths', 'POST /predictions', 'PUT /references/{model}', 'GET /', 'GET /{file}']);
    for (const route of ['POST /truths', '/predictions', 'PUT /references/{model}', 'GET /'])
      expect(SETTINGS.offlineHttpPort.serves).toContain(route);
    expect(yml).not.toMatch(/^\s*- websocket:/m);
    expect(SETTINGS.offlineWebsocketPort.serves).toBe('nothing listens on it');
  });
});

describe('serverless.yml', () => {
  const yml = readFileSync(join(PROJECT_DIR, 'serverless.yml'), 'utf8');
  /** Where serverless.yml's default is meant to differ: deployed, no chart server (plot draws the chart itself); the bucket follows the stage. */
  const DEPLOYED: Record<string, string> = { QUICKCHART_URL: '', BUCKET_NAME: `ml-monitor-\${sls:stage}` };

  it('falls back to the same defaults as the settings module', () => {
    const defaults = [...yml.matchAll(/\$\{env:([A-Z_]+), '?((?:\$\{[^}]*\}|[^}'])*)'?\}/g)].map((match) => [match[1], match[2]]);

    const known = new Set(Object.values(SETTINGS).map((setting) => setting.name));
    expect(defaults.length).toBeGreaterThan(15);
    expect(defaults.map(([name]) => name).filter((name) => !known.has(name as string))).toEqual([]);
    for (const [name, fallback] of defaults) {
      const setting = Object.values(SETTINGS).find((s) => s.name === name);
      expect(fallback, name).toBe(
        DEPLOYED[name as string] ?? setting?.default ?? (name === 'AWS_ENDPOINT_URL' ? LOCAL_AWS_ENDPOINT : undefined),
      );
    }
  });
});
