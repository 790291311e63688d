/**
 * The infrastructure file itself: `sls package` is run and the CloudFormation it
 * generates is linted with cfn-lint and checked for what production needs, and the
 * zips it builds for what they carry; once more with API_ALLOWED_ORIGINS, for the
 * HTTP API's CORS. The logs' Glue tables are checked against the pieces' own key format
 * (pieces.ts), so the two cannot drift apart.
 */
import { execFile, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import AdmZip from 'adm-zip';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { METRICS_NAMESPACE } from '../../functions/commons/alerts/cloudWatchMetrics.js';
import { LOGS, type LogSpec } from '../../functions/commons/logs/logFiles.js';
import { hourPartition, pieceHeader, pieceKey } from '../../functions/commons/logs/pieces.js';
import { BUCKET_KEYS } from '../../functions/commons/storage/bucketKeys.js';
import { BUCKET, PROJECT_DIR, SERVICE, STAGE } from '../../infra/local/toolbox/localDefaults.js';
import { SERVERLESS_BIN, slsEnv } from '../../infra/local/toolbox/sls.js';
import { lambdaPlatform } from '../../infra/packaging/plugin.js';
import { privateBuildFolder, removeBuildFolder } from '../helpers/serverlessConfig.js';

interface Template {
  Resources: Record<string, { Type: string; Properties: Record<string, any> }>;
}

const packageDir = mkdtempSync(join(tmpdir(), 'ml-monitor-package-'));
const templateFile = join(packageDir, 'cloudformation-template-update-stack.json');
let template: Template;
const buildFolder = privateBuildFolder();

/**
 * `sls package` into `dir` with `env` on top of the test keys; returns the template's path.
 * Asynchronous (not runSls): on a loaded machine packaging outlasts the minute within
 * which vitest's worker must answer its runner, which a blocked event loop cannot.
 */
async function packageService(dir: string, env: Record<string, string> = {}): Promise<string> {
  await promisify(execFile)(process.execPath, [SERVERLESS_BIN, 'package', '--package', dir], {
    cwd: PROJECT_DIR,
    maxBuffer: 64 * 1024 * 1024,
    // QUICKCHART_URL unset, as on a deploy that does not name a chart server.
    env: slsEnv({
      AWS_ACCESS_KEY_ID: 'test',
      AWS_SECRET_ACCESS_KEY: 'test',
      ESBUILD_WORK_FOLDER: buildFolder,
      QUICKCHART_URL: undefined,
      ...env,
    }),
  });
  return join(dir, 'cloudformation-template-update-stack.json');
}

beforeAll(async () => {
  await packageService(packageDir, { API_ALLOWED_ORIGINS: '' });
  template = JSON.parse(readFileSync(templateFile, 'utf8')) as Template;
}, 180_000);

afterAll(() => removeBuildFolder(buildFolder));

const ofType = (type: string) => Object.entries(template.Resources).filter(([, r]) => r.Type === type);

/** The key prefix under which the Athena work group keeps its results (its OutputLocation in the bucket). */
function athenaResultsPrefix(): string {
  const [workGroup] = ofType('AWS::Athena::WorkGroup');
  const location: string = workGroup?.[1].Properties.WorkGroupConfiguration.ResultConfiguration.OutputLocation;
  return location.slice(`s3://${BUCKET}/`.length);
}

describe('the packaged CloudFormation', () => {
  it('passes cfn-lint', () => {
    const lint = spawnSync('cfn-lint', [templateFile], { encoding: 'utf8' });

    expect(lint.error, 'cfn-lint must be on PATH (pip install cfn-lint)').toBeUndefined();
    expect(lint.stdout + lint.stderr).toBe('');
    expect(lint.status).toBe(0);
  });

  it('gives each of features, y_true and y_pred a dead-letter queue and a visibility of at least six function timeouts', () => {
    const queues = Object.fromEntries(ofType('AWS::SQS::Queue').map(([id, r]) => [r.Properties.QueueName, { id, ...r.Properties }]));
    const longestTimeout = Math.max(
      ...ofType('AWS::Lambda::Function')
        .map(([, r]) => r.Properties.Timeout as number)
        .filter((t) => t <= 30),
    );

    for (const name of ['features', 'y_true', 'y_pred']) {
      const queue = queues[name];
      expect(queue.RedrivePolicy.deadLetterTargetArn).toEqual({ 'Fn::GetAtt': [queues[`${name}-dlq`].id, 'Arn'] });
      expect(queue.RedrivePolicy.maxReceiveCount).toBeGreaterThanOrEqual(3);
      expect(queue.VisibilityTimeout).toBeGreaterThanOrEqual(6 * longestTimeout);
    }
  });

  it('maps the SQS events with batch item failures reported', () => {
    const mappings = ofType('AWS::Lambda::EventSourceMapping').map(([, r]) => r.Properties);

    expect(mappings).toHaveLength(3);
    for (const mapping of mappings) expect(mapping.FunctionResponseTypes).toEqual(['ReportBatchItemFailures']);
  });

  it('lets at most four metric runs write the join table at once', () => {
    const metric = ofType('AWS::Lambda::EventSourceMapping')
      .map(([, r]) => r.Properties)
      .filter((mapping) => JSON.stringify(mapping.FunctionName).includes('MetricLambdaFunction'));

    expect(metric.map((mapping) => mapping.ScalingConfig)).toEqual([{ MaximumConcurrency: 2 }, { MaximumConcurrency: 2 }]);
  });

  it('blocks public access to the bucket', () => {
    const bucket = template.Resources.DataBucket;

    expect(bucket?.Properties.BucketName).toBe(BUCKET);
    expect(bucket?.Properties.PublicAccessBlockConfiguration).toEqual({
      BlockPublicAcls: true,
      BlockPublicPolicy: true,
      IgnorePublicAcls: true,
      RestrictPublicBuckets: true,
    });
  });

  it("expires dead-letter reasons with their messages and Athena's results after a week, and aborts cut-short uploads", () => {
    const queues = ofType('AWS::SQS::Queue').map(([, r]) => r.Properties);
    const dlqRetentionDays = Math.max(...queues.filter((q) => q.QueueName.endsWith('-dlq')).map((q) => q.MessageRetentionPeriod)) / 86_400;

    const rules = template.Resources.DataBucket?.Properties.LifecycleConfiguration.Rules;

    expect(rules).toEqual([
      { Id: 'DeadLetterReasonsExpire', Status: 'Enabled', Prefix: BUCKET_KEYS.deadLetterReasons, ExpirationInDays: dlqRetentionDays },
      { Id: 'AthenaResultsExpire', Status: 'Enabled', Prefix: athenaResultsPrefix(), ExpirationInDays: 7 },
      { Id: 'AbortIncompleteUploads', Status: 'Enabled', AbortIncompleteMultipartUpload: { DaysAfterInitiation: 1 } },
    ]);
  });

  it('lets one maintain run at a time: the logs have one writer', () => {
    const maintain = ofType('AWS::Lambda::Function').find(([id]) => id.startsWith('Maintain'));

    expect(maintain?.[1].Properties.ReservedConcurrentExecutions).toBe(1);
  });

  it('grants no action on a wildcard resource', () => {
    const role = template.Resources.IamRoleLambdaExecution;
    const statements = role?.Properties.Policies.flatMap((p: any) => p.PolicyDocument.Statement);
    const ours = statements.filter((s: any) => [s.Action].flat().some((a: string) => a.startsWith('sqs:') || a.startsWith('s3:')));

    for (const statement of ours) {
      expect([statement.Resource].flat()).not.toContain('*');
      expect([statement.Action].flat().some((a: string) => a.endsWith(':*'))).toBe(false);
    }
  });

  it('gives maintain the alerts topic: its ARN, the alert rules with their defaults, and sns:Publish on that topic alone', () => {
    const topic = template.Resources.AlertsTopic;
    const maintain = ofType('AWS::Lambda::Function').find(([id]) => id.startsWith('Maintain'))?.[1];
    const statements = template.Resources.IamRoleLambdaExecution?.Properties.Policies.flatMap((p: any) => p.PolicyDocument.Statement);
    const sns = statements.filter((s: any) => [s.Action].flat().some((a: string) => a.startsWith('sns:')));

    expect(topic?.Type).toBe('AWS::SNS::Topic');
    expect(topic?.Properties.TopicName).toBe('ml-monitor-alerts-dev');
    expect(maintain?.Properties.Environment.Variables).toMatchObject({
      ALERTS_TOPIC_ARN: { Ref: 'AlertsTopic' },
      ALERT_WINDOW_MINUTES: '15',
      ALERT_MAE_ABOVE: 'off',
      ALERT_MAE_RATIO: '1.5',
      ALERT_COVERAGE_BELOW: '0.8',
      ALERT_MIN_ROWS: '30',
      ALERT_FOR_MINUTES: '3',
      ALERT_BASELINE_FROM: 'off',
      ALERT_BASELINE_TO: 'off',
      ALERT_DRIFT: 'on',
      ALERT_ESTIMATED_MAE_RATIO: '1.5',
      DRIFT_METHOD: 'auto',
      DRIFT_THRESHOLD: 'off',
      DRIFT_SHARE: '0.5',
      SEGMENT_BY: 'off',
    });
    expect(sns).toEqual([{ Effect: 'Allow', Action: ['sns:Publish'], Resource: { Ref: 'AlertsTopic' } }]);
  });

  it('alarms in CloudWatch when an alert rule fires, on the metric maintain publishes', () => {
    const alarms = ofType('AWS::CloudWatch::Alarm').map(([, r]) => r.Properties);

    expect(alarms).toEqual([
      expect.objectContaining({
        Namespace: METRICS_NAMESPACE,
        MetricName: 'AlertsFiring',
        Dimensions: [{ Name: 'service', Value: 'ml-monitor' }],
        Statistic: 'Maximum',
        Period: 60,
        Threshold: 1,
        ComparisonOperator: 'GreaterThanOrEqualToThreshold',
        TreatMissingData: 'notBreaching',
      }),
    ]);
  });

  it('closes the HTTP API to other origins: no CORS configuration, so API Gateway sends no CORS header', () => {
    const apis = ofType('AWS::ApiGatewayV2::Api');

    expect(apis).toHaveLength(1);
    expect(apis[0]?.[1].Properties).not.toHaveProperty('CorsConfiguration');
  });

  it('names no chart server for plot, nor any URL for a function: plot draws the histogram itself', () => {
    const functions = ofType('AWS::Lambda::Function');
    const plot = functions.find(([id]) => id.startsWith('Plot'))?.[1];

    expect(plot?.Properties.Environment.Variables.QUICKCHART_URL ?? '').toBe('');
    for (const [id, fn] of functions) expect(JSON.stringify(fn.Properties.Environment ?? {}), id).not.toMatch(/https?:\/\//);
  });
});

/** Fn::Join and Fn::Split evaluated, as CloudFormation does for the Glue database's name. */
function evaluate(value: unknown): unknown {
  if (typeof value !== 'object' || value === null) return value;
  const join = (value as { 'Fn::Join'?: [string, unknown] })['Fn::Join'];
  if (join) return (evaluate(join[1]) as string[]).map(evaluate).join(join[0]);
  const split = (value as { 'Fn::Split'?: [string, unknown] })['Fn::Split'];
  if (split) return (evaluate(split[1]) as string).split(split[0]);
  return value;
}

/**
 * The S3 location Athena's partition projection gives the hour of `epochMs`: the table's
 * storage.location.template with each partition key's projected value, formatted as its
 * projection says (a date pattern of yyyy, MM and dd; an integer's digits).
 */
function projectedLocation(parameters: Record<string, string>, keys: readonly string[], epochMs: number): string {
  const iso = new Date(epochMs).toISOString();
  const value = (key: string): string => {
    const type = parameters[`projection.${key}.type`];
    if (type === 'date') {
      const fields: Record<string, string> = { yyyy: iso.slice(0, 4), MM: iso.slice(5, 7), dd: iso.slice(8, 10) };
      return (parameters[`projection.${key}.format`] ?? '').replace(/yyyy|MM|dd/g, (field) => fields[field] as string);
    }
    // The hour, the one integer key: its number, padded to the projection's digits.
    if (type === 'integer')
      return String(new Date(epochMs).getUTCHours()).padStart(Number(parameters[`projection.${key}.digits`] ?? 1), '0');
    throw new Error(`projection.${key}.type is ${type}: this test projects dates and integers`);
  };
  const template = parameters['storage.location.template'] ?? '';
  const placeholders = [...template.matchAll(/\$\{(\w+)\}/g)].map((match) => match[1]);
  expect(placeholders).toEqual(keys);
  return template.replace(/\$\{(\w+)\}/g, (_, key: string) => value(key));
}

describe('the logs as Athena tables', () => {
  /** The column types a piece's columns (pieces.ts's pieceHeader) are read as. */
  const COLUMN_TYPES: Record<string, string> = {
    id: 'string',
    y_true: 'double',
    y_pred: 'double',
    absolute_error: 'double',
    half: 'string',
    value: 'double',
    first_seen: 'string',
    reason: 'string',
    model: 'string',
    predicted_at: 'string',
    labelled_at: 'string',
  };
  const tableOf = (spec: LogSpec) =>
    ofType('AWS::Glue::Table')
      .map(([, r]) => r.Properties)
      .find((table) => table.TableInput.Name === spec.name);
  /** The Hive keys of the pieces' partitions, as pieces.ts writes them (`date=…/hour=…/`). */
  const partitionKeys = [...hourPartition(0).matchAll(/([^/=]+)=[^/]*\//g)].map((match) => match[1] as string);

  it('names a Glue database for the service and stage in the characters Glue takes, holding both logs', () => {
    const databases = ofType('AWS::Glue::Database');

    expect(databases).toHaveLength(1);
    const [id, database] = databases[0] as [string, { Properties: Record<string, any> }];
    const name = evaluate(database.Properties.DatabaseInput.Name);
    expect(name).toBe(`${SERVICE}_${STAGE}`.replaceAll('-', '_'));
    expect(name).toMatch(/^[a-z0-9_]+$/);
    expect(ofType('AWS::Glue::Table').map(([, r]) => [r.Properties.TableInput.Name, r.Properties.DatabaseName])).toEqual(
      Object.values(LOGS).map((spec) => [spec.name, { Ref: id }]),
    );
  });

  it.each(Object.values(LOGS))("reads $name's pieces: their columns in order, the header skipped, an empty field NULL", (spec) => {
    const input = tableOf(spec)?.TableInput;
    const storage = input?.StorageDescriptor;

    expect(input?.TableType).toBe('EXTERNAL_TABLE');
    expect(storage?.Location).toBe(`s3://${BUCKET}/${spec.piecePrefix}`);
    expect(storage?.Columns).toEqual(
      pieceHeader(spec)
        .split(',')
        .map((name) => ({ Name: name, Type: COLUMN_TYPES[name] })),
    );
    expect(input?.Parameters['skip.header.line.count']).toBe('1');
    expect(storage?.SerdeInfo).toEqual({
      SerializationLibrary: 'org.apache.hadoop.hive.serde2.lazy.LazySimpleSerDe',
      Parameters: { 'field.delim': ',', 'serialization.format': ',', 'serialization.null.format': '' },
    });
    expect(storage?.InputFormat).toBe('org.apache.hadoop.mapred.TextInputFormat');
  });

  it.each(Object.values(LOGS))("projects $name's partitions where its pieces are: every hour of every day to today", (spec) => {
    const input = tableOf(spec)?.TableInput;
    const parameters: Record<string, string> = input?.Parameters ?? {};
    const hours = [Date.UTC(2024, 0, 1, 0, 5), Date.UTC(2025, 11, 31, 23, 59), Date.UTC(2026, 1, 28, 9, 30), Date.now()];

    expect(input?.PartitionKeys).toEqual(partitionKeys.map((name) => ({ Name: name, Type: 'string' })));
    expect(parameters).toMatchObject({
      'projection.enabled': 'true',
      'projection.date.type': 'date',
      'projection.date.format': 'yyyy-MM-dd',
      'projection.date.range': expect.stringMatching(/,NOW$/),
      'projection.date.interval': '1',
      'projection.date.interval.unit': 'DAYS',
      'projection.hour.type': 'integer',
      'projection.hour.range': '0,23',
      'projection.hour.digits': '2',
    });
    // The first day projected is no later than the earliest hour checked below.
    expect(Date.parse(parameters['projection.date.range']?.split(',')[0] ?? '')).toBeLessThanOrEqual(hours[0] as number);
    for (const hour of hours) {
      const piece = pieceKey(spec, hour);
      expect(projectedLocation(parameters, partitionKeys, hour)).toBe(`s3://${BUCKET}/${piece.slice(0, piece.lastIndexOf('/') + 1)}`);
    }
  });

  it("runs queries in a work group that keeps their results in the data bucket, encrypted, apart from the pipeline's keys", () => {
    const workGroups = ofType('AWS::Athena::WorkGroup').map(([, r]) => r.Properties);
    const prefix = athenaResultsPrefix();

    expect(workGroups).toHaveLength(1);
    expect(workGroups[0]?.Name).toBe(`${SERVICE}-${STAGE}`);
    expect(workGroups[0]?.WorkGroupConfiguration).toMatchObject({
      EnforceWorkGroupConfiguration: true,
      ResultConfiguration: { OutputLocation: `s3://${BUCKET}/${prefix}`, EncryptionConfiguration: { EncryptionOption: 'SSE_S3' } },
    });
    expect(prefix).toMatch(/^[a-z-]+\/$/);
    for (const key of Object.values(BUCKET_KEYS)) expect(key.startsWith(prefix) || prefix.startsWith(key), key).toBe(false);
  });

  it('gives the functions no Glue or Athena right: analysts query with their own credentials', () => {
    const statements = template.Resources.IamRoleLambdaExecution?.Properties.Policies.flatMap((p: any) => p.PolicyDocument.Statement);
    const actions: string[] = statements.flatMap((s: any) => [s.Action].flat());

    expect(actions.filter((action) => /^(glue|athena):/.test(action))).toEqual([]);
    expect(ofType('AWS::IAM::Role').map(([id]) => id)).toEqual(['IamRoleLambdaExecution']);
  });

  it('is what docs/operations.md queries: its database, tables and work group', () => {
    const doc = readFileSync(join(PROJECT_DIR, 'docs/operations.md'), 'utf8');
    const database = evaluate(ofType('AWS::Glue::Database')[0]?.[1].Properties.DatabaseInput.Name) as string;

    expect(doc).toContain(`--work-group ${SERVICE}-${STAGE} `);
    expect(doc).toContain(`FROM ${database}.${LOGS.metric_log.name}\n`);
    expect(doc).toContain(`Glue database \`${database.replace(STAGE, '<stage>')}\``);
  });
});

/** ELF's e_machine for each Lambda architecture. */
const ELF_MACHINE: Record<string, number> = { arm64: 183, x86_64: 62 };
const FUNCTIONS = ['features', 'predictor', 'metric', 'maintain', 'plot', 'ingest', 'dashboard'];

describe('the packaged functions', () => {
  const zipOf = (name: string) => new AdmZip(join(packageDir, `${name}.zip`));

  it("gives plot the canvas binary built for the Lambda's architecture on Linux (glibc), and the fonts", () => {
    const plot = ofType('AWS::Lambda::Function').find(([id]) => id.startsWith('Plot'))?.[1];
    const architecture = plot?.Properties.Architectures?.[0] ?? 'x86_64';
    const { cpu } = lambdaPlatform(architecture);
    const entries = zipOf('plot').getEntries();

    const binaries = entries.filter((entry) => entry.entryName.endsWith('.node'));
    expect(binaries.map((entry) => entry.entryName)).toEqual([`node_modules/@napi-rs/canvas-linux-${cpu}-gnu/skia.linux-${cpu}-gnu.node`]);
    const elf = (binaries[0] as AdmZip.IZipEntry).getData();
    expect(elf.subarray(0, 4).toString('latin1')).toBe('\x7fELF');
    expect(elf.readUInt16LE(18)).toBe(ELF_MACHINE[architecture]);
    expect(entries.map((entry) => entry.entryName)).toEqual(
      expect.arrayContaining([
        'node_modules/@napi-rs/canvas/index.js',
        'node_modules/dejavu-fonts-ttf/ttf/DejaVuSans.ttf',
        'node_modules/dejavu-fonts-ttf/ttf/DejaVuSans-Bold.ttf',
      ]),
    );
  });

  it("keeps plot within Lambda's limits: 50 MB zipped, 250 MB unzipped", () => {
    const unzipped = zipOf('plot')
      .getEntries()
      .reduce((sum, entry) => sum + entry.header.size, 0);

    expect(statSync(join(packageDir, 'plot.zip')).size).toBeLessThan(50 * 1024 * 1024);
    expect(unzipped).toBeLessThan(250 * 1024 * 1024);
  });

  it('keeps every function bundle under 1 MB, and the native canvas in plot alone', () => {
    for (const name of FUNCTIONS) {
      const entries = zipOf(name).getEntries();
      expect(entries.find((entry) => entry.entryName === `functions/${name}.js`)?.header.size, name).toBeLessThan(1_000_000);
      if (name !== 'plot') {
        expect(statSync(join(packageDir, `${name}.zip`)).size, name).toBeLessThan(1_000_000);
        expect(
          entries.filter((entry) => entry.entryName.startsWith('node_modules/')).map((entry) => entry.entryName),
          name,
        ).toEqual([]);
      }
    }
  });
});

describe('the packaged CloudFormation with API_ALLOWED_ORIGINS', () => {
  const origins = ['https://app.example.com', 'http://localhost:8080'];
  let allowed: Template;
  let allowedFile: string;

  beforeAll(async () => {
    allowedFile = await packageService(mkdtempSync(join(tmpdir(), 'ml-monitor-package-cors-')), { API_ALLOWED_ORIGINS: origins.join(',') });
    allowed = JSON.parse(readFileSync(allowedFile, 'utf8')) as Template;
  }, 180_000);

  it('opens the HTTP API to those origins alone, without credentials, and passes cfn-lint', () => {
    const apis = Object.values(allowed.Resources).filter((r) => r.Type === 'AWS::ApiGatewayV2::Api');
    const lint = spawnSync('cfn-lint', [allowedFile], { encoding: 'utf8' });

    expect(apis.map((api) => api.Properties.CorsConfiguration)).toEqual([
      {
        AllowOrigins: origins,
        AllowMethods: ['GET', 'POST'],
        AllowHeaders: ['content-type', 'authorization', 'x-amz-date', 'x-amz-security-token', 'x-amz-content-sha256'],
        ExposeHeaders: ['retry-after'],
        MaxAge: 600,
      },
    ]);
    expect(lint.stdout + lint.stderr).toBe('');
  });
});
