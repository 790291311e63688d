/**
 * ingest (HTTP API `POST /truths`, `POST /predictions`): takes true answers and
 * predictions from a person's own model and queues them on `y_true` / `y_pred`, the
 * same messages the pipeline's own producers send; the exactly-once join does the rest.
 * The rules are in commons/ingest/ingestRequest.ts: 202 `{"accepted": N}`, or the whole
 * request refused (400 with each bad item's index and reason, 413 over the limits, 415
 * for a body not declared application/json).
 * `PUT /references/{model}` takes a model version's reference rows, builds its
 * reference (drift/modelReference.ts) and stores it at `references/<model>.json`:
 * 201 with a summary, or refused by the same body rules (commons/ingest/referenceRequest.ts).
 * On AWS the routes take only IAM-signed requests (serverless.yml).
 */
import type { APIGatewayProxyEventV2, APIGatewayProxyStructuredResultV2 } from 'aws-lambda';
import { buildModelReference, referenceKey } from './commons/drift/modelReference.js';
import { acceptedBody, type IngestKind, readIngestRequest } from './commons/ingest/ingestRequest.js';
import { readReferenceRequest, referenceSummary } from './commons/ingest/referenceRequest.js';
import { sendRecords } from './commons/messaging/queues.js';
import { createS3Client, createSqsClient } from './commons/platform/clients.js';
import { readConfig } from './commons/platform/config.js';
import { createLogger } from './commons/platform/logger.js';
import { putObject } from './commons/storage/s3Objects.js';

const config = readConfig();
const logger = createLogger('ingest');
const sqs = createSqsClient(config, logger);
const s3 = createS3Client(config, logger);

const ROUTES: Record<string, { kind: IngestKind; queue: string }> = {
  'POST /truths': { kind: 'truths', queue: config.queues.yTrue },
  'POST /predictions': { kind: 'predictions', queue: config.queues.yPred },
};

const REFERENCE_ROUTE = 'PUT /references/{model}';

export type IngestEvent = Pick<APIGatewayProxyEventV2, 'routeKey' | 'headers' | 'body' | 'isBase64Encoded' | 'pathParameters'>;

export const handler = async (event: IngestEvent): Promise<APIGatewayProxyStructuredResultV2> => {
  if (event.routeKey === REFERENCE_ROUTE) return await putReference(event);
  const route = ROUTES[event.routeKey];
  // API Gateway routes only these here; anything else is a wiring mistake.
  if (route === undefined) return answer(404, { errors: [{ reason: `no route ${event.routeKey}` }] });
  const decision = readIngestRequest(route.kind, event);
  if (!decision.ok) {
    logger.info('Request refused', {
      route: route.kind,
      status: decision.status,
      errors: decision.errors.length,
      first: decision.errors[0]?.reason,
    });
    return answer(decision.status, { errors: decision.errors });
  }
  try {
    await sendRecords(sqs, route.queue, decision.messages);
  } catch (error) {
    // Some may be queued: the client sends the request again, and the join drops what it already has.
    logger.error('Records not queued', { route: route.kind, count: decision.messages.length, error: error as Error });
    return answer(503, {
      error: `could not queue the ${decision.messages.length} record(s) on ${route.queue} (${(error as Error).message}); some may be queued: send the request again (duplicates are harmless)`,
    });
  }
  logger.info('Records queued', { route: route.kind, queue: route.queue, count: decision.messages.length });
  return answer(202, acceptedBody(decision.messages.length));
};

async function putReference(event: IngestEvent): Promise<APIGatewayProxyStructuredResultV2> {
  const decision = readReferenceRequest(event.pathParameters?.model, event);
  if (!decision.ok) {
    logger.info('Reference refused', { status: decision.status, errors: decision.errors.length, first: decision.errors[0]?.reason });
    return answer(decision.status, { errors: decision.errors });
  }
  const { reference, skipped } = buildModelReference(decision.model, decision.rows);
  const key = referenceKey(decision.model);
  try {
    await putObject(s3, config.bucket, key, JSON.stringify(reference), 'application/json');
  } catch (error) {
    logger.error('Reference not stored', { key, error: error as Error });
    return answer(503, { error: `could not store ${key} (${(error as Error).message}): send the request again` });
  }
  logger.info('Reference stored', { key, rows: reference.rows, features: reference.feature_names.length, skipped: skipped.length });
  return answer(201, referenceSummary(reference, skipped));
}

function answer(statusCode: number, body: unknown): APIGatewayProxyStructuredResultV2 {
  return {
    statusCode,
    headers: { 'content-type': 'application/json', ...(statusCode === 503 ? { 'retry-after': '1' } : {}) },
    body: JSON.stringify(body),
  };
}
