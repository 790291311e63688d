/**
 * Reading and conditionally writing S3 objects. Conditional writes (If-Match on the
 * ETag we read, If-None-Match: * when the object did not exist) make every
 * read-modify-write safe against concurrent invocations: the loser gets a
 * ConcurrentWriteError and retries from a fresh read.
 */
import { GetObjectCommand, HeadObjectCommand, PutObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import { ConcurrentWriteError, ContendedWriteError } from '../platform/errors.js';

export interface StoredText {
  readonly text: string;
  readonly etag: string;
}

interface AwsError {
  name?: string;
  $metadata?: { httpStatusCode?: number };
}

export function statusOf(error: unknown): number | undefined {
  return (error as AwsError)?.$metadata?.httpStatusCode;
}

/** The object is not there: GetObject says NoSuchKey, HeadObject NotFound, both 404. */
export function isMissing(error: unknown): boolean {
  const name = (error as AwsError)?.name;
  return name === 'NoSuchKey' || name === 'NotFound' || statusOf(error) === 404;
}

/** A conditional write lost: 412, the precondition failed; 409, a concurrent conditional write was in progress. */
export function isPreconditionFailed(error: unknown): boolean {
  const status = statusOf(error);
  return status === 412 || status === 409;
}

/** A conditional read (If-None-Match) found the object as we last read it. */
export function isNotModified(error: unknown): boolean {
  return statusOf(error) === 304;
}

export async function getText(s3: S3Client, bucket: string, key: string): Promise<StoredText | undefined> {
  try {
    const response = await s3.send(new GetObjectCommand({ Bucket: bucket, Key: key }));
    return {
      text: (await response.Body?.transformToString('utf8')) ?? '',
      etag: response.ETag ?? '',
    };
  } catch (error) {
    if (isMissing(error)) return undefined;
    throw error;
  }
}

export async function objectExists(s3: S3Client, bucket: string, key: string): Promise<boolean> {
  try {
    await s3.send(new HeadObjectCommand({ Bucket: bucket, Key: key }));
    return true;
  } catch (error) {
    if (isMissing(error)) return false;
    throw error;
  }
}

export interface PutCondition {
  /** ETag of the version we read, or undefined when we saw no object. */
  readonly expectedEtag: string | undefined;
}

/** Writes `body` only if the object is still as we read it; returns the new ETag. */
export async function putIfUnchanged(
  s3: S3Client,
  bucket: string,
  key: string,
  body: string | Uint8Array,
  condition: PutCondition,
  extra: { contentType?: string; metadata?: Record<string, string> } = {},
): Promise<string | undefined> {
  try {
    const out = await s3.send(
      new PutObjectCommand({
        Bucket: bucket,
        Key: key,
        Body: body,
        ContentType: extra.contentType,
        Metadata: extra.metadata,
        ...(condition.expectedEtag === undefined ? { IfNoneMatch: '*' } : { IfMatch: condition.expectedEtag }),
      }),
    );
    return out.ETag;
  } catch (error) {
    if (isPreconditionFailed(error)) throw new ConcurrentWriteError(key, { cause: error });
    throw error;
  }
}

export async function putObject(
  s3: S3Client,
  bucket: string,
  key: string,
  body: string | Uint8Array,
  contentType: string,
  metadata?: Record<string, string>,
): Promise<void> {
  await s3.send(new PutObjectCommand({ Bucket: bucket, Key: key, Body: body, ContentType: contentType, Metadata: metadata }));
}

/** How long retryOnConflict may go on, and what it says while it does. */
export interface RetryOptions {
  readonly maxAttempts?: number;
  /** Epoch ms: no retry is started whose backoff would end after this (the invocation's own deadline). */
  readonly deadline?: number;
}

/**
 * Runs `attempt` until it does not lose a race, with jittered backoff. Anything but
 * a ConcurrentWriteError is not retried here: it fails the invocation and SQS retries.
 * With a deadline, it gives up in time (ContendedWriteError) rather than let the
 * function be killed by its timeout mid-write: the batch then simply comes back.
 */
export async function retryOnConflict<T>(attempt: () => Promise<T>, options: RetryOptions = {}): Promise<T> {
  const maxAttempts = options.maxAttempts ?? 12;
  for (let tryNumber = 1; ; tryNumber++) {
    try {
      return await attempt();
    } catch (error) {
      if (!(error instanceof ConcurrentWriteError) || tryNumber >= maxAttempts) throw error;
      const backoffMs = Math.min(1_000, 20 * 2 ** tryNumber) * (0.5 + Math.random());
      if (options.deadline !== undefined && Date.now() + backoffMs > options.deadline) {
        throw new ContendedWriteError(error.key, tryNumber, { cause: error });
      }
      await new Promise((resolve) => setTimeout(resolve, backoffMs));
    }
  }
}
