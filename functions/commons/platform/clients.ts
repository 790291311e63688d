/**
 * AWS clients, each created once per cold start, one factory per service so a
 * bundle carries only the clients its function uses. Locally they point at the
 * emulator (AWS_ENDPOINT_URL); S3 then needs path-style addressing because neither
 * moto nor LocalStack resolves bucket subdomains of localhost.
 */
import { LambdaClient } from '@aws-sdk/client-lambda';
import { S3Client } from '@aws-sdk/client-s3';
import { SNSClient } from '@aws-sdk/client-sns';
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

/** Where a request that is taking long is reported: the function's logger. */
export interface SlowRequestReporter {
  warn(message: string, attributes: Record<string, unknown>): void;
}

/** A request to SQS or S3 this slow is worth a line: something is wrong with the endpoint or the network. */
const SLOW_REQUEST_MS = 5_000;

export function createSqsClient(config: ClientConfig, onSlow?: SlowRequestReporter): SQSClient {
  return reportSlowRequests(new SQSClient(commonSettings(config)), onSlow);
}

export function createS3Client(config: ClientConfig, onSlow?: SlowRequestReporter): S3Client {
  return reportSlowRequests(new S3Client({ ...commonSettings(config), forcePathStyle: config.awsEndpoint !== undefined }), onSlow);
}

/** maintain's, for the alerts topic. */
export function createSnsClient(config: ClientConfig, onSlow?: SlowRequestReporter): SNSClient {
  return reportSlowRequests(new SNSClient(commonSettings(config)), onSlow);
}

/** maintain's, to start plot once histogram.json changed: AWS's Lambda, or serverless-offline's Lambda endpoint locally. */
export function createLambdaClient(config: Pick<Config, 'region' | 'lambdaEndpoint'>): LambdaClient {
  return new LambdaClient({
    region: config.region,
    ...(config.lambdaEndpoint === undefined ? {} : { endpoint: config.lambdaEndpoint }),
    maxAttempts: 2,
  });
}

/** Says, once per request, when a command (retries included) has been waiting SLOW_REQUEST_MS. */
function reportSlowRequests<T extends SQSClient | S3Client | SNSClient>(client: T, onSlow: SlowRequestReporter | undefined): T {
  if (onSlow === undefined) return client;
  (client as SQSClient).middlewareStack.add(
    (next, context) => async (args) => {
      const started = Date.now();
      const timer = setTimeout(() => {
        onSlow.warn(`${context.commandName ?? 'A request'} has been waiting ${SLOW_REQUEST_MS / 1000} s for an answer`, {
          client: context.clientName,
          startedAt: new Date(started).toISOString(),
        });
      }, SLOW_REQUEST_MS);
      try {
        return await next(args);
      } finally {
        clearTimeout(timer);
      }
    },
    { step: 'initialize', name: 'reportSlowRequests' },
  );
  return client;
}
