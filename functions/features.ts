/**
 * features (scheduled): emits RECORDS_PER_RUN random rows of the data set, each under
 * a new id, as a feature vector to `features` and as its true answer to `y_true`.
 */
import datasetCsv from '../infra/model/diabetes.csv';
import { createSqsClient } from './commons/clients.js';
import { readConfig } from './commons/config.js';
import { parseDataset } from './commons/dataset.js';
import { pickRecords } from './commons/emission.js';
import { createLogger } from './commons/logger.js';
import { sendJsonMessages } from './commons/queues.js';

const config = readConfig();
const sqs = createSqsClient(config);
const logger = createLogger('features');
const dataset = parseDataset(datasetCsv);

export interface FeaturesResult {
  readonly emitted: readonly string[];
}

export const handler = async (): Promise<FeaturesResult> => {
  const records = pickRecords(dataset, config.recordsPerRun, Date.now());
  await Promise.all([
    sendJsonMessages(
      sqs,
      config.queues.features,
      records.map((r) => ({ id: r.id, body: r.features })),
    ),
    sendJsonMessages(
      sqs,
      config.queues.yTrue,
      records.map((r) => ({ id: r.id, body: r.target })),
    ),
  ]);
  logger.info('Records emitted', { count: records.length, first: records[0]?.id, last: records.at(-1)?.id });
  return { emitted: records.map((r) => r.id) };
};
