/**
 * Lambda's side of the SQS event source contract, pure: the event it delivers for a
 * batch of received messages, and how it reads a ReportBatchItemFailures response.
 */
import type { Message, MessageAttributeValue } from '@aws-sdk/client-sqs';
import type { SQSEvent, SQSMessageAttributes, SQSRecord } from 'aws-lambda';
import { isRecord } from '../toolbox/isRecord.js';

/** Builds the event Lambda would deliver for these messages. */
export function toSqsEvent(messages: readonly Message[], queueArn: string, region: string): SQSEvent {
  return { Records: messages.map((message) => toSqsRecord(message, queueArn, region)) };
}

export function toSqsRecord(message: Message, queueArn: string, region: string): SQSRecord {
  const attributes = message.Attributes ?? {};
  const record: SQSRecord = {
    messageId: message.MessageId ?? '',
    receiptHandle: message.ReceiptHandle ?? '',
    body: message.Body ?? '',
    attributes: {
      ...attributes,
      ApproximateReceiveCount: attributes.ApproximateReceiveCount ?? '1',
      SentTimestamp: attributes.SentTimestamp ?? '',
      SenderId: attributes.SenderId ?? '',
      ApproximateFirstReceiveTimestamp: attributes.ApproximateFirstReceiveTimestamp ?? '',
    },
    messageAttributes: toLambdaMessageAttributes(message.MessageAttributes ?? {}),
    md5OfBody: message.MD5OfBody ?? '',
    eventSource: 'aws:sqs',
    eventSourceARN: queueArn,
    awsRegion: region,
  };
  if (message.MD5OfMessageAttributes) record.md5OfMessageAttributes = message.MD5OfMessageAttributes;
  return record;
}

/** SQS' `{ StringValue, BinaryValue: bytes, DataType }` → Lambda's camelCase shape with base64 binaries. */
function toLambdaMessageAttributes(attributes: Record<string, MessageAttributeValue>): SQSMessageAttributes {
  const base64 = (bytes: Uint8Array) => Buffer.from(bytes).toString('base64');
  const result: SQSMessageAttributes = {};
  for (const [name, value] of Object.entries(attributes)) {
    result[name] = {
      ...(value.StringValue !== undefined ? { stringValue: value.StringValue } : {}),
      ...(value.BinaryValue !== undefined ? { binaryValue: base64(value.BinaryValue) } : {}),
      stringListValues: value.StringListValues ?? [],
      binaryListValues: (value.BinaryListValues ?? []).map(base64),
      dataType: value.DataType ?? 'String',
    };
  }
  return result;
}

/**
 * AWS' rules for a ReportBatchItemFailures response: null, an empty object or an empty
 * list mean full success; anything malformed or naming an id not in the batch fails the
 * whole batch.
 */
export function interpretBatchResponse(
  response: unknown,
  batchIds: ReadonlySet<string>,
): { ok: true; failedIds: Set<string> } | { ok: false; reason: string } {
  if (response === undefined || response === null) return { ok: true, failedIds: new Set() };
  if (!isRecord(response)) return { ok: false, reason: `response is ${JSON.stringify(response)}, not an object` };
  const failures = response.batchItemFailures;
  if (failures === undefined || failures === null) return { ok: true, failedIds: new Set() };
  if (!Array.isArray(failures)) return { ok: false, reason: 'batchItemFailures is not a list' };
  const failedIds = new Set<string>();
  for (const failure of failures) {
    const id = isRecord(failure) ? failure.itemIdentifier : undefined;
    if (typeof id !== 'string' || id === '') return { ok: false, reason: `bad entry ${JSON.stringify(failure)}` };
    if (!batchIds.has(id)) return { ok: false, reason: `itemIdentifier "${id}" is not a messageId of this batch` };
    failedIds.add(id);
  }
  return { ok: true, failedIds };
}
