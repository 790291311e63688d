/**
 * Partial batch responses for SQS handlers, on Powertools' batch processor: each
 * record is handled on its own, a record that throws is reported in
 * `batchItemFailures` (so SQS redelivers it, then dead-letters it) and its
 * batch-mates go on. A batch in which every record fails is reported record by
 * record too, rather than thrown (Powertools' default), so the log names each one.
 */
import { BatchProcessor, EventType, processPartialResponse } from '@aws-lambda-powertools/batch';
import type { Logger } from '@aws-lambda-powertools/logger';
import type { Context, SQSBatchResponse, SQSEvent, SQSRecord } from 'aws-lambda';
import type { z } from 'zod';
import { InvalidMessageError } from './errors.js';
import { parseRecord, queueNameOf } from './schemas.js';

export async function processRecords(
  event: SQSEvent,
  context: Context,
  handleRecord: (record: SQSRecord) => Promise<void> | void,
): Promise<SQSBatchResponse> {
  // A processor per call: it keeps per-batch state, and calls can overlap in tests.
  const processor = new BatchProcessor(EventType.SQS);
  return (await processPartialResponse(event, handleRecord, processor, {
    context,
    throwOnFullBatchFailure: false,
  })) as SQSBatchResponse;
}

/** Parses a record, or logs one line naming queue, message id and reason, and throws. */
export function parseOrReject<T>(schema: z.ZodType<T>, record: SQSRecord, logger: Logger): T {
  try {
    return parseRecord(schema, record);
  } catch (error) {
    if (error instanceof InvalidMessageError) {
      logger.error('Message rejected', { queue: error.queue, messageId: error.messageId, reason: error.reason });
    } else {
      logger.error('Message rejected', { queue: queueNameOf(record), messageId: record.messageId, error });
    }
    throw error;
  }
}
