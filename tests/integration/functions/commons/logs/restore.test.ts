/**
 * Restarts keep the log: when the local cloud comes up empty, the logs kept in
 * LOGS_DIR go back into the bucket and new rows are numbered after them; no
 * compaction ever writes a metric_log.csv or orphans.csv that lacks rows it had.
 * Against real moto_servers (a first one, then an empty one as after a restart).
 */
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { Half } from '../../../../../functions/commons/join/joinTable.js';
import { JoinTableStore } from '../../../../../functions/commons/join/joinTableStore.js';
import { LogCompactor } from '../../../../../functions/commons/logs/compaction.js';
import { LOGS } from '../../../../../functions/commons/logs/logFiles.js';
import { restoreLogsFromMirror } from '../../../../../functions/commons/logs/restore.js';
import { parseMetricLog } from '../../../../../functions/commons/logs/rowFormat.js';
import { writeSegment } from '../../../../../functions/commons/logs/segments.js';
import { BUCKET_KEYS } from '../../../../../functions/commons/storage/bucketKeys.js';
import { getText } from '../../../../../functions/commons/storage/s3Objects.js';
import { type LocalCloud, startLocalCloud } from '../../../../helpers/localCloud.js';

let logsDir: string;
const clouds: LocalCloud[] = [];

beforeEach(async () => {
  logsDir = await mkdtemp(join(tmpdir(), 'ml-monitor-restore-'));
});
afterEach(async () => {
  for (const cloud of clouds.splice(0)) await cloud.stop();
  await rm(logsDir, { recursive: true, force: true });
});

async function freshCloud(): Promise<LocalCloud> {
  const cloud = await startLocalCloud();
  clouds.push(cloud);
  return cloud;
}

const store = (cloud: LocalCloud, orphanTtlMs = 3_600_000) => new JoinTableStore({ s3: cloud.s3, bucket: cloud.bucket, orphanTtlMs });
const pair = (id: string, yTrue: number, yPred: number): Half[] => [
  { kind: 'y_true', id, value: yTrue },
  { kind: 'y_pred', id, value: yPred },
];

/** What maintain does each minute (here from a cold start): read the logs, expire and flush the table, compact both logs. */
async function maintainRun(cloud: LocalCloud) {
  const compactor = new LogCompactor({ s3: cloud.s3, bucket: cloud.bucket, logsDir });
  await compactor.refresh();
  await store(cloud).expireAndFlush(compactor.isSettled);
  return { metricLog: await compactor.compact(LOGS.metric_log), orphans: await compactor.compact(LOGS.orphans) };
}

const localLog = (name: string) => readFile(join(logsDir, name), 'utf8');

describe('a restart with an empty local cloud', () => {
  it('restores both logs from LOGS_DIR and numbers new rows after them', async () => {
    const before = await freshCloud();
    await store(before).record([...pair('a', 1, 2), ...pair('b', 3, 5), { kind: 'y_true', id: 'lonely', value: 7 }]);
    await store(before, 0).expireAndFlush(() => false); // 'lonely' is orphaned at once
    await maintainRun(before);
    const rowsBefore = await localLog(LOGS.metric_log.key);
    const orphansBefore = await localLog(LOGS.orphans.key);
    expect(parseMetricLog(rowsBefore).map((row) => row.id)).toEqual(['a', 'b']);
    await before.stop();
    clouds.splice(0);

    const after = await freshCloud();
    const outcome = await restoreLogsFromMirror(after.s3, after.bucket, logsDir);
    // New rows, and late halves of ids the restored logs hold: duplicates, not rows or orphans.
    await store(after).record([...pair('c', 10, 4), ...pair('a', 1, 2), { kind: 'y_pred', id: 'lonely', value: 8 }]);
    const { metricLog, orphans } = await maintainRun(after);

    expect(outcome).toEqual({ metric_log: { restored: true, rows: 2 }, orphans: { restored: true, rows: 1 } });
    expect([metricLog.rows, metricLog.added.length, metricLog.duplicates, orphans.rows, orphans.added.length]).toEqual([3, 1, 1, 1, 0]);
    const s3Text = (await getText(after.s3, after.bucket, LOGS.metric_log.key))?.text ?? '';
    expect(parseMetricLog(s3Text).map((row) => row.id)).toEqual(['a', 'b', 'c']);
    expect(await localLog(LOGS.metric_log.key)).toBe(s3Text);
    expect(s3Text.startsWith(rowsBefore)).toBe(true);
    expect(await localLog(LOGS.orphans.key)).toBe(orphansBefore);
    const table = JSON.parse((await getText(after.s3, after.bucket, BUCKET_KEYS.joinTable))?.text ?? '{}');
    expect(table.nextSeq).toEqual({ metric_log: 5, orphans: 2 });
    expect(table.pending).toEqual({});
    expect(table.orphanCount).toBe(1);
  });

  it('leaves a bucket that holds the pipeline state alone: what the bucket holds wins', async () => {
    const cloud = await freshCloud();
    await store(cloud).record(pair('in-bucket', 1, 1));
    await writeFile(join(logsDir, LOGS.metric_log.key), `${LOGS.metric_log.header}\nlocal-only,1.0,1.0,0.0\n`);

    expect(await restoreLogsFromMirror(cloud.s3, cloud.bucket, logsDir)).toBeUndefined();
    expect(await getText(cloud.s3, cloud.bucket, LOGS.metric_log.key)).toBeUndefined();
  });

  it('restores nothing from a file that is not the log, and says why', async () => {
    const cloud = await freshCloud();
    await writeFile(join(logsDir, LOGS.metric_log.key), 'something,else\n1,2\n');

    expect(await restoreLogsFromMirror(cloud.s3, cloud.bucket, logsDir)).toEqual({
      metric_log: { restored: false, reason: 'not this log' },
      orphans: { restored: false, reason: 'no local copy' },
    });
  });
});

describe('compaction and the copy in LOGS_DIR', () => {
  it('writes a deleted copy again at the next compaction, even when nothing is new', async () => {
    const cloud = await freshCloud();
    await store(cloud).record(pair('x', 1, 2));
    await maintainRun(cloud);
    const text = await localLog(LOGS.metric_log.key);
    await rm(join(logsDir, LOGS.metric_log.key));

    const { metricLog } = await maintainRun(cloud);

    expect(metricLog.added).toEqual([]);
    expect(metricLog.mirror).toBe('written');
    expect(await localLog(LOGS.metric_log.key)).toBe(text);
  });

  it('never overwrites a copy holding rows the bucket lacks, and says so', async () => {
    const cloud = await freshCloud();
    const local = `${LOGS.metric_log.header}\nold-1,1.0,1.0,0.0\nold-2,2.0,2.0,0.0\n`;
    await writeFile(join(logsDir, LOGS.metric_log.key), local);
    await store(cloud).record(pair('new', 1, 2));

    const { metricLog } = await maintainRun(cloud);

    expect({ added: metricLog.added.length, mirror: metricLog.mirror, copy: await localLog(LOGS.metric_log.key) }).toEqual({
      added: 1,
      mirror: 'diverged',
      copy: local,
    });
  });

  it('names a gap it waits for (a segment committed but not written) and its age', async () => {
    const cloud = await freshCloud();
    await store(cloud).record(pair('one', 1, 2));
    await maintainRun(cloud);
    // Line 2 is missing: a metric run that committed it died before writing its segment.
    await writeSegment(cloud.s3, cloud.bucket, LOGS.metric_log, 3, ['three,1.0,1.0,0.0']);

    const { metricLog } = await maintainRun(cloud);

    expect(metricLog.added).toEqual([]);
    expect(metricLog.gap).toMatchObject({ fromSeq: 2, toSeq: 2 });
    expect(metricLog.gap?.waitingMs).toBeGreaterThanOrEqual(0);
  });
});
