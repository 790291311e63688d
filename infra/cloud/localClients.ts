/**
 * AWS clients for the local tooling (bootstrap, event source, dlq tool, tests),
 * pointed at an emulator with the emulators' dummy credentials. The SDK's own
 * retries are kept short: the tools have their own backoff and say what they wait for.
 */
import { S3Client } from '@aws-sdk/client-s3';
import { SQSClient } from '@aws-sdk/client-sqs';

export const LOCAL_REGION = 'us-east-1';

/** Emulators accept any key; these are not secrets. */
const DUMMY_CREDENTIALS = {
  accessKeyId: process.env.AWS_ACCESS_KEY_ID ?? 'test',
  secretAccessKey: process.env.AWS_SECRET_ACCESS_KEY ?? 'test',
};

export function localSqs(endpoint: string, region = LOCAL_REGION): SQSClient {
  return new SQSClient({ endpoint, region, credentials: DUMMY_CREDENTIALS, maxAttempts: 2 });
}

export function localS3(endpoint: string, region = LOCAL_REGION): S3Client {
  return new S3Client({ endpoint, region, credentials: DUMMY_CREDENTIALS, forcePathStyle: true, maxAttempts: 2 });
}
