/**
 * dashboard (HTTP API `GET /`, `GET /{file}`): the page that shows the model's figures
 * at a glance, its script and Chart.js, and the documents it refreshes itself from
 * (commons/dashboard/routes.ts). It only reads the bucket. On AWS the routes take only
 * IAM-signed requests, like ingest's (serverless.yml; docs/monitoring.md, Dashboard).
 */
import { GetObjectCommand } from '@aws-sdk/client-s3';
import type { APIGatewayProxyEventV2, APIGatewayProxyStructuredResultV2 } from 'aws-lambda';
import { answerRoute, type BucketReader } from './commons/dashboard/routes.js';
import { createS3Client } from './commons/platform/clients.js';
import { readConfig } from './commons/platform/config.js';
import { createLogger } from './commons/platform/logger.js';
import { getText, isMissing } from './commons/storage/s3Objects.js';

const config = readConfig();
const logger = createLogger('dashboard');
const s3 = createS3Client(config, logger);

const bucket: BucketReader = {
  text: async (key) => (await getText(s3, config.bucket, key))?.text,
  async tail(key, bytes) {
    try {
      const response = await s3.send(new GetObjectCommand({ Bucket: config.bucket, Key: key, Range: `bytes=-${bytes}` }));
      return { text: (await response.Body?.transformToString('utf8')) ?? '', contentRange: response.ContentRange };
    } catch (error) {
      if (isMissing(error)) return undefined;
      throw error;
    }
  },
};

export type DashboardEvent = Pick<APIGatewayProxyEventV2, 'pathParameters'>;

export const handler = async (event: DashboardEvent): Promise<APIGatewayProxyStructuredResultV2> => {
  const file = event.pathParameters?.file ?? '';
  try {
    return await answerRoute(file, bucket);
  } catch (error) {
    logger.error('Dashboard read failed', { file, error: error as Error });
    return {
      statusCode: 503,
      headers: { 'content-type': 'application/json', 'retry-after': '5' },
      body: JSON.stringify({ error: `could not read the bucket (${(error as Error).message})` }),
    };
  }
};
