/**
 * Sending to SQS: queue URLs resolved once per cold start, and every send batched
 * (SendMessageBatch takes ten entries), with the failed entries of a batch retried.
 * And how many messages queues hold (the dead-letter queues, for metrics.json).
 */
import { GetQueueAttributesCommand, GetQueueUrlCommand, SendMessageBatchCommand, type SQSClient } from '@aws-sdk/client-sqs';
import { MlMonitorError } from '../platform/errors.js';

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

export const SQS_BATCH_LIMIT = 10;
const SEND_ATTEMPTS = 3;

/**
 * Sends each body as JSON, ten to a request; throws if any message is still unsent
 * after retries. `afterChunk` runs after each request that succeeded (a test seam).
 */
export async function sendJsonMessages(
  sqs: SQSClient,
  queueName: string,
  bodies: readonly unknown[],
  afterChunk?: () => void,
): Promise<void> {
  if (bodies.length === 0) return;
  const url = await queueUrl(sqs, queueName);
  const chunks: unknown[][] = [];
  for (let i = 0; i < bodies.length; i += SQS_BATCH_LIMIT) chunks.push(bodies.slice(i, i + SQS_BATCH_LIMIT));
  await Promise.all(
    chunks.map(async (chunk) => {
      await sendChunk(sqs, url, queueName, chunk);
      afterChunk?.();
    }),
  );
}

async function sendChunk(sqs: SQSClient, url: string, queueName: string, chunk: readonly unknown[]): Promise<void> {
  let entries = chunk.map((body, index) => ({ Id: `m${index}`, MessageBody: JSON.stringify(body) }));
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
