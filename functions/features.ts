/**
 * features (scheduled): emits RECORDS_PER_RUN random rows of the data set, each under
 * a new id, as a feature vector to `features` and as its true answer to `y_true`.
 * On slow queues it stops starting new batches before its timeout and says which
 * records it sent, which it did not, and which are half-sent (see emitRecords).
 */
import type { Context } from 'aws-lambda';
import { type EmissionOutcome, emitRecords, pickRecords } from './commons/messaging/emission.js';
import { sendRecords } from './commons/messaging/queues.js';
import { parseDataset } from './commons/model/dataset.js';
import datasetCsv from './commons/model/diabetes.csv';
import { createSqsClient } from './commons/platform/clients.js';
import { readConfig } from './commons/platform/config.js';
import { createLogger } from './commons/platform/logger.js';

const config = readConfig();
const logger = createLogger('features');
const sqs = createSqsClient(config, logger);
const dataset = parseDataset(datasetCsv);

/** Batches (emission.ts) in flight at once: enough to keep the queues busy, few enough not to swamp an emulator. */
const CONCURRENT_BATCHES = 8;
/**
 * Time kept back from the function's timeout: for the batches still in flight, which
 * on a swamped emulator take seconds each, and because locally the timeout's clock
 * starts before the worker thread that runs us has loaded (forty cold starts at once
 * took seconds of it here).
 */
const MARGIN = { fraction: 0.5, minMs: 3_000 };

export type FeaturesResult = EmissionOutcome;

export const handler = async (_event: unknown, context?: Pick<Context, 'getRemainingTimeInMillis'>): Promise<FeaturesResult> => {
  const started = Date.now();
  const remaining = context?.getRemainingTimeInMillis() ?? 30_000;
  const records = pickRecords(dataset, config.recordsPerRun, started);
  const outcome = await emitRecords(
    records,
    {
      truths: (bodies) => sendRecords(sqs, config.queues.yTrue, bodies),
      features: (bodies) => sendRecords(sqs, config.queues.features, bodies),
    },
    { deadline: started + remaining - Math.max(MARGIN.minMs, remaining * MARGIN.fraction), concurrency: CONCURRENT_BATCHES },
  );
  const summary = { count: outcome.emitted.length, first: outcome.emitted[0], last: outcome.emitted.at(-1) };
  if (outcome.reason === undefined) {
    logger.info('Records emitted', summary);
  } else {
    logger.warn(`Sent ${outcome.emitted.length} of ${records.length} records: ${outcome.reason}`, {
      ...summary,
      notSent: outcome.notSent.length,
      // Their true answer is queued without a feature vector: each ends in orphans.csv.
      halfSent: outcome.halfSent,
    });
  }
  return outcome;
};
