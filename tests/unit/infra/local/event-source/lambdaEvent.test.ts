/** Lambda's side of the SQS contract: the record it delivers, and how it reads batchItemFailures. */
import { describe, expect, it } from 'vitest';
import { interpretBatchResponse, toSqsRecord } from '../../../../../infra/local/event-source/lambdaEvent.js';

describe('interpretBatchResponse (AWS ReportBatchItemFailures rules)', () => {
  const ids = new Set(['a', 'b', 'c']);

  it.each([undefined, null, {}, { batchItemFailures: [] }, { batchItemFailures: null }])('treats %j as full success', (response) => {
    expect(interpretBatchResponse(response, ids)).toEqual({ ok: true, failedIds: new Set() });
  });

  it('returns the reported ids, once each', () => {
    const response = { batchItemFailures: [{ itemIdentifier: 'b' }, { itemIdentifier: 'b' }, { itemIdentifier: 'c' }] };

    expect(interpretBatchResponse(response, ids)).toEqual({ ok: true, failedIds: new Set(['b', 'c']) });
  });

  it.each([
    ['ok', 'response is "ok", not an object'],
    [{ batchItemFailures: 'b' }, 'batchItemFailures is not a list'],
    [{ batchItemFailures: [{ itemIdentifier: '' }] }, 'bad entry {"itemIdentifier":""}'],
    [{ batchItemFailures: [{ itemIdentifier: null }] }, 'bad entry {"itemIdentifier":null}'],
    [{ batchItemFailures: [{ id: 'b' }] }, 'bad entry {"id":"b"}'],
    [{ batchItemFailures: [{ itemIdentifier: 'zzz' }] }, 'itemIdentifier "zzz" is not a messageId of this batch'],
  ])('fails the whole batch on %j', (response, reason) => {
    expect(interpretBatchResponse(response, ids)).toEqual({ ok: false, reason });
  });
});

describe('toSqsRecord', () => {
  it('gives Lambda’s record shape, binary attributes in base64', () => {
    const message = {
      MessageId: 'm1',
      ReceiptHandle: 'r1',
      Body: 'hello',
      MD5OfBody: 'md5',
      Attributes: { ApproximateReceiveCount: '2', SentTimestamp: '1', SenderId: 'S', ApproximateFirstReceiveTimestamp: '2' },
      MessageAttributes: {
        kind: { DataType: 'String', StringValue: 'x' },
        blob: { DataType: 'Binary', BinaryValue: new Uint8Array([104, 105]) },
      },
    };

    const record = toSqsRecord(message, 'arn:aws:sqs:us-east-1:123456789012:q', 'us-east-1');

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

  it('fills what an emulator leaves out with Lambda’s defaults', () => {
    const record = toSqsRecord({ MessageId: 'm2', ReceiptHandle: 'r2', Body: 'b' }, 'arn:aws:sqs:us-east-1:1:q', 'eu-west-1');

    expect(record.attributes).toEqual({
      ApproximateReceiveCount: '1',
      SentTimestamp: '',
      SenderId: '',
      ApproximateFirstReceiveTimestamp: '',
    });
    expect(record.messageAttributes).toEqual({});
    expect(record.md5OfBody).toBe('');
    expect(record.awsRegion).toBe('eu-west-1');
  });
});
