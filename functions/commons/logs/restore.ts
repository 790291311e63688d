/**
 * When the local cloud comes back empty (moto keeps nothing), the bootstrap puts the
 * logs kept in LOGS_DIR back into the bucket before any queue exists, and a new join
 * table numbers its lines after them (`lastLineOfLog`), so the logs simply go on.
 */
import type { S3Client } from '@aws-sdk/client-s3';
import { ConcurrentWriteError } from '../platform/errors.js';
import { BUCKET_KEYS } from '../storage/bucketKeys.js';
import { objectExists, putIfUnchanged } from '../storage/s3Objects.js';
import { readMirror } from './localMirror.js';
import { LAST_LINE_METADATA, LOGS, type LogName, type LogSpec, textToLines } from './logFiles.js';

export type RestoreOutcome =
  | { readonly restored: true; readonly rows: number }
  /** Why nothing was restored. */
  | { readonly restored: false; readonly reason: 'no local copy' | 'the bucket has the log' | 'not this log' };

/**
 * Puts the copy of a log kept in LOGS_DIR back into an empty bucket (create-only, so a
 * log that is there wins), numbered as it was: its last line number is its row count.
 * Only complete lines go back; a local file that does not start with the log's header
 * is left alone.
 */
export async function restoreLogFromMirror(
  s3: S3Client,
  bucket: string,
  spec: LogSpec,
  logsDir: string | undefined,
): Promise<RestoreOutcome> {
  const local = await readMirror(logsDir, spec.key);
  if (local === undefined || local === '') return { restored: false, reason: 'no local copy' };
  if (!local.startsWith(`${spec.header}\n`)) return { restored: false, reason: 'not this log' };
  const text = local.slice(0, local.lastIndexOf('\n') + 1);
  const rows = textToLines(text).length - 1;
  try {
    const metadata = { [LAST_LINE_METADATA]: String(rows) };
    await putIfUnchanged(s3, bucket, spec.key, text, { expectedEtag: undefined }, { contentType: 'text/csv', metadata });
  } catch (error) {
    if (error instanceof ConcurrentWriteError) return { restored: false, reason: 'the bucket has the log' };
    throw error;
  }
  return { restored: true, rows };
}

/**
 * Restores both logs from LOGS_DIR when the bucket is empty of the pipeline's state
 * (no join table: the emulator came up empty). A bucket that holds the table is never
 * touched: what the bucket holds wins (LocalStack with PERSISTENCE=1).
 */
export async function restoreLogsFromMirror(
  s3: S3Client,
  bucket: string,
  logsDir: string | undefined,
): Promise<Record<LogName, RestoreOutcome> | undefined> {
  if (logsDir === undefined || (await objectExists(s3, bucket, BUCKET_KEYS.joinTable))) return undefined;
  return {
    metric_log: await restoreLogFromMirror(s3, bucket, LOGS.metric_log, logsDir),
    orphans: await restoreLogFromMirror(s3, bucket, LOGS.orphans, logsDir),
  };
}
