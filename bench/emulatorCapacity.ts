/**
 * What the emulator itself can do, as a yardstick for the pipeline: raw
 * SendMessageBatch(10) → ReceiveMessage(10) → DeleteMessageBatch cycles on a scratch
 * queue, kept shallow (each worker has at most ten messages in it), straight to
 * moto, one record to a message. The pipeline does three such cycles (features,
 * y_true, y_pred) per message plus its S3 work, but packs up to a hundred records to
 * a message, so its records per second are not bounded by this figure: the ratio
 * shows how far the pipeline is from what the emulator's SQS can move.
 */

import { randomBytes } from 'node:crypto';
import {
  CreateQueueCommand,
  DeleteMessageBatchCommand,
  DeleteQueueCommand,
  ReceiveMessageCommand,
  SendMessageBatchCommand,
  type SQSClient,
} from '@aws-sdk/client-sqs';
import { localSqs } from '../infra/local/cloud/localClients.js';

export interface CapacityResult {
  readonly records: number;
  readonly wallMs: number;
  readonly recordsPerS: number;
  readonly concurrency: number;
  readonly requests: number;
}

/** A message the size of a features message (an id and ten numbers). */
function body(index: number): string {
  const numbers = Array.from({ length: 10 }, (_, i) => ((index * 31 + i * 17) % 1000) / 7);
  return JSON.stringify({
    id: `${String(Date.now()).padStart(13, '0')}-${'0'.repeat(8)}-${String(index % 10_000).padStart(4, '0')}`,
    body: numbers,
  });
}

async function cycle(sqs: SQSClient, queueUrl: string, first: number): Promise<number> {
  let requests = 1;
  await sqs.send(
    new SendMessageBatchCommand({
      QueueUrl: queueUrl,
      Entries: Array.from({ length: 10 }, (_, i) => ({ Id: `m${i}`, MessageBody: body(first + i) })),
    }),
  );
  let received = 0;
  // Another worker may take some of ours: every worker receives until it has ten, so the queue drains evenly.
  while (received < 10) {
    const out = await sqs.send(new ReceiveMessageCommand({ QueueUrl: queueUrl, MaxNumberOfMessages: 10 - received, WaitTimeSeconds: 1 }));
    requests++;
    const messages = out.Messages ?? [];
    if (messages.length === 0) continue;
    received += messages.length;
    await sqs.send(
      new DeleteMessageBatchCommand({
        QueueUrl: queueUrl,
        Entries: messages.map((m, i) => ({ Id: `d${i}`, ReceiptHandle: m.ReceiptHandle })),
      }),
    );
    requests++;
  }
  return requests;
}

export async function measureEmulatorCapacity(endpoint: string, records: number, concurrency = 4): Promise<CapacityResult> {
  const sqs = localSqs(endpoint);
  const name = `bench-capacity-${randomBytes(3).toString('hex')}`;
  const { QueueUrl } = await sqs.send(new CreateQueueCommand({ QueueName: name, Attributes: { VisibilityTimeout: '60' } }));
  const queueUrl = QueueUrl as string;
  try {
    const cycles = Math.ceil(records / 10);
    // A short warm-up: the first requests pay for connections and moto's lazy imports.
    for (let i = 0; i < 3; i++) await cycle(sqs, queueUrl, 0);
    let next = 0;
    let requests = 0;
    const started = performance.now();
    await Promise.all(
      Array.from({ length: concurrency }, async () => {
        while (next < cycles) {
          const index = next++;
          const used = await cycle(sqs, queueUrl, index * 10);
          requests += used;
        }
      }),
    );
    const wallMs = performance.now() - started;
    return { records: cycles * 10, wallMs, recordsPerS: (cycles * 10) / (wallMs / 1000), concurrency, requests };
  } finally {
    await sqs.send(new DeleteQueueCommand({ QueueUrl: queueUrl })).catch(() => undefined);
    sqs.destroy();
  }
}
