/** serverless.yml → event-source settings: queue names behind `sqs` events, batching, the plugin's own settings. */
import { describe, expect, it } from 'vitest';
import {
  collectMappings,
  EventSourceConfigError,
  parseSqsEvent,
  queueNameFromArn,
  resolveLambdaEndpoint,
  resolvePluginSettings,
  resolveQueueName,
  type ServiceLike,
} from '../../../../../infra/local/event-source/config.js';

const resources = {
  FeaturesQueue: { Type: 'AWS::SQS::Queue', Properties: { QueueName: 'features' } },
  NamelessQueue: { Type: 'AWS::SQS::Queue', Properties: {} },
  Bucket: { Type: 'AWS::S3::Bucket', Properties: { BucketName: 'plots' } },
};

/** An `sqs` event in its long form on a literal ARN, with `extra` settings. */
function sqsEvent(extra: object, arn = 'arn:aws:sqs:us-east-1:1:q'): object {
  return { sqs: { arn, ...extra } };
}

describe('queueNameFromArn', () => {
  it.each([
    ['arn:aws:sqs:us-east-1:123456789012:y_true', 'y_true'],
    ['arn:aws:sqs:eu-west-1:000000000000:jobs.fifo', 'jobs.fifo'],
  ])('takes the last segment of %s', (arn, name) => {
    expect(queueNameFromArn(arn)).toBe(name);
  });

  it.each(['y_true', 'arn:aws:sns:us-east-1:123456789012:topic'])('rejects %s, which is not an SQS ARN', (arn) => {
    expect(() => queueNameFromArn(arn)).toThrow(
      new EventSourceConfigError(`"${arn}" is not an SQS queue ARN (expected arn:aws:sqs:<region>:<account>:<queue-name>)`),
    );
  });
});

describe('resolveQueueName', () => {
  it.each([[['FeaturesQueue', 'Arn']], ['FeaturesQueue.Arn']])('follows Fn::GetAtt %j to the QueueName', (getAtt) => {
    expect(resolveQueueName({ 'Fn::GetAtt': getAtt }, resources)).toBe('features');
  });

  it.each([
    [['Missing', 'Arn'], /not in resources.Resources/],
    [['NamelessQueue', 'Arn'], /literal Properties.QueueName/],
    [['Bucket', 'Arn'], /not an AWS::SQS::Queue/],
    [['FeaturesQueue', 'QueueUrl'], /unsupported Fn::GetAtt/],
  ])('explains why it cannot follow Fn::GetAtt %j', (getAtt, why) => {
    expect(() => resolveQueueName({ 'Fn::GetAtt': getAtt }, resources)).toThrow(why);
  });

  it('reads the literal name out of Fn::Sub', () => {
    // biome-ignore lint/suspicious/noTemplateCurlyInString: CloudFormation Fn::Sub syntax
    const arn = { 'Fn::Sub': 'arn:aws:sqs:${AWS::Region}:${AWS::AccountId}:predictions' };

    expect(resolveQueueName(arn, resources)).toBe('predictions');
  });

  it('reads the literal name out of Fn::Join', () => {
    const arn = { 'Fn::Join': [':', ['arn:aws:sqs', { Ref: 'AWS::Region' }, { Ref: 'AWS::AccountId' }, 'plots']] };

    expect(resolveQueueName(arn, resources)).toBe('plots');
  });

  it('refuses a name only known at deploy time', () => {
    // biome-ignore lint/suspicious/noTemplateCurlyInString: CloudFormation Fn::Sub syntax
    const arn = { 'Fn::Sub': 'arn:aws:sqs:${AWS::Region}:${AWS::AccountId}:${Name}' };

    expect(() => resolveQueueName(arn, resources)).toThrow(/last ARN segment must be a literal/);
  });

  it('points out that Ref gives a URL, not an ARN', () => {
    expect(() => resolveQueueName({ Ref: 'FeaturesQueue' }, resources)).toThrow(
      `{ Ref: "FeaturesQueue" } gives a queue URL, not an ARN; use { 'Fn::GetAtt': ["FeaturesQueue", 'Arn'] }`,
    );
  });
});

describe('parseSqsEvent', () => {
  it('ignores events that are not sqs', () => {
    expect(parseSqsEvent({ http: { path: '/' } }, resources)).toBeUndefined();
  });

  it('applies AWS defaults to the short form', () => {
    const settings = parseSqsEvent({ sqs: 'arn:aws:sqs:us-east-1:123456789012:y_true' }, resources);

    expect(settings).toEqual({
      queueName: 'y_true',
      batchSize: 10,
      maximumBatchingWindowSeconds: 0,
      reportBatchItemFailures: false,
      enabled: true,
      maximumConcurrency: undefined,
      hasFilterPatterns: false,
    });
  });

  it('reads the long form, numbers given as strings included', () => {
    const event = {
      sqs: {
        arn: { 'Fn::GetAtt': ['FeaturesQueue', 'Arn'] },
        batchSize: '100',
        maximumBatchingWindow: 5,
        functionResponseType: 'ReportBatchItemFailures',
        enabled: false,
        maximumConcurrency: 3,
        filterPatterns: [{ body: { kind: ['x'] } }],
      },
    };

    const settings = parseSqsEvent(event, resources);

    expect(settings).toEqual({
      queueName: 'features',
      batchSize: 100,
      maximumBatchingWindowSeconds: 5,
      reportBatchItemFailures: true,
      enabled: false,
      maximumConcurrency: 3,
      hasFilterPatterns: true,
    });
  });

  it.each([
    [{ batchSize: 0 }, 'batchSize must be an integer from 1 to 10000, got 0'],
    [{ batchSize: 10_001, maximumBatchingWindow: 1 }, 'batchSize must be an integer from 1 to 10000, got 10001'],
    [{ batchSize: 11 }, 'batchSize 11 (> 10) needs maximumBatchingWindow of at least 1 second, as on AWS'],
    [{ maximumBatchingWindow: 301 }, 'maximumBatchingWindow must be an integer from 0 to 300 seconds, got 301'],
  ])('enforces the limit AWS enforces on %j', (settings, message) => {
    expect(() => parseSqsEvent(sqsEvent(settings), resources)).toThrow(new EventSourceConfigError(message));
  });

  it('caps a FIFO queue at batches of 10, as AWS does', () => {
    const event = sqsEvent({ batchSize: 20, maximumBatchingWindow: 1 }, 'arn:aws:sqs:us-east-1:1:q.fifo');

    expect(() => parseSqsEvent(event, resources)).toThrow('batchSize must be an integer from 1 to 10 for a FIFO queue, got 20');
  });
});

describe('collectMappings', () => {
  const service: ServiceLike = {
    service: 'ml-monitor',
    provider: { stage: 'dev', timeout: 10 },
    resources: { Resources: resources },
    getAllFunctions: () => ['features', 'metric', 'plot'],
    getFunction: (key) =>
      ({
        features: { events: [{ schedule: 'rate(1 minute)' }] },
        metric: { name: 'ml-monitor-dev-metric', timeout: 20, events: [{ sqs: { arn: { 'Fn::GetAtt': ['FeaturesQueue', 'Arn'] } } }] },
        plot: { events: [{ sqs: { arn: 'arn:aws:sqs:us-east-1:1:plots', enabled: false } }, { sqs: 'arn:aws:sqs:us-east-1:1:plots2' }] },
      })[key] ?? {},
  };

  it('lists enabled sqs events with the deployed function name and timeout', () => {
    const mappings = collectMappings(service);

    expect(
      mappings.map(({ functionKey, functionName, queueName, functionTimeoutSeconds }) => ({
        functionKey,
        functionName,
        queueName,
        functionTimeoutSeconds,
      })),
    ).toEqual([
      { functionKey: 'metric', functionName: 'ml-monitor-dev-metric', queueName: 'features', functionTimeoutSeconds: 20 },
      { functionKey: 'plot', functionName: 'ml-monitor-dev-plot', queueName: 'plots2', functionTimeoutSeconds: 10 },
    ]);
  });

  it('names the function whose event is wrong', () => {
    const broken: ServiceLike = { ...service, getFunction: () => ({ events: [{ sqs: { arn: { Ref: 'FeaturesQueue' } } }] }) };

    expect(() => collectMappings(broken)).toThrow(/^functions\.features\.events sqs: \{ Ref: "FeaturesQueue" \} gives a queue URL/);
  });
});

describe('resolvePluginSettings', () => {
  it('defaults to AWS_ENDPOINT_URL, the provider region and AWS-like polling', () => {
    const settings = resolvePluginSettings(undefined, 'eu-west-1', { AWS_ENDPOINT_URL: 'http://127.0.0.1:5000' });

    expect(settings).toEqual({ enabled: true, endpoint: 'http://127.0.0.1:5000', region: 'eu-west-1', pollers: 2, waitTimeSeconds: 20 });
  });

  it('falls back to the local emulator and region', () => {
    const settings = resolvePluginSettings({}, undefined, {});

    expect(settings).toEqual({ enabled: true, endpoint: 'http://localhost:4566', region: 'us-east-1', pollers: 2, waitTimeSeconds: 20 });
  });

  it('lets custom.sqsEventSource override everything', () => {
    const custom = { endpoint: 'http://moto:5000', region: 'us-west-2', pollers: 4, waitTimeSeconds: '1', enabled: false };

    const settings = resolvePluginSettings(custom, 'eu-west-1', { AWS_ENDPOINT_URL: 'http://x' });

    expect(settings).toEqual({ enabled: false, endpoint: 'http://moto:5000', region: 'us-west-2', pollers: 4, waitTimeSeconds: 1 });
  });

  it.each([
    [{ waitTimeSeconds: 21 }, 'custom.sqsEventSource.waitTimeSeconds must be 0..20, got 21'],
    [{ pollers: 0 }, 'custom.sqsEventSource.pollers must be at least 1, got 0'],
  ])('refuses %j', (custom, message) => {
    expect(() => resolvePluginSettings(custom, undefined, {})).toThrow(new EventSourceConfigError(message));
  });
});

describe('resolveLambdaEndpoint', () => {
  it.each([
    ['--lambdaPort first', { lambdaPort: '4002' }, { lambdaPort: 5002 }, 'http://127.0.0.1:4002'],
    ['then custom.serverless-offline', {}, { lambdaPort: 5002 }, 'http://127.0.0.1:5002'],
    ['then 3002', {}, undefined, 'http://127.0.0.1:3002'],
    ['a wildcard host through 127.0.0.1', { host: '0.0.0.0' }, undefined, 'http://127.0.0.1:3002'],
    ['a specific host as it is', {}, { host: '10.0.0.5' }, 'http://10.0.0.5:3002'],
    ['an IPv6 host in brackets', { host: '::1' }, undefined, 'http://[::1]:3002'],
  ])('takes %s', (_, cliOptions, offlineCustom, endpoint) => {
    expect(resolveLambdaEndpoint(cliOptions, offlineCustom)).toBe(endpoint);
  });
});
