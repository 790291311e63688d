/**
 * Restarts keep the log: when the local cloud comes up empty, the logs kept in
 * LOGS_DIR (their pieces, the one-file copy, the journal) go back into the bucket and
 * new rows are numbered after them; no compaction ever writes a copy that lacks rows
 * it had, and a damaged copy is repaired, never trusted blindly nor frozen. Against
 * a real moto_server (a first cloud, then an empty one as after a restart: the server
 * emptied by moto's own reset, as a new one would come up).
 */
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { Half } from '../../../../../functions/commons/join/joinTable.js';
import { JoinTableStore } from '../../../../../functions/commons/join/joinTableStore.js';
import { SegmentJournal } from '../../../../../functions/commons/logs/journal.js';
import { listLocalPieces } from '../../../../../functions/commons/logs/localCopy.js';
import { LOGS } from '../../../../../functions/commons/logs/logFiles.js';
import { readLogHeads } from '../../../../../functions/commons/logs/logHeads.js';
import { restoreLogsFromLocal } from '../../../../../functions/commons/logs/restore.js';
import { parseMetricLog } from '../../../../../functions/commons/logs/rowFormat.js';
import { writeSegment } from '../../../../../functions/commons/logs/segments.js';
import { BUCKET_KEYS } from '../../../../../functions/commons/storage/bucketKeys.js';
import { getText } from '../../../../../functions/commons/storage/s3Objects.js';
import { type RunningProcess, startMoto } from '../../../../../infra/local/cloud/moto.js';
import { findFreePort } from '../../../../../infra/local/cloud/net.js';
import { emptiedLocalCloud, type LocalCloud } from '../../../../helpers/localCloud.js';
import { bucketLogText, compactorFor } from '../../../../helpers/logs.js';

let logsDir: string;
const clouds: LocalCloud[] = [];
/** One moto_server for the file, emptied for each cloud (as a restart leaves it): starting one per cloud costs seconds. */
let moto: RunningProcess;

beforeAll(async () => {
  moto = await startMoto(await findFreePort());
});
afterAll(async () => {
  await moto?.stop();
});
beforeEach(async () => {
  logsDir = await mkdtemp(join(tmpdir(), 'ml-monitor-restore-'));
});
afterEach(async () => {
  for (const cloud of clouds.splice(0)) await cloud.stop();
  await rm(logsDir, { recursive: true, force: true });
});

/** An empty local cloud: nothing in the bucket or the queues but what the bootstrap creates. */
async function freshCloud(): Promise<LocalCloud> {
  const cloud = await emptiedLocalCloud(moto);
  clouds.push(cloud);
  return cloud;
}

const store = (cloud: LocalCloud, orphanTtlMs = 3_600_000, journal?: SegmentJournal) =>
  new JoinTableStore({ s3: cloud.s3, bucket: cloud.bucket, orphanTtlMs, journal });
const pair = (id: string, yTrue: number, yPred: number): Half[] => [
  { kind: 'y_true', id, value: yTrue },
  { kind: 'y_pred', id, value: yPred },
];

/** A copy of metric_log.csv, of before the pieces, with three good rows. */
const GOOD = `${LOGS.metric_log.header}\na,1.0,2.0,1.0\nb,3.0,5.0,2.0\nc,2.5,2.0,0.5\n`;

/** What maintain does each minute (here from a cold start): read the logs, expire and flush the table, compact both logs. */
async function maintainRun(cloud: LocalCloud, journal?: SegmentJournal, dir = logsDir) {
  const compactor = compactorFor(cloud.s3, cloud.bucket, dir, journal);
  await compactor.open();
  await compactor.prepare(await store(cloud).pending());
  await store(cloud).expireAndFlush(compactor.isSettled);
  return { metricLog: await compactor.compact(LOGS.metric_log), orphans: await compactor.compact(LOGS.orphans) };
}

const localLog = (name: string) => readFile(join(logsDir, name), 'utf8');
const ids = (text: string) => parseMetricLog(text).map((row) => row.id);

describe('a restart with an empty local cloud', () => {
  it('restores both logs from LOGS_DIR, piece by piece, and numbers new rows after them', async () => {
    const before = await freshCloud();
    await store(before).record([...pair('a', 1, 2), ...pair('b', 3, 5), { kind: 'y_true', id: 'lonely', value: 7 }]);
    await store(before, 0).expireAndFlush(() => false); // 'lonely' is orphaned at once
    await maintainRun(before);
    const rowsBefore = await localLog(LOGS.metric_log.key);
    const orphansBefore = await localLog(LOGS.orphans.key);
    expect(ids(rowsBefore)).toEqual(['a', 'b']);
    await before.stop();
    clouds.splice(0);

    const after = await freshCloud();
    const outcome = await restoreLogsFromLocal(after.s3, after.bucket, logsDir);
    // New rows, and late halves of ids the restored logs hold: duplicates, not rows or orphans.
    await store(after).record([...pair('c', 10, 4), ...pair('a', 1, 2), { kind: 'y_pred', id: 'lonely', value: 8 }]);
    const { metricLog, orphans } = await maintainRun(after);

    expect(outcome).toMatchObject({
      metric_log: { restored: true, rows: 2, fromJournal: 0, fromCopy: 0, rejected: [], headerRepaired: false },
      orphans: { restored: true, rows: 1, fromJournal: 0, fromCopy: 0, rejected: [], headerRepaired: false },
    });
    expect([metricLog.rows, metricLog.added.length, metricLog.duplicates, orphans.rows, orphans.added.length]).toEqual([3, 1, 1, 1, 0]);
    const s3Text = await bucketLogText(after.s3, after.bucket);
    expect(ids(s3Text)).toEqual(['a', 'b', 'c']);
    expect(await localLog(LOGS.metric_log.key)).toBe(s3Text);
    expect(s3Text.startsWith(rowsBefore)).toBe(true);
    expect(await localLog(LOGS.orphans.key)).toBe(orphansBefore);
    const table = JSON.parse((await getText(after.s3, after.bucket, BUCKET_KEYS.joinTable))?.text ?? '{}');
    expect(table.nextSeq).toEqual({ metric_log: 5, orphans: 2 });
    expect(table.pending).toEqual({});
    expect(table.orphanCount).toBe(1);
  }, 120_000);

  it('leaves a bucket that holds the pipeline state alone: what the bucket holds wins', async () => {
    const cloud = await freshCloud();
    await store(cloud).record(pair('in-bucket', 1, 1));
    await writeFile(join(logsDir, LOGS.metric_log.key), `${LOGS.metric_log.header}\nlocal-only,1.0,1.0,0.0\n`);

    expect(await restoreLogsFromLocal(cloud.s3, cloud.bucket, logsDir)).toBeUndefined();
    expect(await readLogHeads(cloud.s3, cloud.bucket)).toBeUndefined();
  });

  it('migrates a copy of before the pieces into pieces, rows in order, and keeps it as it was', async () => {
    await writeFile(join(logsDir, LOGS.metric_log.key), GOOD);
    const cloud = await freshCloud();

    const outcome = await restoreLogsFromLocal(cloud.s3, cloud.bucket, logsDir);

    expect(outcome?.metric_log).toMatchObject({ restored: true, rows: 3, fromCopy: 3, rejected: [] });
    expect(await bucketLogText(cloud.s3, cloud.bucket)).toBe(GOOD);
    expect(await localLog(LOGS.metric_log.key)).toBe(GOOD);
    expect(await listLocalPieces(logsDir, LOGS.metric_log)).toHaveLength(1);
    expect(await readLogHeads(cloud.s3, cloud.bucket)).toMatchObject({ metric_log: { lastSeq: 3, rows: 3 } });
  });

  it('moves every line of a file that holds no row aside, and restores an empty log', async () => {
    const cloud = await freshCloud();
    await writeFile(join(logsDir, LOGS.metric_log.key), 'something,else\n1,2\n');

    const outcome = await restoreLogsFromLocal(cloud.s3, cloud.bucket, logsDir);

    expect(outcome?.orphans).toEqual({ restored: false, reason: 'no local copy' });
    expect(outcome?.metric_log).toMatchObject({ restored: true, rows: 0, headerRepaired: true });
    expect(await localLog('metric_log.rejected.csv')).toMatch(
      /^found_at,file,line,reason,text\n\S+,metric_log\.csv,1,"not the header [^\n]*","something,else"\n\S+,metric_log\.csv,2,[^\n]*,"1,2"\n$/,
    );
  });

  it.each([
    {
      damage: 'a torn last line',
      copy: `${GOOD}d,4.0,9.`,
      rejectedLine: 5,
      reason: /^cut short: the file ends inside this line \(3 fields/,
    },
    { damage: 'a garbage line in the middle', copy: GOOD.replace('b,', '#!garbage\nb,'), rejectedLine: 3, reason: /^1 field/ },
    { damage: 'a line repeating an id', copy: `${GOOD}a,1.0,2.0,1.0\n`, rejectedLine: 5, reason: /the id of line 2 again/ },
    { damage: 'the header deleted', copy: GOOD.slice(GOOD.indexOf('\n') + 1), rejectedLine: undefined, reason: undefined },
  ])(
    'restores every good row of a copy with $damage, moves the rest aside, and the copy goes on',
    async ({ copy, rejectedLine, reason }) => {
      await writeFile(join(logsDir, LOGS.metric_log.key), copy);
      const cloud = await freshCloud();

      const outcome = await restoreLogsFromLocal(cloud.s3, cloud.bucket, logsDir);
      await store(cloud).record(pair('e', 1, 2));
      const { metricLog } = await maintainRun(cloud);

      const restored = outcome?.metric_log;
      expect(restored).toMatchObject({ restored: true, rows: 3, headerRepaired: rejectedLine === undefined });
      const s3Text = await bucketLogText(cloud.s3, cloud.bucket);
      expect(ids(s3Text)).toEqual(['a', 'b', 'c', 'e']);
      expect([metricLog.mirror, await localLog(LOGS.metric_log.key)]).toEqual(['appended', s3Text]);
      if (rejectedLine === undefined) return;
      expect(restored?.restored && restored.rejected.map((line) => [line.lineNumber, line.reason])).toEqual([
        [rejectedLine, expect.stringMatching(reason as RegExp)],
      ]);
      expect(await localLog('metric_log.rejected.csv')).toContain(`,metric_log.csv,${rejectedLine},`);
    },
  );

  it('puts back the rows the emulator took along before maintain copied them, from the journal', async () => {
    const journal = new SegmentJournal(logsDir, (message) => {
      throw new Error(message);
    });
    const before = await freshCloud();
    await store(before, 3_600_000, journal).record(pair('a', 1, 2));
    await maintainRun(before, journal);
    expect(await journal.list(LOGS.metric_log)).toEqual([]);
    // Joined, in a segment and in the journal, then the emulator dies before maintain copies them.
    await store(before, 3_600_000, journal).record([...pair('b', 3, 5), ...pair('c', 1, 1)]);
    await store(before, 3_600_000, journal).record(pair('a', 1, 2));
    await before.stop();
    clouds.splice(0);

    const after = await freshCloud();
    const outcome = await restoreLogsFromLocal(after.s3, after.bucket, logsDir, { journal });
    await store(after, 3_600_000, journal).record(pair('d', 2, 2));
    await maintainRun(after, journal);

    expect(outcome?.metric_log).toMatchObject({ restored: true, rows: 3, fromJournal: 2 });
    const s3Text = await bucketLogText(after.s3, after.bucket);
    expect(ids(s3Text)).toEqual(['a', 'b', 'c', 'd']);
    expect(await localLog(LOGS.metric_log.key)).toBe(s3Text);
    expect(await journal.list(LOGS.metric_log)).toEqual([]);
  }, 120_000);
});

describe('compaction and the copies in LOGS_DIR', () => {
  it('writes a deleted copy again from the pieces at the next compaction, even when nothing is new', async () => {
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

  it("keeps each piece in LOGS_DIR as the bucket has it, with the rows' model and times", async () => {
    const cloud = await freshCloud();
    const predicted = Date.parse('2026-12-01T10:00:00Z');
    await store(cloud).record([
      { kind: 'y_pred', id: 'p', value: 5, model: 'v2', at: predicted },
      { kind: 'y_true', id: 'p', value: 7, at: predicted + 60_000 },
    ]);

    const { metricLog } = await maintainRun(cloud);

    const key = metricLog.piece as string;
    expect(key).toMatch(/^metric_log\/date=\d{4}-\d{2}-\d{2}\/hour=\d{2}\/part-0000\.csv$/);
    const piece = await readFile(join(logsDir, key), 'utf8');
    expect(piece).toBe(
      `id,y_true,y_pred,absolute_error,model,predicted_at,labelled_at\np,7.0,5.0,2.0,v2,2026-12-01T10:00:00.000Z,2026-12-01T10:01:00.000Z\n`,
    );
    expect((await getText(cloud.s3, cloud.bucket, key))?.text).toBe(piece);
  });

  it('repairs a copy holding rows the bucket lacks: they join the log, and the copy is the log again', async () => {
    const cloud = await freshCloud();
    await store(cloud).record(pair('new', 1, 2));
    await maintainRun(cloud);
    await writeFile(join(logsDir, LOGS.metric_log.key), `${await localLog(LOGS.metric_log.key)}old-1,1.0,1.0,0.0\nold-2,2.0,2.0,0.0\n`);

    const { metricLog } = await maintainRun(cloud);

    const s3Text = await bucketLogText(cloud.s3, cloud.bucket);
    expect(ids(s3Text)).toEqual(['new', 'old-1', 'old-2']);
    expect({ mirror: metricLog.mirror, recovered: metricLog.repair?.recovered }).toEqual({
      mirror: 'repaired',
      recovered: ['old-1,1.0,1.0,0.0', 'old-2,2.0,2.0,0.0'],
    });
    expect(await localLog(LOGS.metric_log.key)).toBe(s3Text);
  });

  it('repairs a copy damaged while the stack runs: the bad line and a changed row go aside, every row stays', async () => {
    const cloud = await freshCloud();
    await store(cloud).record([...pair('a', 1, 2), ...pair('b', 3, 5)]);
    await maintainRun(cloud);
    const good = await localLog(LOGS.metric_log.key);
    await writeFile(join(logsDir, LOGS.metric_log.key), good.replace('b,3.0,5.0,2.0', 'b,3.0,6.0,3.0\nzzz'));

    const { metricLog } = await maintainRun(cloud);

    expect(metricLog.mirror).toBe('repaired');
    expect(metricLog.repair?.rejected.map((line) => [line.lineNumber, line.text])).toEqual([
      [4, 'zzz'],
      [3, 'b,3.0,6.0,3.0'],
    ]);
    expect(await localLog(LOGS.metric_log.key)).toBe(good);
    expect(await localLog('metric_log.rejected.csv')).toContain('the log holds another row for this id');
  });

  it('sets a segment line that is no row aside instead of appending it', async () => {
    const cloud = await freshCloud();
    await store(cloud).record(pair('one', 1, 2));
    await maintainRun(cloud);
    await writeSegment(cloud.s3, cloud.bucket, LOGS.metric_log, 2, ['two,1.0,1.0,0.0', 'not a row', 'four,1.0,3.0,2.0']);

    const { metricLog } = await maintainRun(cloud);

    expect(metricLog.added.map((noted) => noted.line)).toEqual(['two,1.0,1.0,0.0', 'four,1.0,3.0,2.0']);
    expect(metricLog.rejected).toEqual([{ lineNumber: 3, text: 'not a row', reason: expect.stringMatching(/^1 field/) }]);
    expect(metricLog.lastSeq).toBe(4);
    expect(await localLog('metric_log.rejected.csv')).toContain(',3,"1 field, not the 4 of');
  });

  it('reports a LOGS_DIR it cannot write instead of failing: the bucket has the rows', async () => {
    const cloud = await freshCloud();
    await writeFile(join(logsDir, 'not-a-folder'), '');
    await store(cloud).record(pair('x', 1, 2));

    const { metricLog } = await maintainRun(cloud, undefined, join(logsDir, 'not-a-folder'));

    expect(metricLog.added).toHaveLength(1);
    expect(metricLog.mirror).toBe('failed');
    expect(metricLog.mirrorProblem).toMatch(
      /not-a-folder\/metric_log\.csv not brought up to date: a file is where a folder should be \(E(NOTDIR|EXIST)\)/,
    );
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
