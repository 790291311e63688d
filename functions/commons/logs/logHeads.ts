/**
 * Where each log stands (state/log-heads.json): its newest piece, the number of the
 * last line appended from the join table's outbox, and its rows. Written by `maintain`,
 * the logs' one writer, after each append. It is a hint, the pieces are the record: a
 * run that died between an append and this write left a newer piece or a later line
 * number, and `findNewerPieces` finds them (Hive keys sort by time: one listing after
 * the hinted key).
 */
import { ListObjectsV2Command, type S3Client } from '@aws-sdk/client-s3';
import { BUCKET_KEYS } from '../storage/bucketKeys.js';
import { getText, putObject } from '../storage/s3Objects.js';
import type { LogName, LogSpec } from './logFiles.js';
import { partOf } from './pieces.js';

export interface LogHead {
  /** The newest piece; undefined before the log's first row. */
  readonly key: string | undefined;
  readonly lastSeq: number;
  readonly rows: number;
}

export type LogHeads = Readonly<Record<LogName, LogHead>>;

export const NO_HEAD: LogHead = { key: undefined, lastSeq: 0, rows: 0 };

export async function readLogHeads(s3: S3Client, bucket: string): Promise<LogHeads | undefined> {
  const stored = await getText(s3, bucket, BUCKET_KEYS.logHeads);
  if (stored === undefined) return undefined;
  const value = JSON.parse(stored.text) as { version?: number; logs?: Partial<Record<LogName, LogHead>> };
  if (value.version !== 1 || value.logs === undefined) throw new Error(`${BUCKET_KEYS.logHeads} is not a version-1 log heads document`);
  return { metric_log: value.logs.metric_log ?? NO_HEAD, orphans: value.logs.orphans ?? NO_HEAD };
}

export async function writeLogHeads(s3: S3Client, bucket: string, heads: LogHeads): Promise<void> {
  await putObject(s3, bucket, BUCKET_KEYS.logHeads, JSON.stringify({ version: 1, logs: heads }), 'application/json');
}

/** The log's pieces after `after` (all of them when undefined), in order: one listing, as long as they are few. */
export async function findNewerPieces(s3: S3Client, bucket: string, spec: LogSpec, after: string | undefined): Promise<string[]> {
  const keys: string[] = [];
  let token: string | undefined;
  do {
    const page = await s3.send(
      new ListObjectsV2Command({
        Bucket: bucket,
        Prefix: spec.piecePrefix,
        ContinuationToken: token,
        ...(after === undefined || token !== undefined ? {} : { StartAfter: after }),
      }),
    );
    for (const object of page.Contents ?? []) if (object.Key !== undefined && partOf(spec, object.Key) !== undefined) keys.push(object.Key);
    token = page.IsTruncated ? page.NextContinuationToken : undefined;
  } while (token !== undefined);
  return keys.sort();
}
