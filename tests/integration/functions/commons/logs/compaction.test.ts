/**
 * A cold start of the compactor reads what the newest pieces need and no more: the id
 * index's hours of their rows are looked at only when a run died between an append and
 * the heads (its ids may not be filed), never because the rows in the newest piece
 * span the history (a migration's orphans, a backfill). Against a real moto_server.
 */
import { CreateBucketCommand, DeleteObjectCommand, ListObjectsV2Command, PutObjectCommand } from '@aws-sdk/client-s3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LogCompactor } from '../../../../../functions/commons/logs/compaction.js';
import { IdIndex } from '../../../../../functions/commons/logs/idIndex.js';
import { annotate, formatOrphanLine, LAST_LINE_METADATA, LOGS } from '../../../../../functions/commons/logs/logFiles.js';
import { readLogHeads, writeLogHeads } from '../../../../../functions/commons/logs/logHeads.js';
import { migrateOneObjectLogs } from '../../../../../functions/commons/logs/migration.js';
import { formatMetricRow, metricRow } from '../../../../../functions/commons/logs/rowFormat.js';
import { writeSegment } from '../../../../../functions/commons/logs/segments.js';
import { recordId } from '../../../../../functions/commons/messaging/recordIds.js';
import { BUCKET_KEYS } from '../../../../../functions/commons/storage/bucketKeys.js';
import { type LocalCloud, startLocalCloud } from '../../../../helpers/localCloud.js';
import { compactorFor } from '../../../../helpers/logs.js';

const HOUR_MS = 3_600_000;
let cloud: LocalCloud;

beforeAll(async () => {
  cloud = await startLocalCloud();
});
afterAll(async () => {
  await cloud?.stop();
});

async function newBucket(name: string): Promise<string> {
  await cloud.s3.send(new CreateBucketCommand({ Bucket: name }));
  return name;
}

/** A day of orphans, one an hour, as a one-object orphans.csv of before the pieces migrates them: into one small piece. */
async function migratedDayOfOrphans(bucket: string, now: number): Promise<void> {
  const lines = Array.from({ length: 24 }, (_, hour) => {
    const emitted = now - (hour + 1) * HOUR_MS;
    return formatOrphanLine({
      id: recordId(emitted, `0000000${hour % 10}`, hour),
      half: 'y_pred',
      value: 1,
      firstSeen: emitted,
      reason: 'test',
    });
  });
  await cloud.s3.send(
    new PutObjectCommand({
      Bucket: bucket,
      Key: LOGS.orphans.key,
      Body: `${LOGS.orphans.header}\n${lines.join('\n')}\n`,
      Metadata: { [LAST_LINE_METADATA]: String(lines.length) },
    }),
  );
  const progress = await migrateOneObjectLogs(
    cloud.s3,
    bucket,
    new IdIndex({ s3: cloud.s3, bucket }),
    { rows: () => undefined },
    now,
    now + 60_000,
  );
  await writeLogHeads(cloud.s3, bucket, { metric_log: progress.metric_log.head, orphans: progress.orphans.head });
}

describe('a cold start', () => {
  it("loads none of the id index's hours for a newest piece whose rows span a day", async () => {
    const bucket = await newBucket('cold-start-day-of-orphans');
    const now = Date.now();
    await migratedDayOfOrphans(bucket, now);
    const index = new IdIndex({ s3: cloud.s3, bucket });

    await new LogCompactor({ s3: cloud.s3, bucket, logsDir: undefined, index }).open();

    expect(index.loadedHours).toBe(0);
    expect(await readLogHeads(cloud.s3, bucket)).toMatchObject({ orphans: { rows: 24 } });
  });

  it('files again the ids of an append whose run died before writing the heads, so a late copy is still a duplicate', async () => {
    const bucket = await newBucket('cold-start-after-a-crash');
    const now = Date.now();
    const id = recordId(now - 60_000, 'c0000001', 0);
    const line = annotate(formatMetricRow(metricRow(id, 10, 4)), { model: undefined, at: now, predictedAt: now - 60_000 });
    await writeSegment(cloud.s3, bucket, LOGS.metric_log, 1, [line]);
    await compactorFor(cloud.s3, bucket, undefined).compact(LOGS.metric_log);
    // The run dies after appending: its ids never filed, the heads not moved past the new line.
    const filed = await cloud.s3.send(new ListObjectsV2Command({ Bucket: bucket, Prefix: BUCKET_KEYS.idIndex }));
    for (const object of filed.Contents ?? []) await cloud.s3.send(new DeleteObjectCommand({ Bucket: bucket, Key: object.Key }));
    const heads = await readLogHeads(cloud.s3, bucket);
    await writeLogHeads(cloud.s3, bucket, {
      metric_log: { ...(heads?.metric_log ?? { key: undefined }), lastSeq: 0, rows: 0 },
      orphans: heads?.orphans ?? { key: undefined, lastSeq: 0, rows: 0 },
    });

    const restarted = compactorFor(cloud.s3, bucket, undefined);
    await writeSegment(cloud.s3, bucket, LOGS.metric_log, 2, [line]);
    const result = await restarted.compact(LOGS.metric_log);

    expect(result).toMatchObject({ added: [], duplicates: 1, lastSeq: 2 });
  });
});
