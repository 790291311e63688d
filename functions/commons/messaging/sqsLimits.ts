/**
 * SQS's own limits and this project's queue naming, written once, pure: the producers
 * (queues.ts), the consumers' checks (messageSchemas.ts), the HTTP API (ingest), the
 * local event source and `npm run dlq` all read them here.
 */

export const SQS_LIMITS = {
  /** Entries in one SendMessageBatch or DeleteMessageBatch, and messages in one ReceiveMessage. */
  batchEntries: 10,
  /** A message body, and all the bodies of one SendMessageBatch. */
  messageBytes: 256 * 1024,
  batchBytes: 256 * 1024,
} as const;

/** A queue's dead-letter queue is named after it, as serverless.yml names them: `y_true` → `y_true-dlq`. */
const DEAD_LETTER_SUFFIX = '-dlq';

export function deadLetterQueueOf(queue: string): string {
  return queue.endsWith(DEAD_LETTER_SUFFIX) ? queue : `${queue}${DEAD_LETTER_SUFFIX}`;
}

export function isDeadLetterQueue(queue: string): boolean {
  return queue.endsWith(DEAD_LETTER_SUFFIX);
}

/** The queue a dead-letter queue collects for: `y_true-dlq` → `y_true`. */
export function sourceQueueOf(deadLetterQueue: string): string {
  return isDeadLetterQueue(deadLetterQueue) ? deadLetterQueue.slice(0, -DEAD_LETTER_SUFFIX.length) : deadLetterQueue;
}

/**
 * Items in the order given, grouped into batch requests: at most `batchEntries` each,
 * and `batchBytes` of bodies (an item larger than that alone is a group of its own, for
 * the request to refuse with SQS's reason).
 */
export function groupIntoBatches<T>(items: readonly T[], bytesOf: (item: T) => number): T[][] {
  const groups: T[][] = [];
  let current: T[] = [];
  let bytes = 0;
  for (const item of items) {
    const size = bytesOf(item);
    if (current.length === SQS_LIMITS.batchEntries || (current.length > 0 && bytes + size > SQS_LIMITS.batchBytes)) {
      groups.push(current);
      current = [];
      bytes = 0;
    }
    current.push(item);
    bytes += size;
  }
  if (current.length > 0) groups.push(current);
  return groups;
}
