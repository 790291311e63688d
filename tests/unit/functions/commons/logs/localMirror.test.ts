/** The copy of an append-only log in LOGS_DIR is only ever extended, never shortened or replaced. */
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { type LogBytes, syncLogMirror } from '../../../../../functions/commons/logs/localMirror.js';

let dir: string;
const file = () => join(dir, 'metric_log.csv');
const log = (rows: number) => `id,y\n${Array.from({ length: rows }, (_, i) => `row-${i},${i}\n`).join('')}`;

beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'ml-monitor-mirror-'));
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

/** A log held whole in memory. */
function inMemory(text: string): LogBytes {
  const buffer = Buffer.from(text, 'utf8');
  return { size: buffer.length, bytes: async (start, end) => buffer.subarray(start, end) };
}

describe('syncLogMirror', () => {
  it.each([
    {
      case: 'writes the whole log where there is no copy (first run, or the copy was deleted)',
      copy: undefined,
      rows: 3,
      outcome: 'written',
    },
    { case: 'appends only the missing tail to a copy that is a prefix of the log', copy: log(2), rows: 5, outcome: 'appended' },
    { case: 'completes a copy whose last append was cut short', copy: log(4).slice(0, -3), rows: 4, outcome: 'appended' },
  ])('$case', async ({ copy, rows, outcome }) => {
    if (copy !== undefined) await writeFile(file(), copy);

    const first = await syncLogMirror(dir, 'metric_log.csv', inMemory(log(rows)));
    const again = await syncLogMirror(dir, 'metric_log.csv', inMemory(log(rows)));

    expect([first, again]).toEqual([outcome, 'current']);
    expect(await readFile(file(), 'utf8')).toBe(log(rows));
  });

  it('never shortens a copy that holds more rows than the log (a bucket that came back empty)', async () => {
    await writeFile(file(), log(1000));

    expect(await syncLogMirror(dir, 'metric_log.csv', inMemory(log(3)))).toBe('diverged');
    expect(await readFile(file(), 'utf8')).toBe(log(1000));
  });

  it('never replaces a copy that differs from the log, near its start or its end, however long', async () => {
    const big = log(5000);
    const changedEarly = big.replace('row-3,', 'row-X,');
    const changedLate = `${big.slice(0, -8)}XXXXXXX\n`;
    for (const local of [changedEarly, changedLate]) {
      await writeFile(file(), local);
      expect(await syncLogMirror(dir, 'metric_log.csv', inMemory(`${big}more,1\n`))).toBe('diverged');
      expect(await readFile(file(), 'utf8')).toBe(local);
    }
  });

  it('does nothing without LOGS_DIR (on AWS)', async () => {
    expect(await syncLogMirror(undefined, 'metric_log.csv', inMemory(log(1)))).toBe('off');
  });
});
