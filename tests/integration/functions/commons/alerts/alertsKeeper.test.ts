/**
 * The alert keeper on a real moto_server: the bootstrap's SNS topic and the queue
 * alerts-inbox subscribed to it; a rule that starts firing reaches the inbox once,
 * not again while it fires (also across a cold start: the state is in alerts.json),
 * and RESOLVED once; a pending rule's hold survives a cold start and nothing reaches
 * the inbox before it is over; `npm run alerts`' reader lists them oldest first and
 * leaves them.
 */
import { mkdtemp, readFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AlertKeeper } from '../../../../../functions/commons/alerts/alertKeeper.js';
import { type AlertInput, type AlertSettings, completeUntil } from '../../../../../functions/commons/alerts/alertRules.js';
import { BUCKET_KEYS } from '../../../../../functions/commons/storage/bucketKeys.js';
import { getText } from '../../../../../functions/commons/storage/s3Objects.js';
import { ALERTS_INBOX, bootstrap, planFromResources } from '../../../../../infra/local/cloud/bootstrap.js';
import { defaultsEnv, templateResources } from '../../../../../infra/local/cloud/bootstrapCli.js';
import { localS3, localSns, localSqs } from '../../../../../infra/local/cloud/localClients.js';
import { type RunningProcess, startMoto } from '../../../../../infra/local/cloud/moto.js';
import { findFreePort } from '../../../../../infra/local/cloud/net.js';
import { readInbox } from '../../../../../infra/tools/alerts/inbox.js';
import { ALERT_RULES_OFF } from '../../../../helpers/factories.js';

/** No hold: these tests are about publishing; the last one holds. */
const SETTINGS: AlertSettings = { ...ALERT_RULES_OFF, windowMinutes: 1, maeAbove: 5 };
const NOW = Date.parse('2026-11-27T12:00:30.000Z');
const silent = { info: () => {}, error: () => {}, warn: () => {} };

let moto: RunningProcess;
let clients: { sqs: ReturnType<typeof localSqs>; s3: ReturnType<typeof localS3>; sns: ReturnType<typeof localSns> };
let topicArn: string;
let bucket: string;
let logsDir: string;

beforeAll(async () => {
  moto = await startMoto(await findFreePort());
  clients = { sqs: localSqs(moto.url), s3: localS3(moto.url), sns: localSns(moto.url) };
  const plan = planFromResources(templateResources(defaultsEnv()));
  await bootstrap(plan, clients);
  // Twice: the inbox is subscribed once, never twice (each alert would arrive twice).
  const report = await bootstrap(plan, clients);
  topicArn = report.topics.AlertsTopic as string;
  bucket = report.buckets[0] as string;
  logsDir = await mkdtemp(join(tmpdir(), 'ml-monitor-alerts-'));
}, 120_000);

afterAll(async () => {
  for (const client of Object.values(clients ?? {})) client.destroy();
  await moto?.stop();
});

/** A metrics.json whose last complete minute at `now` holds `n` rows at `mae`. */
function metrics(n: number, mae: number, now: number): AlertInput {
  const summary = { n, mae, rmse: mae, bias: 0 } as AlertInput['totals'];
  return {
    minutes: [{ ...summary, start: new Date(completeUntil(now) - 60_000).toISOString() }],
    totals: summary,
    label_coverage: 1,
  };
}

const keeper = (settings = SETTINGS) => new AlertKeeper({ ...clients, bucket, logsDir, topicArn, settings, logger: silent });

describe('the alert keeper', () => {
  it('publishes FIRING once to the topic, keeps it across a cold start, and RESOLVED once', async () => {
    // Act
    const first = keeper();
    await first.update(metrics(20, 9, NOW), NOW);
    await first.update(metrics(20, 11, NOW + 10_000), NOW + 10_000);
    const cold = keeper();
    await cold.update(metrics(30, 12, NOW + 20_000), NOW + 20_000);
    await cold.update(metrics(30, 1, NOW + 30_000), NOW + 30_000);
    await cold.update(metrics(30, 1, NOW + 40_000), NOW + 40_000);
    const inbox = await readInbox(clients.sqs, ALERTS_INBOX);
    const again = await readInbox(clients.sqs, ALERTS_INBOX);

    // Assess
    expect(inbox.map((item) => [item.alert?.rule, item.alert?.state, item.alert?.value])).toEqual([
      ['mae_above', 'FIRING', 9],
      ['mae_above', 'RESOLVED', 1],
    ]);
    expect(inbox[0]?.alert).toMatchObject({ threshold: 5, window: 1, at: new Date(NOW).toISOString(), rows: 20 });
    expect(again).toHaveLength(2);
    const stored = JSON.parse((await getText(clients.s3, bucket, BUCKET_KEYS.alerts))?.text ?? '{}');
    expect(stored.firing).toEqual([]);
    expect(stored.recent.map((alert: { state: string }) => alert.state)).toEqual(['FIRING', 'RESOLVED']);
    expect(JSON.parse(await readFile(join(logsDir, BUCKET_KEYS.alerts), 'utf8'))).toEqual(stored);
  }, 60_000);

  it('shows a firing alert in alerts.json, and takes the listed alerts out only when asked', async () => {
    await readInbox(clients.sqs, ALERTS_INBOX, { remove: true });

    await keeper().update(metrics(20, 50, NOW + 120_000), NOW + 120_000);
    const listed = await readInbox(clients.sqs, ALERTS_INBOX, { remove: true });
    const left = await readInbox(clients.sqs, ALERTS_INBOX);

    const stored = JSON.parse((await getText(clients.s3, bucket, BUCKET_KEYS.alerts))?.text ?? '{}');
    expect(stored.firing).toMatchObject([{ rule: 'mae_above', state: 'FIRING', value: 50, threshold: 5, window: 1 }]);
    expect(stored.rules.map((rule: { rule: string; enabled: boolean }) => [rule.rule, rule.enabled])).toEqual([
      ['mae_above', true],
      ['mae_ratio', false],
      ['coverage_below', false],
      ['drift', false],
      ['estimated_mae_ratio', false],
    ]);
    expect(listed.map((item) => item.alert?.state)).toEqual(['FIRING']);
    expect(left).toEqual([]);
  }, 60_000);

  it('keeps a rule unchanged when the topic refuses its message, and publishes it at the next update', async () => {
    const failing = new AlertKeeper({
      ...clients,
      bucket,
      logsDir,
      topicArn: `${topicArn}-missing`,
      settings: SETTINGS,
      logger: silent,
    });

    const refused = await failing.update(metrics(20, 1, NOW + 180_000), NOW + 180_000);
    const retried = await keeper().update(metrics(20, 1, NOW + 190_000), NOW + 190_000);

    expect(refused.published).toEqual([]);
    expect(refused.document.firing.map((alert) => alert.rule)).toEqual(['mae_above']);
    expect(retried.published.map((alert) => alert.state)).toEqual(['RESOLVED']);
  }, 60_000);

  it('keeps a pending rule in alerts.json across a cold start, and publishes FIRING once its hold is over', async () => {
    const held = { ...SETTINGS, forMinutes: 2 };
    const start = NOW + 600_000;
    await readInbox(clients.sqs, ALERTS_INBOX, { remove: true });

    await keeper(held).update(metrics(20, 9, start), start);
    const pending = JSON.parse((await getText(clients.s3, bucket, BUCKET_KEYS.alerts))?.text ?? '{}');
    await keeper(held).update(metrics(20, 9, start + 60_000), start + 60_000);
    const whilePending = await readInbox(clients.sqs, ALERTS_INBOX);
    const fired = await keeper(held).update(metrics(20, 9, start + 120_000), start + 120_000);
    const inbox = await readInbox(clients.sqs, ALERTS_INBOX);

    expect(pending.firing).toEqual([]);
    expect(pending.pending).toMatchObject([{ rule: 'mae_above', state: 'PENDING', minutes: 0, value: 9, threshold: 5, window: 1 }]);
    expect(whilePending).toEqual([]);
    expect(fired.published.map((alert) => alert.state)).toEqual(['FIRING']);
    expect(fired.document.pending).toEqual([]);
    expect(inbox.map((item) => [item.alert?.rule, item.alert?.state, item.alert?.since])).toEqual([
      ['mae_above', 'FIRING', new Date(completeUntil(start)).toISOString()],
    ]);
  }, 60_000);
});
