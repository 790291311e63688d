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
 */
import { BatchProcessor, EventType, processPartialResponse } from '@aws-lambda-powertools/batch';
import type { Logger } from '@aws-lambda-powertools/logger';
import type { S3Client } from '@aws-sdk/client-s3';
import type { Context, SQSBatchResponse, SQSEvent, SQSRecord } from 'aws-lambda';
import { InvalidMessageError } from '../platform/errors.js';
import { putObject } from '../storage/s3Objects.js';
import { type DeadLetterReason, reasonKey } from './deadLetterReasons.js';
import { queueNameOf } from './messageSchemas.js';

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

/** Logs a rejected record and records why in S3; a failure to record is logged, never thrown. */
export function recordRejections(options: { s3: S3Client; bucket: string; logger: Logger }): RejectionHandler {
  return async function recordRejection(record, error) {
    const queue = queueNameOf(record);
    const reason = error instanceof InvalidMessageError ? error.reason : ((error as Error)?.message ?? String(error));
    const receiveCount = Number(record.attributes?.ApproximateReceiveCount ?? 0);
    options.logger.error('Message rejected', { queue, messageId: record.messageId, reason, receiveCount });
    const entry: DeadLetterReason = { queue, messageId: record.messageId, reason, rejectedAt: new Date().toISOString(), receiveCount };
    try {
      await putObject(options.s3, options.bucket, reasonKey(queue, record.messageId), JSON.stringify(entry), 'application/json');
    } catch (writeError) {
      options.logger.warn('Could not record the rejection reason', { messageId: record.messageId, error: (writeError as Error).message });
    }
  };
}
