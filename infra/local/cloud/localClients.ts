/**
 * The one factory of AWS clients for the local tooling (bootstrap, probes, event
 * source, dlq tool, bench, tests), pointed at an emulator with the emulators' dummy
 * credentials. The SDK's own retries are kept short: the tools have their own
 * backoff (toolbox/retry.ts) and say what they wait for.
 */
import { S3Client } from '@aws-sdk/client-s3';
import { SNSClient } from '@aws-sdk/client-sns';
import { SQSClient } from '@aws-sdk/client-sqs';
import { DUMMY_CREDENTIALS, LOCAL_REGION } from '../toolbox/localDefaults.js';

export function localSqs(endpoint: string, region = LOCAL_REGION, maxAttempts = 2): SQSClient {
  return new SQSClient({ endpoint, region, credentials: DUMMY_CREDENTIALS, maxAttempts });
}

export function localS3(endpoint: string, region = LOCAL_REGION, maxAttempts = 2): S3Client {
  return new S3Client({ endpoint, region, credentials: DUMMY_CREDENTIALS, forcePathStyle: true, maxAttempts });
}

export function localSns(endpoint: string, region = LOCAL_REGION, maxAttempts = 2): SNSClient {
  return new SNSClient({ endpoint, region, credentials: DUMMY_CREDENTIALS, maxAttempts });
}
