/**
 * The embedded emulator dies and comes back: npm start's stack restarts moto, the
 * bootstrap plugin re-creates the queues and bucket, the event source reconnects,
 * and new records flow again — without sls offline exiting or hanging. Its death
 * costs no joined row (the journal brings back what maintain had not yet copied to
 * logs/), and what was still queued or waiting is counted and named in one line,
 * with the waiting halves in a file `npm run ingest` sends again.
 */
import { execFile } from 'node:child_process';
import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { JOURNAL_FOLDER } from '../../functions/commons/logs/journal.js';
import { LOGS } from '../../functions/commons/logs/logFiles.js';
import { parseMetricLog } from '../../functions/commons/logs/rowFormat.js';
import { type CloudSample, IN_FLIGHT_FILE } from '../../infra/local/cloud/emulatorLoss.js';
import { localSqs } from '../../infra/local/cloud/localClients.js';
import { PROJECT_DIR } from '../../infra/local/toolbox/localDefaults.js';
import { queueUrl, sendBodies } from '../helpers/localCloud.js';
import { eventually, finalRows, settled, stackForFile, waitForRows } from '../helpers/stack.js';

const theStack = stackForFile({ LOCAL_CLOUD_WATCH_SECONDS: '1' });

/** The ids in the journal of rows joined but not yet copied to logs/. */
async function journaledIds(logsDir: string): Promise<Set<string>> {
  const folder = join(logsDir, JOURNAL_FOLDER, 'metric_log');
  const files = (await readdir(folder).catch(() => [])).filter((name) => name.endsWith('.csv'));
  const lines = (await Promise.all(files.map((name) => readFile(join(folder, name), 'utf8')))).join('').split('\n');
  return new Set(lines.filter((line) => line !== '').map((line) => line.slice(0, line.indexOf(','))));
}

async function moto_killed_and_back(stack: ReturnType<typeof theStack>, times: number): Promise<void> {
  process.kill(stack.emulatorPid() as number, 'SIGKILL');
  await eventually('moto back and the queues re-created', async () =>
    (stack.output().match(/came back without/g) ?? []).length >= times ? true : undefined,
  );
}

describe('when the emulator restarts', () => {
  it('recovers by itself: rows flow again, with clear log lines', async () => {
    const stack = theStack();
    let slsExited = false;
    void stack.slsExit.then(() => {
      slsExited = true;
    });
    const before = await stack.invoke<{ emitted: string[] }>('features');
    await waitForRows(stack, before.emitted);

    await moto_killed_and_back(stack, 1);
    const after = await eventually('a features run after the restart', () => stack.invoke<{ emitted: string[] }>('features'));
    const rows = await finalRows(stack, after.emitted, 120_000);

    expect(rows).toHaveLength(after.emitted.length);
    expect(stack.output()).toMatch(/moto_server exited \(SIGKILL\)/);
    expect(slsExited).toBe(false);
  }, 240_000);

  it('loses no joined row, and names what was queued or waiting with how to send it again', async () => {
    const stack = theStack();
    const sqs = localSqs(stack.awsEndpoint);
    try {
      // Joined but not yet in logs/: maintain is not run before the emulator dies.
      const { emitted } = await stack.invoke<{ emitted: string[] }>('features');
      await eventually('the joined rows in the journal', async () => {
        const journaled = await journaledIds(stack.logsDir);
        return emitted.every((id) => journaled.has(id)) || undefined;
      });
      // Still queued (delayed), and waiting for a partner that never came.
      await sendBodies(sqs, await queueUrl(sqs, 'y_pred'), [JSON.stringify({ id: 'queued-1', body: 1 })], 900);
      await sendBodies(sqs, await queueUrl(sqs, 'y_true'), [JSON.stringify({ id: 'waiting-1', body: 42.5 })]);
      await eventually('the queued message and the waiting half sampled', async () => {
        const sample = JSON.parse(await readFile(join(stack.logsDir, IN_FLIGHT_FILE), 'utf8')) as CloudSample;
        // Exactly the sample the loss line must name: a sample read while metric took waiting-1
        // (its message still counted, its half already in the table) would name it twice.
        const { features, y_true, y_pred } = sample.queued;
        const exact = features === 0 && y_true === 0 && y_pred === 1 && Object.keys(sample.pending).length === 1;
        return (exact && sample.pending['waiting-1']?.yTrue === 42.5) || undefined;
      });
      const waiting = /lost with the emulator's memory.*\(features 0, y_true 0, y_pred 1\) and 1 half\/halves waiting for their partner/;

      await moto_killed_and_back(stack, 2);
      const line = await eventually('the loss said', async () =>
        stack
          .output()
          .split('\n')
          .find((text) => waiting.test(text)),
      );
      const rows = await waitForRows(stack, emitted);
      // Nothing left to deliver: a second row of an id would be in logs/ now.
      await settled(stack);

      expect(rows.map((row) => row.id).sort()).toEqual([...emitted].sort());
      const local = parseMetricLog(await readFile(join(stack.logsDir, LOGS.metric_log.key), 'utf8')).map((row) => row.id);
      expect(new Set(local).size).toBe(local.length);
      expect(emitted.every((id) => local.includes(id))).toBe(true);
      expect(stack.output()).toMatch(
        new RegExp(`${emitted.length} row\\(s\\) of metric_log\\.csv that the emulator lost before maintain copied them`),
      );
      const truths = /npm run ingest -- --truths (\S+-truths\.csv)/.exec(line)?.[1] as string;
      expect(await readFile(truths, 'utf8')).toBe('id,value\nwaiting-1,42.5\n');
      const resend = await promisify(execFile)('npm', ['run', '-s', 'ingest', '--', '--truths', truths, '--url', stack.httpEndpoint], {
        cwd: PROJECT_DIR,
      });
      expect(resend.stdout).toMatch(/1 rows, 1 sent, 0 refused, 0 not sent/);
    } finally {
      sqs.destroy();
    }
  }, 300_000);
});
