/**
 * The infrastructure file itself: `sls package` is run and the CloudFormation it
 * generates is linted with cfn-lint and checked for what production needs, and the
 * zips it builds for what they carry; once more with API_ALLOWED_ORIGINS, for the
 * HTTP API's CORS.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import AdmZip from 'adm-zip';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { METRICS_NAMESPACE } from '../../functions/commons/alerts/cloudWatchMetrics.js';
import { BUCKET_KEYS } from '../../functions/commons/storage/bucketKeys.js';
import { lambdaPlatform } from '../../infra/packaging/plugin.js';
import { BUCKET } from '../../infra/toolbox/localDefaults.js';
import { runSls, slsEnv } from '../../infra/toolbox/sls.js';
import { privateBuildFolder, removeBuildFolder } from '../helpers/serverlessConfig.js';

interface Template {
  Resources: Record<string, { Type: string; Properties: Record<string, any> }>;
}

const packageDir = mkdtempSync(join(tmpdir(), 'ml-monitor-package-'));
const templateFile = join(packageDir, 'cloudformation-template-update-stack.json');
let template: Template;
const buildFolder = privateBuildFolder();

/** `sls package` into `dir` with `env` on top of the test keys; returns the template's path. */
function packageService(dir: string, env: Record<string, string> = {}): string {
  runSls(['package', '--package', dir], {
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

beforeAll(() => {
  packageService(packageDir, { API_ALLOWED_ORIGINS: '' });
  template = JSON.parse(readFileSync(templateFile, 'utf8')) as Template;
}, 180_000);

afterAll(() => removeBuildFolder(buildFolder));

const ofType = (type: string) => Object.entries(template.Resources).filter(([, r]) => r.Type === type);

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

  it('expires dead-letter reasons with their messages, and aborts cut-short uploads', () => {
    const queues = ofType('AWS::SQS::Queue').map(([, r]) => r.Properties);
    const dlqRetentionDays = Math.max(...queues.filter((q) => q.QueueName.endsWith('-dlq')).map((q) => q.MessageRetentionPeriod)) / 86_400;

    const rules = template.Resources.DataBucket?.Properties.LifecycleConfiguration.Rules;

    expect(rules).toEqual([
      { Id: 'DeadLetterReasonsExpire', Status: 'Enabled', Prefix: BUCKET_KEYS.deadLetterReasons, ExpirationInDays: dlqRetentionDays },
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

  beforeAll(() => {
    allowedFile = packageService(mkdtempSync(join(tmpdir(), 'ml-monitor-package-cors-')), { API_ALLOWED_ORIGINS: origins.join(',') });
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
