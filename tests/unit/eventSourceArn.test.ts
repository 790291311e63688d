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
} from '../../infra/event-source/config.js';
import { interpretInvokeResponse } from '../../infra/event-source/lambdaInvoke.js';
import { interpretBatchResponse, toSqsRecord } from '../../infra/event-source/poller.js';

const resources = {
  FeaturesQueue: { Type: 'AWS::SQS::Queue', Properties: { QueueName: 'features' } },
  NamelessQueue: { Type: 'AWS::SQS::Queue', Properties: {} },
  Bucket: { Type: 'AWS::S3::Bucket', Properties: { BucketName: 'plots' } },
};

describe('queueNameFromArn', () => {
  it('takes the last segment of an SQS ARN', () => {
    expect(queueNameFromArn('arn:aws:sqs:us-east-1:123456789012:y_true')).toBe('y_true');
    expect(queueNameFromArn('arn:aws:sqs:eu-west-1:000000000000:jobs.fifo')).toBe('jobs.fifo');
  });

  it('rejects what is not an SQS ARN', () => {
    expect(() => queueNameFromArn('y_true')).toThrow(EventSourceConfigError);
    expect(() => queueNameFromArn('arn:aws:sns:us-east-1:123456789012:topic')).toThrow(/not an SQS queue ARN/);
  });
});

describe('resolveQueueName', () => {
  it('follows Fn::GetAtt in both spellings to the QueueName', () => {
    expect(resolveQueueName({ 'Fn::GetAtt': ['FeaturesQueue', 'Arn'] }, resources)).toBe('features');
    expect(resolveQueueName({ 'Fn::GetAtt': 'FeaturesQueue.Arn' }, resources)).toBe('features');
  });

  it('explains a GetAtt it cannot follow', () => {
    expect(() => resolveQueueName({ 'Fn::GetAtt': ['Missing', 'Arn'] }, resources)).toThrow(/not in resources.Resources/);
    expect(() => resolveQueueName({ 'Fn::GetAtt': ['NamelessQueue', 'Arn'] }, resources)).toThrow(/literal Properties.QueueName/);
    expect(() => resolveQueueName({ 'Fn::GetAtt': ['Bucket', 'Arn'] }, resources)).toThrow(/not an AWS::SQS::Queue/);
    expect(() => resolveQueueName({ 'Fn::GetAtt': ['FeaturesQueue', 'QueueUrl'] }, resources)).toThrow(/unsupported Fn::GetAtt/);
  });

  it('reads the literal name out of Fn::Sub and Fn::Join', () => {
    // biome-ignore lint/suspicious/noTemplateCurlyInString: CloudFormation Fn::Sub syntax
    expect(resolveQueueName({ 'Fn::Sub': 'arn:aws:sqs:${AWS::Region}:${AWS::AccountId}:predictions' }, resources)).toBe('predictions');
    expect(
      resolveQueueName({ 'Fn::Join': [':', ['arn:aws:sqs', { Ref: 'AWS::Region' }, { Ref: 'AWS::AccountId' }, 'plots']] }, resources),
    ).toBe('plots');
    // biome-ignore lint/suspicious/noTemplateCurlyInString: CloudFormation Fn::Sub syntax
    expect(() => resolveQueueName({ 'Fn::Sub': 'arn:aws:sqs:${AWS::Region}:${AWS::AccountId}:${Name}' }, resources)).toThrow(
      /last ARN segment must be a literal/,
    );
  });

  it('points out that Ref gives a URL, not an ARN', () => {
    expect(() => resolveQueueName({ Ref: 'FeaturesQueue' }, resources)).toThrow(/Fn::GetAtt/);
  });
});

describe('parseSqsEvent', () => {
  it('ignores other events and applies AWS defaults to the short form', () => {
    expect(parseSqsEvent({ http: { path: '/' } }, resources)).toBeUndefined();
    expect(parseSqsEvent({ sqs: 'arn:aws:sqs:us-east-1:123456789012:y_true' }, resources)).toEqual({
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
    expect(parseSqsEvent(event, resources)).toEqual({
      queueName: 'features',
      batchSize: 100,
      maximumBatchingWindowSeconds: 5,
      reportBatchItemFailures: true,
      enabled: false,
      maximumConcurrency: 3,
      hasFilterPatterns: true,
    });
  });

  it('enforces the limits AWS enforces', () => {
    const sqs = (extra: object) => ({ sqs: { arn: 'arn:aws:sqs:us-east-1:1:q', ...extra } });
    expect(() => parseSqsEvent(sqs({ batchSize: 0 }), resources)).toThrow(/batchSize/);
    expect(() => parseSqsEvent(sqs({ batchSize: 10_001, maximumBatchingWindow: 1 }), resources)).toThrow(/batchSize/);
    expect(() => parseSqsEvent(sqs({ batchSize: 11 }), resources)).toThrow(/at least 1 second/);
    expect(() => parseSqsEvent(sqs({ maximumBatchingWindow: 301 }), resources)).toThrow(/maximumBatchingWindow/);
    expect(() =>
      parseSqsEvent({ sqs: { arn: 'arn:aws:sqs:us-east-1:1:q.fifo', batchSize: 20, maximumBatchingWindow: 1 } }, resources),
    ).toThrow(/FIFO/);
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
    expect(
      collectMappings(service).map(({ functionKey, functionName, queueName, functionTimeoutSeconds }) => ({
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
    expect(() => collectMappings(broken)).toThrow(/functions\.features\.events sqs: /);
  });
});

describe('resolvePluginSettings', () => {
  it('defaults to AWS_ENDPOINT_URL, the provider region and AWS-like polling', () => {
    expect(resolvePluginSettings(undefined, 'eu-west-1', { AWS_ENDPOINT_URL: 'http://127.0.0.1:5000' })).toEqual({
      enabled: true,
      endpoint: 'http://127.0.0.1:5000',
      region: 'eu-west-1',
      pollers: 2,
      waitTimeSeconds: 20,
    });
    expect(resolvePluginSettings({}, undefined, {})).toMatchObject({ endpoint: 'http://localhost:4566', region: 'us-east-1' });
  });

  it('lets custom.sqsEventSource override everything and checks it', () => {
    const custom = { endpoint: 'http://moto:5000', region: 'us-west-2', pollers: 4, waitTimeSeconds: '1', enabled: false };
    expect(resolvePluginSettings(custom, 'eu-west-1', { AWS_ENDPOINT_URL: 'http://x' })).toEqual({
      enabled: false,
      endpoint: 'http://moto:5000',
      region: 'us-west-2',
      pollers: 4,
      waitTimeSeconds: 1,
    });
    expect(() => resolvePluginSettings({ waitTimeSeconds: 21 }, undefined, {})).toThrow(/waitTimeSeconds/);
    expect(() => resolvePluginSettings({ pollers: 0 }, undefined, {})).toThrow(/pollers/);
  });
});

describe('resolveLambdaEndpoint', () => {
  it('prefers --lambdaPort, then custom.serverless-offline, then 3002', () => {
    expect(resolveLambdaEndpoint({ lambdaPort: '4002' }, { lambdaPort: 5002 })).toBe('http://127.0.0.1:4002');
    expect(resolveLambdaEndpoint({}, { lambdaPort: 5002 })).toBe('http://127.0.0.1:5002');
    expect(resolveLambdaEndpoint({}, undefined)).toBe('http://127.0.0.1:3002');
  });

  it('reaches wildcard hosts through 127.0.0.1 and keeps specific ones', () => {
    expect(resolveLambdaEndpoint({ host: '0.0.0.0' }, undefined)).toBe('http://127.0.0.1:3002');
    expect(resolveLambdaEndpoint({}, { host: '10.0.0.5' })).toBe('http://10.0.0.5:3002');
    expect(resolveLambdaEndpoint({ host: '::1' }, undefined)).toBe('http://[::1]:3002');
  });
});

describe('interpretBatchResponse (AWS ReportBatchItemFailures rules)', () => {
  const ids = new Set(['a', 'b', 'c']);

  it('treats null, empty and missing lists as full success', () => {
    for (const response of [undefined, null, {}, { batchItemFailures: [] }, { batchItemFailures: null }]) {
      expect(interpretBatchResponse(response, ids)).toEqual({ ok: true, failedIds: new Set() });
    }
  });

  it('returns the reported ids', () => {
    const response = { batchItemFailures: [{ itemIdentifier: 'b' }, { itemIdentifier: 'b' }, { itemIdentifier: 'c' }] };
    expect(interpretBatchResponse(response, ids)).toEqual({ ok: true, failedIds: new Set(['b', 'c']) });
  });

  it('fails the whole batch on malformed entries or unknown ids', () => {
    for (const response of [
      'ok',
      { batchItemFailures: 'b' },
      { batchItemFailures: [{ itemIdentifier: '' }] },
      { batchItemFailures: [{ itemIdentifier: null }] },
      { batchItemFailures: [{ id: 'b' }] },
      { batchItemFailures: [{ itemIdentifier: 'zzz' }] },
    ]) {
      expect(interpretBatchResponse(response, ids).ok).toBe(false);
    }
  });
});

describe('interpretInvokeResponse (serverless-offline Invoke API answers)', () => {
  const headers = (init: Record<string, string> = {}) => new Headers(init);

  it('passes the handler result through, empty body as undefined', () => {
    expect(interpretInvokeResponse(200, headers(), '{"batchItemFailures":[]}')).toEqual({ ok: true, response: { batchItemFailures: [] } });
    expect(interpretInvokeResponse(200, headers(), '')).toEqual({ ok: true, response: undefined });
  });

  it('maps X-Amz-Function-Error and API errors to failures', () => {
    const unhandled = interpretInvokeResponse(
      200,
      headers({ 'X-Amz-Function-Error': 'Unhandled' }),
      JSON.stringify({ errorMessage: 'boom', errorType: 'Error', trace: [] }),
    );
    expect(unhandled).toEqual({ ok: false, error: 'Unhandled function error: boom' });
    const missing = interpretInvokeResponse(
      404,
      headers({ 'x-amzn-ErrorType': 'ResourceNotFoundException' }),
      JSON.stringify({ Message: 'Function not found: x', Type: 'User' }),
    );
    expect(missing).toEqual({ ok: false, error: 'Invoke API answered 404 ResourceNotFoundException: Function not found: x' });
  });
});

describe('toSqsRecord', () => {
  it('gives Lambda’s record shape, binary attributes in base64', () => {
    const record = toSqsRecord(
      {
        MessageId: 'm1',
        ReceiptHandle: 'r1',
        Body: 'hello',
        MD5OfBody: 'md5',
        Attributes: { ApproximateReceiveCount: '2', SentTimestamp: '1', SenderId: 'S', ApproximateFirstReceiveTimestamp: '2' },
        MessageAttributes: {
          kind: { DataType: 'String', StringValue: 'x' },
          blob: { DataType: 'Binary', BinaryValue: new Uint8Array([104, 105]) },
        },
      },
      'arn:aws:sqs:us-east-1:123456789012:q',
      'us-east-1',
    );
    expect(record).toEqual({
      messageId: 'm1',
      receiptHandle: 'r1',
      body: 'hello',
      attributes: { ApproximateReceiveCount: '2', SentTimestamp: '1', SenderId: 'S', ApproximateFirstReceiveTimestamp: '2' },
      messageAttributes: {
        kind: { stringValue: 'x', stringListValues: [], binaryListValues: [], dataType: 'String' },
        blob: { binaryValue: 'aGk=', stringListValues: [], binaryListValues: [], dataType: 'Binary' },
      },
      md5OfBody: 'md5',
      eventSource: 'aws:sqs',
      eventSourceARN: 'arn:aws:sqs:us-east-1:123456789012:q',
      awsRegion: 'us-east-1',
    });
  });
});
