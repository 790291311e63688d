/**
 * Log segments: S3 has no append, so `metric` writes each committed batch of log lines
 * as its own object, named by the number of its first line, and `maintain` appends
 * them to the log in order (compaction.ts). A segment is written create-only
 * (If-None-Match: *), so a retried write is a no-op and two writers of the same batch
 * cannot both succeed.
 */
import { DeleteObjectsCommand, ListObjectsV2Command, type S3Client } from '@aws-sdk/client-s3';
import { ConcurrentWriteError } from '../platform/errors.js';
import { putIfUnchanged } from '../storage/s3Objects.js';
import { type LogSpec, linesToText } from './logFiles.js';

/** Fixed width, so segment keys list in line order. */
const SEQ_DIGITS = 12;

export interface Segment {
  readonly key: string;
  readonly firstSeq: number;
  /** Epoch ms. */
  readonly lastModified: number;
}

export function segmentKey(spec: LogSpec, firstSeq: number): string {
  return `${spec.segmentPrefix}${String(firstSeq).padStart(SEQ_DIGITS, '0')}.csv`;
}

export function firstSeqOfSegment(spec: LogSpec, key: string): number | undefined {
  if (!key.startsWith(spec.segmentPrefix) || !key.endsWith('.csv')) return undefined;
  const seq = Number(key.slice(spec.segmentPrefix.length, -'.csv'.length));
  return Number.isSafeInteger(seq) && seq > 0 ? seq : undefined;
}

/** Writes one batch as a segment; false when it was already there (a repeat). */
export async function writeSegment(
  s3: S3Client,
  bucket: string,
  spec: LogSpec,
  firstSeq: number,
  lines: readonly string[],
): Promise<boolean> {
  try {
    await putIfUnchanged(
      s3,
      bucket,
      segmentKey(spec, firstSeq),
      linesToText(lines),
      { expectedEtag: undefined },
      { contentType: 'text/csv' },
    );
    return true;
  } catch (error) {
    if (error instanceof ConcurrentWriteError) return false;
    throw error;
  }
}

/** The log's segments in the bucket, in line order. */
export async function listSegments(s3: S3Client, bucket: string, spec: LogSpec): Promise<Segment[]> {
  const segments: Segment[] = [];
  let token: string | undefined;
  do {
    const page = await s3.send(new ListObjectsV2Command({ Bucket: bucket, Prefix: spec.segmentPrefix, ContinuationToken: token }));
    for (const object of page.Contents ?? []) {
      const firstSeq = object.Key === undefined ? undefined : firstSeqOfSegment(spec, object.Key);
      if (object.Key !== undefined && firstSeq !== undefined) {
        segments.push({ key: object.Key, firstSeq, lastModified: object.LastModified?.getTime() ?? Date.now() });
      }
    }
    token = page.IsTruncated ? page.NextContinuationToken : undefined;
  } while (token !== undefined);
  return segments.sort((a, b) => a.firstSeq - b.firstSeq);
}

export async function deleteSegments(s3: S3Client, bucket: string, segments: readonly Segment[]): Promise<void> {
  // DeleteObjects takes at most 1,000 keys.
  for (let i = 0; i < segments.length; i += 1000) {
    const Objects = segments.slice(i, i + 1000).map((segment) => ({ Key: segment.key }));
    await s3.send(new DeleteObjectsCommand({ Bucket: bucket, Delete: { Objects, Quiet: true } }));
  }
}
