/**
 * A log as a whole, read from the bucket for the local tools and the tests: every piece
 * of it, in order, in the log's own columns with its header, as the one-object log of
 * before the pieces was (and as LOGS_DIR's copy is). The pipeline itself never reads a
 * log whole.
 */
import type { S3Client } from '@aws-sdk/client-s3';
import { LOGS, type LogSpec } from '../../../functions/commons/logs/logFiles.js';
import { findNewerPieces } from '../../../functions/commons/logs/logHeads.js';
import { getText } from '../../../functions/commons/storage/s3Objects.js';

export async function bucketLogText(s3: S3Client, bucket: string, spec: LogSpec = LOGS.metric_log): Promise<string> {
  const columns = spec.header.split(',').length;
  const rows: string[] = [];
  for (const key of await findNewerPieces(s3, bucket, spec, undefined)) {
    const lines = ((await getText(s3, bucket, key))?.text ?? '').split('\n').filter((line) => line !== '');
    for (const line of lines.slice(1)) rows.push(line.split(',').slice(0, columns).join(','));
  }
  return `${spec.header}\n${rows.map((row) => `${row}\n`).join('')}`;
}
