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
import { freeStackPorts, startStack } from '../../infra/stack.js';
import { privateBuildFolder, removeBuildFolder } from '../helpers/serverlessConfig.js';

const buildFolder = privateBuildFolder();
let logsDir: string;

afterAll(async () => {
  removeBuildFolder(buildFolder);
  if (logsDir) await rm(logsDir, { recursive: true, force: true });
});

/** One `npm start` … Ctrl+C: a features run whose rows reach logs/, then stop. */
async function oneRun(records: number): Promise<{ emitted: string[]; output: string }> {
  let output = '';
  const stack = await startStack({
    ...(await freeStackPorts()),
    logsDir,
    env: { SCHEDULES_ENABLED: 'false', SQS_WAIT_TIME_SECONDS: '1', ESBUILD_WORK_FOLDER: buildFolder, RECORDS_PER_RUN: String(records) },
    onOutput: (chunk) => {
      output += chunk;
    },
    onNotice: (line) => {
      output += `[stack] ${line}\n`;
    },
  });
  const invoke = async <T>(name: string): Promise<T> => {
    const response = await fetch(`${stack.lambdaEndpoint}/2015-03-31/functions/ml-monitor-dev-${name}/invocations`, {
      method: 'POST',
      body: '{}',
    });
    return (await response.json()) as T;
  };
  try {
    const { emitted } = await invoke<{ emitted: string[] }>('features');
    const deadline = Date.now() + 90_000;
    for (;;) {
      await invoke('maintain');
      const local = await readFile(join(logsDir, LOGS.metric_log.key), 'utf8').catch(() => '');
      const ids = new Set(parseMetricLog(local).map((row) => row.id));
      if (emitted.every((id) => ids.has(id))) break;
      if (Date.now() > deadline) throw new Error(`rows of ${emitted.length} ids did not reach logs/ in time:\n${output.slice(-3000)}`);
      await new Promise((resolve) => setTimeout(resolve, 500));
    }
    return { emitted, output };
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
