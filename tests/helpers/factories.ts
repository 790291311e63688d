/** Builders the tests share, in one place: the events the handlers receive, and fixtures a test file starts and stops. */
import { randomUUID } from 'node:crypto';
import type { Context, SQSEvent, SQSRecord } from 'aws-lambda';
import { afterAll, beforeAll } from 'vitest';

export function sqsRecord(body: unknown, options: { queue?: string; messageId?: string; raw?: boolean } = {}): SQSRecord {
  const queue = options.queue ?? 'y_true';
  const text = options.raw ? String(body) : JSON.stringify(body);
  return {
    messageId: options.messageId ?? randomUUID(),
    receiptHandle: randomUUID(),
    body: text,
    attributes: {
      ApproximateReceiveCount: '1',
      SentTimestamp: String(Date.now()),
      SenderId: 'test',
      ApproximateFirstReceiveTimestamp: String(Date.now()),
    },
    messageAttributes: {},
    md5OfBody: '',
    eventSource: 'aws:sqs',
    eventSourceARN: `arn:aws:sqs:us-east-1:000000000000:${queue}`,
    awsRegion: 'us-east-1',
  };
}

export function sqsEvent(records: SQSRecord[]): SQSEvent {
  return { Records: records };
}

export function lambdaContext(functionName = 'test'): Context {
  return {
    callbackWaitsForEmptyEventLoop: false,
    functionName,
    functionVersion: '$LATEST',
    invokedFunctionArn: `arn:aws:lambda:us-east-1:000000000000:function:${functionName}`,
    memoryLimitInMB: '256',
    awsRequestId: randomUUID(),
    logGroupName: `/aws/lambda/${functionName}`,
    logStreamName: 'test',
    getRemainingTimeInMillis: () => 30_000,
    done: () => undefined,
    fail: () => undefined,
    succeed: () => undefined,
  };
}

/**
 * Something started before the tests of a file (or describe block) and stopped after
 * them; the getter returns it.
 */
export function startedForTests<T extends { stop(): Promise<void> }>(start: () => Promise<T>, startMs = 240_000, stopMs = 60_000): () => T {
  let started: T | undefined;
  beforeAll(async () => {
    started = await start();
  }, startMs);
  afterAll(async () => {
    await started?.stop();
  }, stopMs);
  return () => started as T;
}

/** Every alert rule off, a window of 2 minutes and 10 rows to judge, no hold: tests turn on the rules they are about. */
export const ALERT_RULES_OFF = {
  windowMinutes: 2,
  maeAbove: undefined,
  maeRatio: undefined,
  coverageBelow: undefined,
  minRows: 10,
  forMinutes: 0,
  drift: false,
  estimatedMaeRatio: undefined,
} as const;
