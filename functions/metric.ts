/**
 * metric (SQS `y_true` and `y_pred`, records one or many to a message): reads each
 * prediction's inputs as it comes (its estimated error, segments and drift, in
 * drift/arrivals.ts), upserts each half into the metric table in S3;
 * an id with both halves becomes one row of metric_log.csv, written as a log segment
 * that `maintain` appends to the file. Duplicated, reordered and late halves never
 * make a second row (see JoinTableStore).
 */
import type { Context, SQSBatchResponse, SQSEvent } from 'aws-lambda';
import { type ArrivalReading, type ArrivingPrediction, addingDrift, readInputs } from './commons/drift/arrivals.js';
import { keptDriftMinutes } from './commons/drift/driftBook.js';
import { assertModelReference } from './commons/drift/modelReference.js';
import { ReferenceStore } from './commons/drift/referenceStore.js';
import type { HalfKind } from './commons/join/joinTable.js';
import { JoinTableStore } from './commons/join/joinTableStore.js';
import { journalIn } from './commons/logs/journal.js';
import { type PartlyBadPack, processRecords, recordRejections, setAsideRejected } from './commons/messaging/batchResponse.js';
import { eventTimeOf, parseRecords, queueNameOf, ScalarMessage, sentTimestampOf } from './commons/messaging/messageSchemas.js';
import builtInReference from './commons/model/reference.json';
import { createS3Client, createSqsClient } from './commons/platform/clients.js';
import { readConfig } from './commons/platform/config.js';
import { ContendedWriteError } from './commons/platform/errors.js';
import { createLogger } from './commons/platform/logger.js';

const config = readConfig();
const logger = createLogger('metric');
const s3 = createS3Client(config, logger);
const sqs = createSqsClient(config, logger);
const store = new JoinTableStore({
  s3,
  bucket: config.bucket,
  orphanTtlMs: config.orphanTtlMs,
  // Locally, a copy of each segment survives an emulator that dies before maintain appends it.
  journal: journalIn(config.logsDir, logger),
});
/** Kept back from the timeout for writing the batch's segment after the table commit. */
const TIME_FOR_THE_SEGMENT_MS = 5_000;
const references = new ReferenceStore({
  s3,
  bucket: config.bucket,
  // The built-in model's reference is bundled; a user's versions' are read from the bucket.
  builtIn: assertModelReference(builtInReference),
  warn: (message) => logger.warn(message),
});
const reading: ArrivalReading = { referenceOf: (model) => references.get(model), segmentBy: config.segmentBy };
const withTheirDrift = addingDrift(reading, keptDriftMinutes(config.alerts.windowMinutes));
const onReject = recordRejections({ s3, bucket: config.bucket, logger });
const setAside = setAsideRejected({ sqs, s3, bucket: config.bucket, logger });

function halfKindOf(queueName: string): HalfKind {
  if (queueName === config.queues.yTrue) return 'y_true';
  if (queueName === config.queues.yPred) return 'y_pred';
  throw new Error(`metric is not subscribed to queue ${queueName}`);
}

export const handler = async (event: SQSEvent, context: Context): Promise<SQSBatchResponse> => {
  const halves: ArrivingPrediction[] = [];
  const partlyBad: PartlyBadPack[] = [];
  const response = await processRecords(
    event,
    context,
    (record) => {
      const kind = halfKindOf(queueNameOf(record));
      const { records, rejected } = parseRecords(ScalarMessage, record);
      const sentAt = sentTimestampOf(record);
      for (const message of records) {
        halves.push({
          kind,
          id: message.id,
          value: message.body,
          ...(kind === 'y_pred' && message.model !== undefined ? { model: message.model } : {}),
          at: eventTimeOf(message, sentAt),
          ...(kind === 'y_pred' && message.features !== undefined ? { features: message.features } : {}),
        });
      }
      if (rejected.length > 0) partlyBad.push({ record, rejected });
    },
    onReject,
  );
  if (halves.length === 0) return response;
  const withInputs = halves.filter((half) => half.features !== undefined);
  if (withInputs.length > 0)
    await references.refreshFor(
      withInputs.map((half) => half.model),
      Date.now(),
    );
  // A failure here throws: the whole batch comes back, and every step is safe to repeat.
  // So does losing races to other writers for too long: better than being cut off by the timeout.
  const outcome = await store
    .record(
      halves.map((half) => readInputs(half, reading)),
      Date.now() + context.getRemainingTimeInMillis() - TIME_FOR_THE_SEGMENT_MS,
      // The drift of the predictions the commit records, in its write: a half recorded once counts once.
      withTheirDrift,
    )
    .catch((error: unknown) => {
      if (error instanceof ContendedWriteError) {
        logger.warn('Metric table busy: batch left for redelivery', { halves: halves.length, attempts: error.attempts });
      }
      throw error;
    });
  for (const conflict of outcome.conflicts) logger.warn('Conflicting half ignored; the first value is kept', { ...conflict });
  for (const { record: _, ...orphan } of outcome.orphans) logger.warn('Half orphaned', orphan);
  logger.info('Halves recorded', {
    halves: halves.length,
    rows: outcome.newRows.length,
    duplicates: outcome.duplicates,
    orphans: outcome.orphans.length,
    pending: outcome.pending,
    rejected: response.batchItemFailures.length,
    setAside: partlyBad.reduce((sum, pack) => sum + pack.rejected.length, 0),
  });
  // Only now that the good halves are in; once per pack, however often it comes.
  return setAside(partlyBad, response, context);
};
