/**
 * Sending to SQS: queue URLs resolved once per cold start, records packed many to a
 * message (messageSchemas.ts says why), every send batched (SendMessageBatch takes ten
 * entries and 256 KiB), with the failed entries of a batch retried. And how many
 * messages queues hold (the dead-letter queues, for metrics.json).
 */
import {
  GetQueueAttributesCommand,
  GetQueueUrlCommand,
  SendMessageBatchCommand,
  SendMessageCommand,
  type SQSClient,
} from '@aws-sdk/client-sqs';
import { MlMonitorError } from '../platform/errors.js';
import { packRecords } from './messageSchemas.js';
import { groupIntoBatches } from './sqsLimits.js';

const urlCache = new Map<string, Promise<string>>();

export function queueUrl(sqs: SQSClient, queueName: string): Promise<string> {
  let url = urlCache.get(queueName);
  if (url === undefined) {
    url = sqs.send(new GetQueueUrlCommand({ QueueName: queueName })).then((out) => {
      if (!out.QueueUrl) throw new MlMonitorError(`queue ${queueName} has no URL`);
      return out.QueueUrl;
    });
    // A failed look-up (emulator still starting) must not be cached for the whole cold start.
    url.catch(() => urlCache.delete(queueName));
    urlCache.set(queueName, url);
  }
  return url;
}

const SEND_ATTEMPTS = 3;

/**
 * Sends records packed into messages (each a JSON array of up to
 * MAX_RECORDS_PER_MESSAGE), as few requests as SendMessageBatch's limits allow;
 * throws if any message is still unsent after retries. `afterRequest` runs after each
 * request that succeeded (a test seam).
 */
export async function sendRecords(
  sqs: SQSClient,
  queueName: string,
  records: readonly unknown[],
  afterRequest?: () => void,
): Promise<void> {
  if (records.length === 0) return;
  const url = await queueUrl(sqs, queueName);
  await Promise.all(
    batchRequests(packRecords(records).map((pack) => JSON.stringify(pack))).map(async (bodies) => {
      await sendBatch(sqs, url, queueName, bodies);
      afterRequest?.();
    }),
  );
}

/** Sends one message holding `body` as it is (the SDK retries what fails on the way); its SQS message id. */
export async function sendMessage(sqs: SQSClient, queueName: string, body: string): Promise<string> {
  const out = await sqs.send(new SendMessageCommand({ QueueUrl: await queueUrl(sqs, queueName), MessageBody: body }));
  if (!out.MessageId) throw new MlMonitorError(`SQS returned no message id for the message sent to ${queueName}`);
  return out.MessageId;
}

/** Groups message bodies into SendMessageBatch requests within its entry and byte limits, in order. */
export function batchRequests(bodies: readonly string[]): string[][] {
  return groupIntoBatches(bodies, (body) => Buffer.byteLength(body, 'utf8'));
}

async function sendBatch(sqs: SQSClient, url: string, queueName: string, bodies: readonly string[]): Promise<void> {
  let entries = bodies.map((body, index) => ({ Id: `m${index}`, MessageBody: body }));
  for (let attempt = 1; entries.length > 0; attempt++) {
    const out = await sqs.send(new SendMessageBatchCommand({ QueueUrl: url, Entries: entries }));
    const failed = new Set((out.Failed ?? []).map((failure) => failure.Id));
    entries = entries.filter((entry) => failed.has(entry.Id));
    if (entries.length > 0 && attempt >= SEND_ATTEMPTS) {
      const reasons = (out.Failed ?? []).map((f) => `${f.Code}: ${f.Message}`).join('; ');
      throw new MlMonitorError(`${entries.length} message(s) to ${queueName} not sent after ${attempt} attempts (${reasons})`);
    }
  }
}

/** Messages held by the queues, visible or in flight (SQS's approximate counts). */
export async function countMessages(sqs: SQSClient, queueNames: readonly string[]): Promise<number> {
  const counts = await Promise.all(
    queueNames.map(async (name) => {
      const out = await sqs.send(
        new GetQueueAttributesCommand({
          QueueUrl: await queueUrl(sqs, name),
          AttributeNames: ['ApproximateNumberOfMessages', 'ApproximateNumberOfMessagesNotVisible'],
        }),
      );
      return Number(out.Attributes?.ApproximateNumberOfMessages ?? 0) + Number(out.Attributes?.ApproximateNumberOfMessagesNotVisible ?? 0);
    }),
  );
  return counts.reduce((sum, count) => sum + count, 0);
}
