/**
 * predictor (SQS `features`): answers each feature vector with the model's
 * prediction, under the same id, on `y_pred`. Sends are batched for the whole
 * invocation; a record whose answer could not be sent is reported failed.
 */
import type { Context, SQSBatchResponse, SQSEvent } from 'aws-lambda';
import modelArtefact from '../infra/model/model.json';
import { parseOrReject, processRecords } from './commons/batch.js';
import { createAwsClients } from './commons/clients.js';
import { readConfig } from './commons/config.js';
import { createLogger } from './commons/logger.js';
import { assertModel, predict } from './commons/model.js';
import { sendJsonMessages } from './commons/queues.js';
import { FeaturesMessage } from './commons/schemas.js';

const config = readConfig();
const { sqs } = createAwsClients(config);
const logger = createLogger('predictor');
const model = assertModel(modelArtefact);

export const handler = async (event: SQSEvent, context: Context): Promise<SQSBatchResponse> => {
  const predictions: { id: string; body: number }[] = [];
  const response = await processRecords(event, context, (record) => {
    const message = parseOrReject(FeaturesMessage, record, logger);
    predictions.push({ id: message.id, body: predict(model, message.body) });
  });
  // Sending fails as a whole (after retries inside); then every good record is retried.
  await sendJsonMessages(sqs, config.queues.yPred, predictions);
  logger.info('Predictions sent', { count: predictions.length, rejected: response.batchItemFailures.length });
  return response;
};
