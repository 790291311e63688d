/**
 * The logs for the tests: a log as a whole (bucketLogText, which the local tools read
 * too), and a compactor as maintain makes one.
 */
import type { S3Client } from '@aws-sdk/client-s3';
import { LogCompactor } from '../../functions/commons/logs/compaction.js';
import { IdIndex } from '../../functions/commons/logs/idIndex.js';
import type { SegmentJournal } from '../../functions/commons/logs/journal.js';

export { bucketLogText } from '../../infra/local/toolbox/bucketLog.js';

/** A compactor as maintain makes one (its own id index), for tests that compact by hand. */
export function compactorFor(s3: S3Client, bucket: string, logsDir: string | undefined, journal?: SegmentJournal): LogCompactor {
  return new LogCompactor({ s3, bucket, logsDir, journal, index: new IdIndex({ s3, bucket }) });
}
