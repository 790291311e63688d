/**
 * What is left of the inputs filings of an earlier version: `metric` filed each batch's
 * inputs as an object under BUCKET_KEYS.inputSegments for `maintain` to read (one read
 * per batch: the cost that reading the inputs on arrival, arrivals.ts, removed), and a
 * version before it kept them all in BUCKET_KEYS.inputsBook. Neither is written any
 * more; a cold start deletes what an upgrade left.
 */
import { DeleteObjectsCommand, ListObjectsV2Command, type S3Client } from '@aws-sdk/client-s3';
import { BUCKET_KEYS } from '../storage/bucketKeys.js';

/** Deletes the filings and the inputs book an earlier version left in the bucket; how many objects there were. */
export async function deleteEarlierInputs(s3: S3Client, bucket: string): Promise<number> {
  const keys: string[] = [];
  for (const prefix of [BUCKET_KEYS.inputSegments, BUCKET_KEYS.inputsBook]) {
    let token: string | undefined;
    do {
      const page = await s3.send(new ListObjectsV2Command({ Bucket: bucket, Prefix: prefix, ContinuationToken: token }));
      for (const object of page.Contents ?? []) if (object.Key !== undefined) keys.push(object.Key);
      token = page.IsTruncated ? page.NextContinuationToken : undefined;
    } while (token !== undefined);
  }
  for (let i = 0; i < keys.length; i += 1000) {
    const Objects = keys.slice(i, i + 1000).map((Key) => ({ Key }));
    await s3.send(new DeleteObjectsCommand({ Bucket: bucket, Delete: { Objects, Quiet: true } }));
  }
  return keys.length;
}
