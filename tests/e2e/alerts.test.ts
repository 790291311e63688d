/**
 * Alerts against the whole stack: rows go in through the ingestion API, `maintain`
 * is invoked as its schedule would (schedules off), and the alerts arrive in the
 * queue the bootstrap subscribed to the alerts topic (alerts-inbox). Predictions
 * worse by a fixed offset, judged over and over: the rule is first PENDING in
 * alerts.json with nothing published, then FIRING once its hold is over (once, within
 * the window, the hold and the complete-minute margin); predictions normal again: the
 * firing rule is first clearing, then RESOLVED once.
 *
 * The rule is `mae_above` (a window of one minute, a hold of one). The rules judge
 * complete minutes on the real clock, and a hold lasts until the judged window's end
 * has moved on by a minute, so the test runs on the clock; but it waits for nothing
 * else. Its rows carry their prediction time (a backfill, as a producer may send one):
 * each step stamps rows into the minute the rules judge now and the one they judge next,
 * both already over, so every judged window holds its rows before maintain looks, and
 * the margin of complete minutes costs no waiting. A phase waits only for its hold: one
 * minute boundary for FIRING; the verdict turns clear in the very minute FIRING arrives
 * (normal rows stamped into the judged minute lower its MAE below the threshold, as a
 * late row may, and the rules judge each window as it stands), so one more boundary
 * gives RESOLVED. Nothing sleeps: each step sends what its minutes lack, waits for it to
 * be joined, invokes maintain and looks again, until what it waits for is there.
 */
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import type { SQSClient } from '@aws-sdk/client-sqs';
import { beforeAll, describe, expect, it } from 'vitest';
import { type AlertMessage, type AlertsDocument, completeUntil } from '../../functions/commons/alerts/alertRules.js';
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
const MIN_ROWS = 10;
/** The absolute error of a worse prediction, and of a normal one. */
const WORSE = 21;
const NORMAL = 1;
/** A phase's longest wait: its hold, the minute it may have begun in, and a minute to spare for a loaded machine. */
const PHASE_MS = (FOR + 2) * MINUTE;
const theStack = apiStackForFile({
  ALERT_WINDOW_MINUTES: String(WINDOW),
  ALERT_FOR_MINUTES: String(FOR),
  ALERT_MIN_ROWS: String(MIN_ROWS),
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

async function post(route: string, items: readonly { id: string; body: number; timestamp: number }[]): Promise<void> {
  const response = await fetch(`${stack.httpEndpoint}${route}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(items),
  });
  expect(response.status).toBe(202);
}

let sent = 0;
/** The absolute errors of the rows sent, by the start of the minute they were predicted in. */
const sentByMinute = new Map<number, number[]>();

/** `count` rows predicted in `minute` whose absolute error is `error`, joined: y_true and y_pred drained. */
async function sendRows(minute: number, error: number, count: number): Promise<void> {
  const ids = Array.from({ length: count }, () => `alerts-${sent++}`);
  const timestamp = minute + MINUTE / 2;
  await post(
    '/truths',
    ids.map((id, i) => ({ id, body: 100 + i, timestamp })),
  );
  await post(
    '/predictions',
    ids.map((id, i) => ({ id, body: 100 + i + error, timestamp })),
  );
  sentByMinute.set(minute, [...(sentByMinute.get(minute) ?? []), ...ids.map(() => error)]);
  const urls = await Promise.all(['y_true', 'y_pred'].map((name) => queueUrl(sqs, name)));
  await eventually('y_true and y_pred to drain', async () =>
    (await Promise.all(urls.map((url) => queueCounts(sqs, url)))).flat().every((count) => count === 0) ? true : undefined,
  );
}

/** The MAE of the rows sent for the minutes in [from, to), from what this test sent. */
function sentMae(from: number, to: number): number {
  const errors = [...sentByMinute].flatMap(([minute, each]) => (minute >= from && minute < to ? each : []));
  return errors.reduce((sum, error) => sum + error, 0) / errors.length;
}

/** A minute whose MAE is above the threshold: MIN_ROWS worse rows, unless it has rows already. */
async function keepWorse(minute: number): Promise<void> {
  if (!sentByMinute.has(minute)) await sendRows(minute, WORSE, MIN_ROWS);
}

/** A minute whose MAE is clear (half the threshold at most): MIN_ROWS normal rows, or as many as its worse ones need. */
async function keepClear(minute: number): Promise<void> {
  const errors = sentByMinute.get(minute) ?? [];
  const total = errors.reduce((sum, error) => sum + error, 0);
  const target = THRESHOLD / 2;
  // (total + k·NORMAL) / (n + k) ≤ target
  const needed = Math.max(0, Math.ceil((total - target * errors.length) / (target - NORMAL)));
  if (errors.length === 0) await sendRows(minute, NORMAL, MIN_ROWS);
  else if (needed > 0) await sendRows(minute, NORMAL, needed);
}

const minuteOf = (time: number) => Math.floor(time / MINUTE) * MINUTE;

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

/**
 * Steps until `done` holds; every step seen, the last one `done`. A step gives the
 * minute the rules judge now and the one they judge next (both over) their rows with
 * `keep`, then invokes maintain and looks: whenever maintain runs, its window has them.
 */
async function feedUntil(what: string, keep: (minute: number) => Promise<void>, done: (step: Step) => boolean): Promise<Step[]> {
  const steps: Step[] = [];
  await eventually(
    what,
    async () => {
      const judgedNow = completeUntil(Date.now()) - WINDOW * MINUTE;
      await keep(judgedNow);
      await keep(judgedNow + MINUTE);
      await stack.invoke('maintain');
      const step = { document: await alertsDocument(), inbox: await inbox() };
      steps.push(step);
      return done(step) || undefined;
    },
    PHASE_MS,
  );
  return steps;
}

describe('alerts', () => {
  it('holds before it fires once on worse predictions, and before it resolves once when they are normal again', async () => {
    // Act: predictions worse by a fixed offset until FIRING arrives.
    const worse = await feedUntil('FIRING in alerts-inbox', keepWorse, (step) => step.inbox.length > 0);
    const worseFrom = Math.min(...sentByMinute.keys());
    await stack.invoke('maintain');
    const whileFiring = await inbox();
    const firingDocument = await alertsDocument();
    const fired = whileFiring[0] as AlertMessage;
    const firedOn = sentMae(Date.parse(fired.from ?? ''), Date.parse(fired.to ?? ''));

    // Then normal predictions until RESOLVED arrives.
    const normal = await feedUntil('RESOLVED in alerts-inbox', keepClear, (step) => step.inbox.length > 1);
    const normalFrom = Math.min(...[...sentByMinute].flatMap(([minute, errors]) => (errors.includes(NORMAL) ? [minute] : [])));
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
    expect(fired).toMatchObject({
      rule: 'mae_above',
      state: 'FIRING',
      value: expect.closeTo(WORSE, 9),
      threshold: THRESHOLD,
      window: WINDOW,
    });
    // The value is the MAE of the rows predicted in the judged minute, as sent.
    expect(fired.value).toBeCloseTo(firedOn, 9);
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
    const resolvedOn = sentMae(Date.parse(resolved.from ?? ''), Date.parse(resolved.to ?? ''));
    expect(resolved).toMatchObject({ value: expect.closeTo(resolvedOn, 9), threshold: THRESHOLD, window: WINDOW });
    expect(resolved.value).toBeLessThanOrEqual(THRESHOLD);
    expect(Date.parse(resolved.to ?? '') - Date.parse(resolved.since ?? '')).toBeGreaterThanOrEqual(FOR * MINUTE);
    expect(Date.parse(resolved.to ?? '') - minuteOf(normalFrom)).toBeLessThanOrEqual((WINDOW + FOR + 1) * MINUTE);
    const lines = listed.stdout.trim().split('\n');
    expect(lines.filter((line) => line.includes('mae_above')).map((line) => line.split(/\s+/)[1])).toEqual(['FIRING', 'RESOLVED']);
    expect(listed.stderr).toMatch(/left in the queue/);
  }, 600_000);
});
