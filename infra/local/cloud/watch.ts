/** Whether the local cloud still has what the bootstrap created. */
import { HeadBucketCommand } from '@aws-sdk/client-s3';
import { GetQueueUrlCommand } from '@aws-sdk/client-sqs';
import type { BootstrapClients, BootstrapPlan } from './bootstrap.js';

const MISSING = new Set(['QueueDoesNotExist', 'AWS.SimpleQueueService.NonExistentQueue', 'NotFound', 'NoSuchBucket']);

/**
 * Names a missing queue or bucket, or undefined when all are there. One request
 * while all is well: an emulator that restarted empty has lost every queue, so the
 * last queue the bootstrap creates stands for all; only when it is missing are the
 * rest looked at. Throws when the endpoint does not answer (an outage, not a gap).
 */
export async function describeCloudGap(plan: BootstrapPlan, clients: BootstrapClients): Promise<string | undefined> {
  const sentinel = plan.queues.at(-1);
  if (sentinel !== undefined) {
    const missing = await clients.sqs.send(new GetQueueUrlCommand({ QueueName: sentinel.name })).then(
      () => false,
      (error: { name?: string }) => {
        if (MISSING.has(error.name ?? '')) return true;
        throw error;
      },
    );
    if (!missing) return undefined;
  }
  try {
    for (const queue of plan.queues) {
      await clients.sqs.send(new GetQueueUrlCommand({ QueueName: queue.name })).catch((error: { name?: string }) => {
        if (MISSING.has(error.name ?? '')) throw new Gap(`queue ${queue.name}`);
        throw error;
      });
    }
    for (const bucket of plan.buckets) {
      await clients.s3
        .send(new HeadBucketCommand({ Bucket: bucket }))
        .catch((error: { name?: string; $metadata?: { httpStatusCode?: number } }) => {
          if (MISSING.has(error.name ?? '') || error.$metadata?.httpStatusCode === 404) throw new Gap(`bucket ${bucket}`);
          throw error;
        });
    }
    return undefined;
  } catch (error) {
    if (error instanceof Gap) return error.message;
    throw error;
  }
}

class Gap extends Error {}
