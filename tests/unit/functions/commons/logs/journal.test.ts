/** The local journal keeps each segment whole until LOGS_DIR's log holds it, and never fails its caller. */
import { mkdtemp, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { JOURNAL_FOLDER, SegmentJournal } from '../../../../../functions/commons/logs/journal.js';
import { LOGS } from '../../../../../functions/commons/logs/logFiles.js';

let dir: string;
const warnings: string[] = [];
const journal = () => new SegmentJournal(dir, (message, error) => warnings.push(`${message}: ${(error as Error).message}`));

beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'ml-monitor-journal-'));
  warnings.length = 0;
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('SegmentJournal', () => {
  it('keeps each batch under its first line number, lists them in line order and reads them back', async () => {
    await journal().write(LOGS.metric_log, 12, ['c,1.0,1.0,0.0\tv1\t5']);
    await journal().write(LOGS.metric_log, 3, ['a,1.0,2.0,1.0', 'b,2.0,2.0,0.0']);
    await journal().write(LOGS.orphans, 1, ['o,y_true,1.0,2026-12-03T10:00:00.000Z,r']);

    const entries = await journal().list(LOGS.metric_log);

    expect(entries.map((entry) => entry.firstSeq)).toEqual([3, 12]);
    expect(await journal().read(entries[0] as (typeof entries)[0])).toEqual(['a,1.0,2.0,1.0', 'b,2.0,2.0,0.0']);
    expect((await journal().list(LOGS.orphans)).map((entry) => entry.firstSeq)).toEqual([1]);
    expect(await readdir(join(dir, JOURNAL_FOLDER, 'metric_log'))).toEqual(['000000000003.csv', '000000000012.csv']);
  });

  it('removes the batches the log holds (first line at or before its last), keeps the others', async () => {
    for (const firstSeq of [1, 5, 9]) await journal().write(LOGS.metric_log, firstSeq, ['x,1.0,1.0,0.0']);

    await journal().removeThrough(LOGS.metric_log, 5);

    expect((await journal().list(LOGS.metric_log)).map((entry) => entry.firstSeq)).toEqual([9]);
  });

  it('ignores a temporary file a crash left, and lists nothing where there is no journal', async () => {
    expect(await journal().list(LOGS.metric_log)).toEqual([]);
    await journal().write(LOGS.metric_log, 1, ['x,1.0,1.0,0.0']);
    await writeFile(join(dir, JOURNAL_FOLDER, 'metric_log', '000000000002.csv.123.tmp'), 'half');

    expect((await journal().list(LOGS.metric_log)).map((entry) => entry.firstSeq)).toEqual([1]);
  });

  it('warns instead of throwing when it cannot write', async () => {
    await writeFile(join(dir, JOURNAL_FOLDER), 'a file where the folder should be');

    await journal().write(LOGS.metric_log, 1, ['x,1.0,1.0,0.0']);

    expect(warnings).toEqual([expect.stringMatching(/^journal copy of metric_log.csv lines from 1 not written \(the bucket has them\): /)]);
  });
});
