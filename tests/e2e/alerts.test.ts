/**
 * Alerts against the whole stack: rows go in through the ingestion API, `maintain`
 * is invoked as its schedule would (schedules off), and the alerts arrive in the
 * queue the bootstrap subscribed to the alerts topic (alerts-inbox). Predictions
 * worse by a fixed offset, fed and judged over and over: the rule is first PENDING in
 * alerts.json with nothing published, then FIRING once its hold is over (once, within
 * the window, the hold and the complete-minute margin); predictions normal again: the
 * firing rule is first clearing, then RESOLVED once.
 *
 * The rule is `mae_above` (a window of one minute, a hold of one) fed continuously, as
 * a degradation that lasts: the rules judge complete minutes only, so the test runs
 * on the clock, minutes long. Nothing sleeps: each step sends a few rows, waits for
 * them to be joined, invokes maintain and looks again, until what it waits for is there.
 */
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import type { SQSClient } from '@aws-sdk/client-sqs';
import { beforeAll, describe, expect, it } from 'vitest';
import { type AlertMessage, type AlertsDocument, COMPLETE_AFTER_MINUTES } from '../../functions/commons/alerts/alertRules.js';
import { BUCKET_KEYS } from '../../functions/commons/storage/bucketKeys.js';
import { getText } from '../../functions/commons/storage/s3Objects.js';
import { ALERTS_INBOX } from '../../infra/local/cloud/bootstrap.js';
import type { localS3 } from '../../infra/local/cloud/localClients.js';
import { BUCKET, PROJECT_DIR } from '../../infra/local/toolbox/localDefaults.js';
import { readInbox } from '../../infra/tools/alerts/inbox.js';
import { queueCounts, queueUrl } from '../helpers/localCloud.js';
import { apiStackForFile, eventually, type TestStack } from '../helpers/stack.js';

const MINUTE = 60_000;
const WINDOW = 1;
const FOR = 1;
const THRESHOLD = 10;
/** Rows each step sends: enough for ALERT_MIN_ROWS (10) in every minute at a step every few seconds. */
const ROWS = 5;
const OFFSET = 20;
/** A phase's longest wait: the window, the hold and the complete-minute margin after the minute it began in, and a minute to spare. */
const PHASE_MS = (WINDOW + FOR + COMPLETE_AFTER_MINUTES + 2) * MINUTE;
const theStack = apiStackForFile({
  ALERT_WINDOW_MINUTES: String(WINDOW),
  ALERT_FOR_MINUTES: String(FOR),
  ALERT_MIN_ROWS: '10',
  ALERT_MAE_ABOVE: String(THRESHOLD),
  ALERT_MAE_RATIO: 'off',
  ALERT_COVERAGE_BELOW: 'off',
});
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

let sent = 0;

/** Truths and predictions of ROWS new ids whose error is `error`, joined: y_true and y_pred drained. */
async function sendRows(error: number): Promise<void> {
  const ids = Array.from({ length: ROWS }, () => `alerts-${sent++}`);
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
  return (await readInbox(sqs, ALERTS_INBOX)).flatMap((item) => (item.alert?.rule === 'mae_above' ? [item.alert] : []));
}

async function alertsDocument(): Promise<AlertsDocument> {
  return JSON.parse((await getText(s3, BUCKET, BUCKET_KEYS.alerts))?.text ?? '{"firing":[],"recent":[]}');
}

interface Step {
  readonly document: AlertsDocument;
  readonly inbox: AlertMessage[];
}

/** Steps (rows of `error`, maintain, a look) until `done` holds; every step seen, the last one `done`. */
async function feedUntil(what: string, error: number, done: (step: Step) => boolean): Promise<Step[]> {
  const steps: Step[] = [];
  await eventually(
    what,
    async () => {
      await sendRows(error);
      await stack.invoke('maintain');
      const step = { document: await alertsDocument(), inbox: await inbox() };
      steps.push(step);
      return done(step) || undefined;
    },
    PHASE_MS,
  );
  return steps;
}

const minuteOf = (time: number) => Math.floor(time / MINUTE) * MINUTE;

describe('alerts', () => {
  it('holds before it fires once on worse predictions, and before it resolves once when they are normal again', async () => {
    // Act: predictions worse by a fixed offset until FIRING arrives.
    const worseFrom = Date.now();
    const worse = await feedUntil('FIRING in alerts-inbox', 1 + OFFSET, (step) => step.inbox.length > 0);
    await stack.invoke('maintain');
    const whileFiring = await inbox();
    const firingDocument = await alertsDocument();

    // Then normal predictions until RESOLVED arrives.
    const normalFrom = Date.now();
    const normal = await feedUntil('RESOLVED in alerts-inbox', 1, (step) => step.inbox.length > 1);
    await stack.invoke('maintain');
    const after = await inbox();
    const listed = await promisify(execFile)('npm', ['run', '-s', 'alerts'], {
      cwd: PROJECT_DIR,
      env: { ...process.env, AWS_ENDPOINT_URL: stack.awsEndpoint },
    });

    // Assess: PENDING first, in alerts.json only; then FIRING, once.
    const pending = worse.filter((step) => step.document.pending?.some((alert) => alert.rule === 'mae_above'));
    expect(pending.length).toBeGreaterThan(0);
    expect(pending.every((step) => step.inbox.length === 0 && step.document.firing.length === 0)).toBe(true);
    expect(pending[0]?.document.pending).toMatchObject([{ rule: 'mae_above', state: 'PENDING', threshold: THRESHOLD, window: WINDOW }]);
    expect(whileFiring.map((alert) => alert.state)).toEqual(['FIRING']);
    const fired = whileFiring[0] as AlertMessage;
    expect(fired).toMatchObject({
      rule: 'mae_above',
      state: 'FIRING',
      value: expect.closeTo(1 + OFFSET, 9),
      threshold: THRESHOLD,
      window: WINDOW,
    });
    // Held FOR minutes on the complete-minute clock, and judged by the window's end after the minute the change began in.
    expect(Date.parse(fired.to ?? '') - Date.parse(fired.since ?? '')).toBeGreaterThanOrEqual(FOR * MINUTE);
    expect(Date.parse(fired.to ?? '') - minuteOf(worseFrom)).toBeLessThanOrEqual((WINDOW + FOR + 1) * MINUTE);
    expect(firingDocument).toMatchObject({ firing: [{ rule: 'mae_above', state: 'FIRING', window: WINDOW }], pending: [] });

    // Then clearing while it still fires, and RESOLVED once.
    const clearing = normal.filter((step) => step.document.firing.some((alert) => alert.clearing !== undefined));
    expect(clearing.length).toBeGreaterThan(0);
    expect(clearing.every((step) => step.inbox.length === 1)).toBe(true);
    expect(after.map((alert) => alert.state)).toEqual(['FIRING', 'RESOLVED']);
    const resolved = after[1] as AlertMessage;
    expect(resolved).toMatchObject({ value: expect.closeTo(1, 9), threshold: THRESHOLD });
    expect(Date.parse(resolved.to ?? '') - Date.parse(resolved.since ?? '')).toBeGreaterThanOrEqual(FOR * MINUTE);
    expect(Date.parse(resolved.to ?? '') - minuteOf(normalFrom)).toBeLessThanOrEqual((WINDOW + FOR + 1) * MINUTE);
    const lines = listed.stdout.trim().split('\n');
    expect(lines.filter((line) => line.includes('mae_above')).map((line) => line.split(/\s+/)[1])).toEqual(['FIRING', 'RESOLVED']);
    expect(listed.stderr).toMatch(/left in the queue/);
  }, 900_000);
});
