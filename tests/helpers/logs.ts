/**
 * A log as a whole, for the tests: every piece of it in the bucket, in order, in the
 * log's own columns with its header, as the one-object log of before the pieces was
 * (and as LOGS_DIR's copy is). The pipeline itself never reads a log whole.
 */
import type { S3Client } from '@aws-sdk/client-s3';
import { LogCompactor } from '../../functions/commons/logs/compaction.js';
import { IdIndex } from '../../functions/commons/logs/idIndex.js';
import type { SegmentJournal } from '../../functions/commons/logs/journal.js';
import { LOGS, type LogSpec } from '../../functions/commons/logs/logFiles.js';
import { findNewerPieces } from '../../functions/commons/logs/logHeads.js';
import { getText } from '../../functions/commons/storage/s3Objects.js';

export async function bucketLogText(s3: S3Client, bucket: string, spec: LogSpec = LOGS.metric_log): Promise<string> {
  const columns = spec.header.split(',').length;
  const rows: string[] = [];
  for (const key of await findNewerPieces(s3, bucket, spec, undefined)) {
    const lines = ((await getText(s3, bucket, key))?.text ?? '').split('\n').filter((line) => line !== '');
    for (const line of lines.slice(1)) rows.push(line.split(',').slice(0, columns).join(','));
  }
  return `${spec.header}\n${rows.map((row) => `${row}\n`).join('')}`;
}

/** A compactor as maintain makes one (its own id index), for tests that compact by hand. */
export function compactorFor(s3: S3Client, bucket: string, logsDir: string | undefined, journal?: SegmentJournal): LogCompactor {
  return new LogCompactor({ s3, bucket, logsDir, journal, index: new IdIndex({ s3, bucket }) });
}
