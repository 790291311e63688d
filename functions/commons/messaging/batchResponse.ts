/**
 * Partial batch responses for SQS handlers, on Powertools' batch processor: each
 * record is handled on its own, a record that throws is reported in
 * `batchItemFailures` (so SQS redelivers it, then dead-letters it) and its
 * batch-mates go on. A batch in which every record fails is reported record by
 * record too, rather than thrown (Powertools' default), so each gets its reason.
 *
 * Every rejection leaves one log line naming queue, message id and reason, and the
 * same in S3 under dead-letters/reasons/, where `npm run dlq -- show` finds it once
 * the message is dead-lettered.
 *
 * A pack whose other records are good is not rejected: its bad records are set aside,
 * as one message straight to the queue's dead-letter queue with its reason, and the
 * good ones go on. Once per pack, however often SQS delivers it (setAsideClaim.ts).
 */
import { BatchProcessor, EventType, processPartialResponse } from '@aws-lambda-powertools/batch';
import type { Logger } from '@aws-lambda-powertools/logger';
import type { S3Client } from '@aws-sdk/client-s3';
import type { SQSClient } from '@aws-sdk/client-sqs';
import type { Context, SQSBatchResponse, SQSEvent, SQSRecord } from 'aws-lambda';
import { InvalidMessageError } from '../platform/errors.js';
import { putObject } from '../storage/s3Objects.js';
import { type DeadLetterReason, reasonKey } from './deadLetterReasons.js';
import { describeRejected, queueNameOf, type RejectedItem } from './messageSchemas.js';
import { sendMessage } from './queues.js';
import { claimSetAside, completeSetAside, releaseSetAside } from './setAsideClaimStore.js';
import { deadLetterQueueOf } from './sqsLimits.js';

export type RejectionHandler = (record: SQSRecord, error: unknown) => Promise<void>;

export async function processRecords(
  event: SQSEvent,
  context: Context,
  handleRecord: (record: SQSRecord) => Promise<void> | void,
  onReject: RejectionHandler,
): Promise<SQSBatchResponse> {
  // A processor per call: it keeps per-batch state, and calls can overlap in tests.
  const processor = new BatchProcessor(EventType.SQS);
  const handleOrReject = async (record: SQSRecord) => {
    try {
      await handleRecord(record);
    } catch (error) {
      await onReject(record, error);
      throw error;
    }
  };
  return (await processPartialResponse(event, handleOrReject, processor, {
    context,
    throwOnFullBatchFailure: false,
  })) as SQSBatchResponse;
}

interface RejectionOptions {
  readonly s3: S3Client;
  readonly bucket: string;
  readonly logger: Logger;
}

/** Logs a rejected record and records why in S3; a failure to record is logged, never thrown. */
export function recordRejections(options: RejectionOptions): RejectionHandler {
  return async function recordRejection(record, error) {
    const reason = error instanceof InvalidMessageError ? error.reason : ((error as Error)?.message ?? String(error));
    const receiveCount = receiveCountOf(record);
    options.logger.error('Message rejected', { queue: queueNameOf(record), messageId: record.messageId, reason, receiveCount });
    await keepReason(options, queueNameOf(record), record.messageId, reason, receiveCount);
  };
}

/** A message whose good records were taken and whose bad ones are to be set aside. */
export interface PartlyBadPack {
  readonly record: SQSRecord;
  readonly rejected: readonly RejectedItem[];
}

export type SetAsideHandler = (
  packs: readonly PartlyBadPack[],
  response: SQSBatchResponse,
  context: Pick<Context, 'getRemainingTimeInMillis'>,
) => Promise<SQSBatchResponse>;

/**
 * Sets the bad records of packs aside, once their good records are safely in: one
 * message per pack holding its bad records (a pack, in their order) sent to the source
 * queue's dead-letter queue, with its reason kept as for a rejected message, so
 * `npm run dlq` shows and redrives it like any dead letter.
 *
 * Once per pack: the pack is claimed in S3 under its SQS message id before the send,
 * so a delivery that finds it set aside sends nothing, and one that finds another
 * invocation setting it aside now lets it come back (by then it is done, or its holder
 * died and the claim has lapsed). A pack that cannot be set aside is reported as a batch
 * item failure and comes back whole (its good records are then duplicates, which the
 * join drops). One window remains, as with any send that is not transactional: a
 * holder that dies between the send and noting it is taken over once its deadline has
 * passed, and the bad records go out twice.
 */
export function setAsideRejected(options: RejectionOptions & { readonly sqs: SQSClient; readonly now?: () => number }): SetAsideHandler {
  const now = options.now ?? Date.now;
  return async function setAside(packs, response, context) {
    const failures = [...response.batchItemFailures];
    const deadline = now() + context.getRemainingTimeInMillis();
    for (const pack of packs) {
      if (!(await setAsideOnce(options, pack, deadline, now))) failures.push({ itemIdentifier: pack.record.messageId });
    }
    return { batchItemFailures: failures };
  };
}

/** True when the pack's bad records are in the dead-letter queue (now or earlier); false when the pack must come back. */
async function setAsideOnce(
  options: RejectionOptions & { readonly sqs: SQSClient },
  { record, rejected }: PartlyBadPack,
  deadline: number,
  now: () => number,
): Promise<boolean> {
  const queue = queueNameOf(record);
  const deadLetterQueue = deadLetterQueueOf(queue);
  const about = { queue, messageId: record.messageId };
  try {
    const claim = await claimSetAside(options.s3, options.bucket, { queue, sourceMessageId: record.messageId, deadline, now });
    if (claim.kind === 'done') {
      options.logger.info('Records already set aside', { ...about, deadLetterQueue, setAsideAs: claim.setAsideAs });
      return true;
    }
    if (claim.kind === 'held') {
      options.logger.warn('Records being set aside by another invocation: the message comes back', {
        ...about,
        holdUntil: claim.holdUntil,
      });
      return false;
    }
    const reason =
      `${rejected.length} bad record(s) set aside from message ${record.messageId}, whose other records were taken; ` +
      `[n] is each one's place in that message: ${describeRejected(rejected)}`;
    const messageId = await sendMessage(options.sqs, deadLetterQueue, JSON.stringify(rejected.map((r) => r.item))).catch(
      async (error: unknown) => {
        await releaseSetAside(options.s3, options.bucket, claim).catch(() => undefined); // else it lapses at our deadline
        throw error;
      },
    );
    options.logger.error('Records set aside', { ...about, deadLetterQueue, setAsideAs: messageId, reason });
    await completeSetAside(options.s3, options.bucket, claim, messageId).catch((error: unknown) => {
      // The records are out; only a delivery after our deadline could send them again.
      options.logger.warn('Could not note the set-aside', { ...about, setAsideAs: messageId, error: (error as Error).message });
    });
    await keepReason(options, queue, messageId, reason, receiveCountOf(record));
    return true;
  } catch (error) {
    options.logger.warn('Could not set bad records aside: the message comes back', { ...about, error: (error as Error).message });
    return false;
  }
}

function receiveCountOf(record: SQSRecord): number {
  return Number(record.attributes?.ApproximateReceiveCount ?? 0);
}

async function keepReason(
  options: RejectionOptions,
  queue: string,
  messageId: string,
  reason: string,
  receiveCount: number,
): Promise<void> {
  const entry: DeadLetterReason = { queue, messageId, reason, rejectedAt: new Date().toISOString(), receiveCount };
  try {
    await putObject(options.s3, options.bucket, reasonKey(queue, messageId), JSON.stringify(entry), 'application/json');
  } catch (writeError) {
    options.logger.warn('Could not record the rejection reason', { messageId, error: (writeError as Error).message });
  }
}
