/**
 * Ctrl+C and `npm start` again: the embedded moto comes back empty, yet the log goes
 * on. The whole stack twice on the same logs folder, as a user's two runs would be.
 */
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { LOGS } from '../../functions/commons/logs/logFiles.js';
import { parseMetricLog } from '../../functions/commons/logs/rowFormat.js';
import { privateBuildFolder, removeBuildFolder } from '../helpers/serverlessConfig.js';
import { eventually, settled, startTestStack } from '../helpers/stack.js';

const buildFolder = privateBuildFolder();
let logsDir: string;

afterAll(async () => {
  removeBuildFolder(buildFolder);
  if (logsDir) await rm(logsDir, { recursive: true, force: true });
});

/** One `npm start` … Ctrl+C on the same logs folder: a features run whose rows reach logs/, then stop. */
async function oneRun(records: number): Promise<{ emitted: string[]; output: string }> {
  const stack = await startTestStack({ RECORDS_PER_RUN: String(records) }, { logsDir, buildFolder });
  try {
    const { emitted } = await stack.invoke<{ emitted: string[] }>('features');
    await eventually(`rows of ${emitted.length} ids in logs/`, async () => {
      await stack.invoke('maintain');
      const ids = new Set(parseMetricLog(await readFile(join(logsDir, LOGS.metric_log.key), 'utf8')).map((row) => row.id));
      return emitted.every((id) => ids.has(id)) || undefined;
    });
    // Nothing left to deliver before Ctrl+C: a second row of an id would be in logs/ now.
    await settled(stack);
    return { emitted, output: stack.output() };
  } finally {
    await stack.stop();
  }
}

describe('stop and start again', () => {
  it('keeps every row of the log, restores it into the empty emulator and goes on after it', async () => {
    logsDir = await mkdtemp(join(tmpdir(), 'ml-monitor-restart-'));

    const first = await oneRun(12);
    const logAfterFirst = await readFile(join(logsDir, LOGS.metric_log.key), 'utf8');
    const second = await oneRun(7);
    const logAfterSecond = await readFile(join(logsDir, LOGS.metric_log.key), 'utf8');

    expect(second.output).toMatch(/restored 12 rows of metric_log\.csv from .* into s3:\/\/ml-monitor-dev/);
    expect(logAfterSecond.startsWith(logAfterFirst)).toBe(true);
    const ids = parseMetricLog(logAfterSecond).map((row) => row.id);
    expect(ids).toHaveLength(19);
    expect(new Set(ids).size).toBe(19);
    expect(new Set(ids)).toEqual(new Set([...first.emitted, ...second.emitted]));
  }, 300_000);
});
