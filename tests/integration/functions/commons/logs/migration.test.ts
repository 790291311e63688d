/**
 * A bucket holding a log of before the pieces (one object, metric_log.csv) is migrated
 * by maintain: every row into pieces, its ids into the index (a late copy of one is a
 * duplicate), its line numbering kept (the join table goes on after it), a line that
 * is no row reported, the old object left as it was; a large log over several runs.
 * Against a real moto_server.
 */
import { PutObjectCommand } from '@aws-sdk/client-s3';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { IdIndex } from '../../../../../functions/commons/logs/idIndex.js';
import { LAST_LINE_METADATA, LOGS } from '../../../../../functions/commons/logs/logFiles.js';
import { readLogHeads } from '../../../../../functions/commons/logs/logHeads.js';
import { migrateOneObjectLogs } from '../../../../../functions/commons/logs/migration.js';
import { formatMetricRow, metricRow, parseMetricLog } from '../../../../../functions/commons/logs/rowFormat.js';
import { getText } from '../../../../../functions/commons/storage/s3Objects.js';
import type { MaintainResult } from '../../../../../functions/maintain.js';
import { lambdaContext, sqsEvent, sqsRecord } from '../../../../helpers/factories.js';
import { handlerEnv, type LocalCloud, startLocalCloud } from '../../../../helpers/localCloud.js';
import { bucketLogText } from '../../../../helpers/logs.js';

let cloud: LocalCloud;

beforeAll(async () => {
  cloud = await startLocalCloud();
});
afterAll(async () => {
  await cloud?.stop();
});

const rows = (count: number, from = 0) =>
  Array.from({ length: count }, (_, i) => formatMetricRow(metricRow(`old-${from + i}`, 100 + i, 90 + (i % 13))));

async function oldLog(bucket: string, lines: readonly string[], lastSeq: number): Promise<void> {
  await cloud.s3.send(
    new PutObjectCommand({
      Bucket: bucket,
      Key: LOGS.metric_log.key,
      Body: `${LOGS.metric_log.header}\n${lines.join('\n')}\n`,
      Metadata: { [LAST_LINE_METADATA]: String(lastSeq) },
    }),
  );
}

describe('the migration of a one-object log', () => {
  it('puts every row into pieces on the first run, keeps the numbering, and the log goes on after it', async () => {
    const old = rows(500);
    await oldLog(cloud.bucket, [...old.slice(0, 200), 'not a row', ...old.slice(200)], 520);
    handlerEnv(cloud, undefined as unknown as string);
    delete process.env.LOGS_DIR;
    process.env.POWERTOOLS_LOG_LEVEL = 'INFO';
    const output: string[] = [];
    for (const stream of [process.stdout, process.stderr]) {
      vi.spyOn(stream, 'write').mockImplementation((chunk) => {
        output.push(String(chunk));
        return true;
      });
    }
    vi.resetModules();
    const { handler: maintain } = await import('../../../../../functions/maintain.js');
    const { handler: metric } = await import('../../../../../functions/metric.js');

    await maintain(undefined, { getRemainingTimeInMillis: () => 60_000 });
    // A late copy of a migrated id, and a new row: lines 521 and 522, after the old log's 520.
    await metric(
      sqsEvent([
        sqsRecord({ id: 'old-7', body: 107 }),
        sqsRecord({ id: 'old-7', body: 97 }, { queue: 'y_pred' }),
        sqsRecord({ id: 'new-1', body: 5 }),
        sqsRecord({ id: 'new-1', body: 6 }, { queue: 'y_pred' }),
      ]),
      lambdaContext('metric'),
    );
    const result: MaintainResult = await maintain(undefined, { getRemainingTimeInMillis: () => 60_000 });
    vi.restoreAllMocks();

    const logged = parseMetricLog(await bucketLogText(cloud.s3, cloud.bucket)).map((row) => row.id);
    expect(logged).toEqual([...old.map((line) => line.split(',')[0]), 'new-1']);
    expect(result).toMatchObject({ rows: 501, rowsAdded: 1, duplicates: 1 });
    expect(await readLogHeads(cloud.s3, cloud.bucket)).toMatchObject({ metric_log: { lastSeq: 522, rows: 501 } });
    expect(output.join('')).toMatch(
      /Migrated 500 rows of metric_log\.csv \(100%\) and 0 rows of orphans\.csv \(0%\) into s3:\/\/ml-monitor-dev\/metric_log\/ and orphans\/ pieces; the old objects are kept/,
    );
    expect(output.join('')).toMatch(/metric_log\.csv: 1 line\(s\) are no rows and were not migrated/);
    expect((await getText(cloud.s3, cloud.bucket, LOGS.metric_log.key))?.text.split('\n').length).toBe(503);
  });

  it('goes on where a run stopped: a large log over several runs, every row once', async () => {
    const bucket = 'migration-in-steps';
    await cloud.s3.send(new (await import('@aws-sdk/client-s3')).CreateBucketCommand({ Bucket: bucket }));
    // ~9 MB: more than one 8 MiB range.
    const many = rows(120_000);
    await oldLog(bucket, many, 120_000);
    const index = new IdIndex({ s3: cloud.s3, bucket });

    const first = await migrateOneObjectLogs(cloud.s3, bucket, index, { rows: () => undefined }, Date.now(), 0);
    const progress = [first.metric_log.done];
    let last = first;
    while (!last.metric_log.done) {
      last = await migrateOneObjectLogs(cloud.s3, bucket, index, { rows: () => undefined }, Date.now(), Date.now() + 60_000);
      progress.push(last.metric_log.done);
    }

    expect(progress[0]).toBe(false);
    expect(last.metric_log.head).toMatchObject({ lastSeq: 120_000, rows: 120_000 });
    const ids = parseMetricLog(await bucketLogText(cloud.s3, bucket)).map((row) => row.id);
    expect(ids).toHaveLength(120_000);
    expect(new Set(ids).size).toBe(120_000);
  }, 120_000);
});
