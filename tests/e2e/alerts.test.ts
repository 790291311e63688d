/**
 * Alerts against the whole stack: rows go in through the ingestion API, `maintain`
 * is invoked as its schedule would (schedules off), and the alerts arrive in the
 * queue the bootstrap subscribed to the alerts topic (alerts-inbox). Normal rows;
 * then predictions worse by a fixed offset: FIRING arrives within two metrics
 * updates, and no second FIRING while it fires; back to normal: RESOLVED.
 *
 * The rule is the default one (MAE over the window above 1.5 × the window before)
 * with a window of one minute: a row counts in the minute it was joined, so each
 * phase starts just after a minute begins and is done within it.
 */
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import type { SQSClient } from '@aws-sdk/client-sqs';
import { beforeAll, describe, expect, it } from 'vitest';
import type { AlertMessage } from '../../functions/commons/alerts/alertRules.js';
import { BUCKET_KEYS } from '../../functions/commons/storage/bucketKeys.js';
import { getText } from '../../functions/commons/storage/s3Objects.js';
import { readInbox } from '../../infra/alerts/inbox.js';
import { ALERTS_INBOX } from '../../infra/cloud/bootstrap.js';
import type { localS3 } from '../../infra/cloud/localClients.js';
import { BUCKET, PROJECT_DIR } from '../../infra/toolbox/localDefaults.js';
import { queueCounts, queueUrl } from '../helpers/localCloud.js';
import { apiStackForFile, eventually, type TestStack } from '../helpers/stack.js';

const ROWS = 20;
const OFFSET = 20;
const theStack = apiStackForFile({ ALERT_WINDOW_MINUTES: '1', ALERT_MIN_ROWS: '10' });
let stack: TestStack;
let sqs: SQSClient;
let s3: ReturnType<typeof localS3>;

beforeAll(() => {
  ({ stack, sqs, s3 } = theStack());
});

async function post(route: string, items: readonly { id: string; body: number }[]): Promise<void> {
  const response = await fetch(`${stack.httpEndpoint}${route}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(items),
  });
  expect(response.status).toBe(202);
}

/** Waits for the next minute to begin (and a second more), so a phase's rows are joined in one minute. */
async function nextMinute(): Promise<void> {
  await new Promise((resolve) => setTimeout(resolve, 60_000 - (Date.now() % 60_000) + 1_000));
}

/** Truths and predictions of ROWS ids whose error is `error`, joined: y_true and y_pred drained. */
async function sendRows(phase: string, error: number): Promise<void> {
  const ids = Array.from({ length: ROWS }, (_, i) => `alerts-${phase}-${i}`);
  await post(
    '/truths',
    ids.map((id, i) => ({ id, body: 100 + i })),
  );
  await post(
    '/predictions',
    ids.map((id, i) => ({ id, body: 100 + i + error })),
  );
  const urls = await Promise.all(['y_true', 'y_pred'].map((name) => queueUrl(sqs, name)));
  await eventually(
    'y_true and y_pred to drain',
    async () => (await Promise.all(urls.map((url) => queueCounts(sqs, url)))).flat().every((count) => count === 0) || undefined,
    30_000,
  );
}

async function inbox(): Promise<AlertMessage[]> {
  return (await readInbox(sqs, ALERTS_INBOX)).flatMap((item) => (item.alert?.rule === 'mae_ratio' ? [item.alert] : []));
}

/** Invokes maintain up to `runs` times, until the inbox holds `count` alerts of the rule; returns the runs it took. */
async function maintainUntil(count: number, runs: number): Promise<number> {
  for (let run = 1; run <= runs; run++) {
    await stack.invoke('maintain');
    if ((await inbox()).length >= count) return run;
  }
  return Number.POSITIVE_INFINITY;
}

describe('alerts', () => {
  it('fires once within two metrics updates when predictions get worse, and resolves once when they are normal again', async () => {
    // Prepare: a minute of normal rows (error 1): the baseline.
    await nextMinute();
    await sendRows('normal', 1);
    await stack.invoke('maintain');
    const before = await inbox();

    // Act: the next minute, predictions worse by a fixed offset.
    await nextMinute();
    await sendRows('worse', 1 + OFFSET);
    const firingRuns = await maintainUntil(1, 2);
    await stack.invoke('maintain');
    const whileFiring = await inbox();
    const alerts = JSON.parse((await getText(s3, BUCKET, BUCKET_KEYS.alerts))?.text ?? '{}');

    // Then a minute of normal rows again.
    await nextMinute();
    await sendRows('again', 1);
    const resolvedRuns = await maintainUntil(2, 2);
    await stack.invoke('maintain');
    const after = await inbox();
    const listed = await promisify(execFile)('npm', ['run', '-s', 'alerts'], {
      cwd: PROJECT_DIR,
      env: { ...process.env, AWS_ENDPOINT_URL: stack.awsEndpoint },
    });

    // Assess
    expect(before).toEqual([]);
    expect(firingRuns).toBeLessThanOrEqual(2);
    expect(whileFiring.map((alert) => alert.state)).toEqual(['FIRING']);
    expect(whileFiring[0]).toMatchObject({
      rule: 'mae_ratio',
      state: 'FIRING',
      value: expect.closeTo(1 + OFFSET, 9),
      threshold: expect.closeTo(1.5, 9),
      window: 1,
      rows: ROWS,
      baseline: { mae: expect.closeTo(1, 9), rows: ROWS },
    });
    expect(alerts.firing).toMatchObject([{ rule: 'mae_ratio', state: 'FIRING', window: 1 }]);
    expect(resolvedRuns).toBeLessThanOrEqual(2);
    expect(after.map((alert) => alert.state)).toEqual(['FIRING', 'RESOLVED']);
    expect(after[1]).toMatchObject({ value: expect.closeTo(1, 9), threshold: expect.closeTo(1.5 * (1 + OFFSET), 9) });
    const lines = listed.stdout.trim().split('\n');
    expect(lines.filter((line) => line.includes('mae_ratio')).map((line) => line.split(/\s+/)[1])).toEqual(['FIRING', 'RESOLVED']);
    expect(listed.stderr).toMatch(/left in the queue/);
  }, 400_000);
});
