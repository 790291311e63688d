/**
 * predictor (SQS `features`): answers each feature vector with the model's
 * prediction, under the same id and with the model's version, on `y_pred`, packed many
 * to a message and sent in as few requests as the whole invocation allows. A bad
 * message fails alone (batch item failure), a pack's bad records are set aside to the
 * dead-letter queue; but when sending fails (after retries) the whole batch fails and
 * comes back, and metric drops the predictions that had already been sent.
 */
import type { Context, SQSBatchResponse, SQSEvent } from 'aws-lambda';
import { type PartlyBadPack, processRecords, recordRejections, setAsideRejected } from './commons/messaging/batchResponse.js';
import { eventTimeOf, FeaturesMessage, parseRecords, sentTimestampOf } from './commons/messaging/messageSchemas.js';
import { sendRecords } from './commons/messaging/queues.js';
import { namedFeatures } from './commons/model/dataset.js';
import { assertModel, modelVersion, predict } from './commons/model/linearModel.js';
import modelArtefact from './commons/model/model.json';
import { createS3Client, createSqsClient } from './commons/platform/clients.js';
import { readConfig } from './commons/platform/config.js';
import { crashPoint } from './commons/platform/faults.js';
import { createLogger } from './commons/platform/logger.js';

const config = readConfig();
const logger = createLogger('predictor');
const sqs = createSqsClient(config, logger);
const s3 = createS3Client(config, logger);
const model = assertModel(modelArtefact);
const version = modelVersion(model);
const onReject = recordRejections({ s3, bucket: config.bucket, logger });
const setAside = setAsideRejected({ sqs, s3, bucket: config.bucket, logger });

export const handler = async (event: SQSEvent, context: Context): Promise<SQSBatchResponse> => {
  const predictions: { id: string; body: number; model: string; timestamp: number; features: Record<string, number> }[] = [];
  const partlyBad: PartlyBadPack[] = [];
  const response = await processRecords(
    event,
    context,
    (record) => {
      const { records, rejected } = parseRecords(FeaturesMessage, record);
      // The prediction is as old as the features it answers: a backlog does not move it to now.
      const sentAt = sentTimestampOf(record);
      for (const message of records) {
        predictions.push({
          id: message.id,
          body: predict(model, message.body),
          model: version,
          timestamp: eventTimeOf(message, sentAt),
          // The inputs travel with the prediction, so the monitor sees drift before the label comes.
          features: namedFeatures(message.body),
        });
      }
      if (rejected.length > 0) partlyBad.push({ record, rejected });
    },
    onReject,
  );
  // Sending fails as a whole (after retries inside) and every good message is retried;
  // predictions already sent are sent again, and metric drops the duplicates.
  await sendRecords(sqs, config.queues.yPred, predictions, () => crashPoint('predictor:after-first-send'));
  logger.info('Predictions sent', {
    count: predictions.length,
    rejected: response.batchItemFailures.length,
    setAside: partlyBad.reduce((sum, pack) => sum + pack.rejected.length, 0),
  });
  return setAside(partlyBad, response, context);
};
