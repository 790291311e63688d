/**
 * AWS clients, each created once per cold start. Locally they point at the emulator
 * (AWS_ENDPOINT_URL); S3 then needs path-style addressing because neither moto nor
 * LocalStack resolves bucket subdomains of localhost.
 */
import { S3Client } from '@aws-sdk/client-s3';
import { SQSClient } from '@aws-sdk/client-sqs';
import type { Config } from './config.js';

export interface AwsClients {
  readonly sqs: SQSClient;
  readonly s3: S3Client;
}

export function createAwsClients(config: Pick<Config, 'awsEndpoint' | 'region'>): AwsClients {
  const endpoint = config.awsEndpoint;
  const common = {
    region: config.region,
    ...(endpoint === undefined ? {} : { endpoint }),
    // Bounded retries: a long outage must fail the invocation so the queue retries it.
    maxAttempts: 4,
  };
  return {
    sqs: new SQSClient(common),
    s3: new S3Client({ ...common, forcePathStyle: endpoint !== undefined }),
  };
}
