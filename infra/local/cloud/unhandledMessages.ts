/**
 * Whether the pipeline has handled every message sent to it: the source queues' counts
 * (visible, in flight, delayed). Once they are all 0 nothing more can land in the log
 * but what the next compaction appends: a handled message is deleted and never comes
 * back. Tests and the bench wait for it before they count rows for duplicates.
 */
import { GetQueueAttributesCommand, GetQueueUrlCommand, type SQSClient } from '@aws-sdk/client-sqs';

/**
 * The pipeline's source queues in the order a record passes them: features (→ predictor
 * → y_pred) before y_pred, so that, read in this order, an empty one cannot fill again
 * from one read before it.
 */
export const SOURCE_QUEUES = ['features', 'y_pred', 'y_true'] as const;

const COUNTS = ['ApproximateNumberOfMessages', 'ApproximateNumberOfMessagesNotVisible', 'ApproximateNumberOfMessagesDelayed'] as const;

/** Messages of the source queues not handled yet: visible, in flight or delayed. */
export async function unhandledMessages(sqs: SQSClient): Promise<number> {
  let unhandled = 0;
  for (const name of SOURCE_QUEUES) {
    const { QueueUrl } = await sqs.send(new GetQueueUrlCommand({ QueueName: name }));
    const { Attributes = {} } = await sqs.send(new GetQueueAttributesCommand({ QueueUrl, AttributeNames: [...COUNTS] }));
    unhandled += COUNTS.reduce((sum, count) => sum + Number(Attributes[count] ?? 0), 0);
  }
  return unhandled;
}
