/**
 * Why a message was rejected: the record a handler writes to S3 each time it
 * reports a message as a batch item failure, and the dead-letter tool reads back.
 *
 * The handlers import `reasonKey` and `DeadLetterReason` from here, and this module
 * is bundled into them, so it holds only the shared contract: no Node-only APIs,
 * no CLI code.
 */
import type { S3Client } from '@aws-sdk/client-s3';
// zod/mini: this module is bundled into the handlers, where full zod costs ~440 KB.
import * as z from 'zod/mini';
import { BUCKET_KEYS } from '../storage/bucketKeys.js';
import { getText } from '../storage/s3Objects.js';

/**
 * `dead-letters/reasons/<source queue name>/<SQS messageId>.json`. Keyed by the
 * source queue (not the DLQ) because the handler only knows where it read the
 * message; SQS keeps the MessageId when it moves a message to the DLQ, so the tool
 * finds the record from the DLQ's copy.
 */
export function reasonKey(queue: string, messageId: string): string {
  return `${BUCKET_KEYS.deadLetterReasons}${keySegment('queue', queue)}/${keySegment('messageId', messageId)}.json`;
}

/**
 * `dead-letters/reasons/<source queue name>/set-aside/<SQS messageId>.json`: the claim
 * that a pack's bad records were (or are being) set aside, one per source message
 * (setAsideClaim.ts). Beside the reasons, so the same lifecycle rule expires it, 14
 * days on: longer than the source queues keep a message (4 days), so no delivery of
 * the pack outlives it. A message id holds no slash, so it never meets a reason's key.
 */
export function setAsideKey(queue: string, sourceMessageId: string): string {
  return `${BUCKET_KEYS.deadLetterReasons}${keySegment('queue', queue)}/set-aside/${keySegment('messageId', sourceMessageId)}.json`;
}

/** A slash would silently nest the key somewhere the reader never looks. */
function keySegment(what: string, value: string): string {
  if (value === '' || value.includes('/')) throw new Error(`${what} ${JSON.stringify(value)} cannot be part of a reason key`);
  return value;
}

export const DeadLetterReason = z.object({
  /** The source queue's name, e.g. `y_true`. */
  queue: z.string().check(z.minLength(1)),
  messageId: z.string().check(z.minLength(1)),
  /** Human-readable, e.g. `body: must be a finite number`. */
  reason: z.string(),
  /** ISO 8601, as `new Date().toISOString()` writes it. */
  rejectedAt: z.iso.datetime({ offset: true }),
  /** The delivery that was rejected (SQS's ApproximateReceiveCount at that moment). */
  receiveCount: z.int().check(z.nonnegative()),
});
export type DeadLetterReason = z.infer<typeof DeadLetterReason>;

/** A reason object exists but does not match the contract above. */
export class InvalidReasonRecordError extends Error {
  constructor(
    readonly key: string,
    detail: string,
  ) {
    super(`reason record ${key} is malformed: ${detail}`);
    this.name = 'InvalidReasonRecordError';
  }
}

/**
 * The recorded reason for `messageId` of `queue` (the source queue), or undefined
 * when none was written. Throws InvalidReasonRecordError when the object is not a
 * valid record, so a broken writer is noticed rather than read as "no reason".
 */
export async function readReason(s3: S3Client, bucket: string, queue: string, messageId: string): Promise<DeadLetterReason | undefined> {
  const key = reasonKey(queue, messageId);
  const stored = await getText(s3, bucket, key);
  if (stored === undefined) return undefined;
  let json: unknown;
  try {
    json = JSON.parse(stored.text);
  } catch (error) {
    throw new InvalidReasonRecordError(key, `not JSON (${(error as Error).message})`);
  }
  const parsed = DeadLetterReason.safeParse(json);
  if (!parsed.success) {
    throw new InvalidReasonRecordError(
      key,
      parsed.error.issues.map((issue) => `${issue.path.join('.') || 'record'}: ${issue.message}`).join('; '),
    );
  }
  return parsed.data;
}
