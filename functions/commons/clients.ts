/**
 * AWS clients, each created once per cold start, one factory per service so a
 * bundle carries only the clients its function uses. Locally they point at the
 * emulator (AWS_ENDPOINT_URL); S3 then needs path-style addressing because neither
 * moto nor LocalStack resolves bucket subdomains of localhost.
 */
import { S3Client } from '@aws-sdk/client-s3';
import { SQSClient } from '@aws-sdk/client-sqs';
import type { Config } from './config.js';

type ClientConfig = Pick<Config, 'awsEndpoint' | 'region'>;

function commonSettings(config: ClientConfig) {
  return {
    region: config.region,
    ...(config.awsEndpoint === undefined ? {} : { endpoint: config.awsEndpoint }),
    // Bounded retries: a long outage must fail the invocation so the queue retries it.
    maxAttempts: 4,
  };
}

export function createSqsClient(config: ClientConfig): SQSClient {
  return new SQSClient(commonSettings(config));
}

export function createS3Client(config: ClientConfig): S3Client {
  return new S3Client({ ...commonSettings(config), forcePathStyle: config.awsEndpoint !== undefined });
}
