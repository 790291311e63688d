/** Whether the local cloud still has what the bootstrap created. */
import { HeadBucketCommand } from '@aws-sdk/client-s3';
import { GetQueueUrlCommand } from '@aws-sdk/client-sqs';
import type { BootstrapClients, BootstrapPlan } from './bootstrap.js';

const MISSING = new Set(['QueueDoesNotExist', 'AWS.SimpleQueueService.NonExistentQueue', 'NotFound', 'NoSuchBucket']);

/**
 * Names the first missing queue or bucket, or undefined when all are there.
 * Throws when the endpoint does not answer (that is an outage, not a gap).
 */
export async function describeCloudGap(plan: BootstrapPlan, clients: BootstrapClients): Promise<string | undefined> {
  try {
    for (const queue of plan.queues) {
      await clients.sqs.send(new GetQueueUrlCommand({ QueueName: queue.name })).catch((error: { name?: string }) => {
        if (MISSING.has(error.name ?? '')) throw new Gap(`queue ${queue.name}`);
        throw error;
      });
    }
    for (const bucket of plan.buckets) {
      await clients.s3.send(new HeadBucketCommand({ Bucket: bucket })).catch((error: { name?: string; $metadata?: { httpStatusCode?: number } }) => {
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
