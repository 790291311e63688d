/**
 * Time as it happened, on the whole stack: a backfill sent through the API with its
 * timestamps lands in its own minutes and hours of metrics.json, a label that comes
 * late updates the minute of its prediction, and after each maintain run the PNG,
 * histogram.json, metrics.json and the dashboard agree on the rows.
 */
import { HeadObjectCommand } from '@aws-sdk/client-s3';
import { describe, expect, it } from 'vitest';
import type { MetricsDocument } from '../../functions/commons/metrics/metricsBook.js';
import { BUCKET_KEYS } from '../../functions/commons/storage/bucketKeys.js';
import { BUCKET } from '../../infra/local/toolbox/localDefaults.js';
import { apiStackForFile, eventually } from '../helpers/stack.js';

const theStack = apiStackForFile();
const MINUTE = 60_000;

const minuteOf = (ms: number) => new Date(Math.floor(ms / MINUTE) * MINUTE).toISOString();
const hourOf = (ms: number) => new Date(Math.floor(ms / (60 * MINUTE)) * 60 * MINUTE).toISOString();

async function post(route: 'truths' | 'predictions', endpoint: string, items: unknown[]): Promise<void> {
  const answer = await fetch(`${endpoint}/${route}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(items),
  });
  expect(answer.status).toBe(202);
}

describe('event time', () => {
  it('puts a backfill in its own minutes and a late label in the minute of its prediction; the charts follow each append', async () => {
    const { stack } = theStack();
    const api = stack.httpEndpoint;
    // Ten seconds into a minute, so the six predictions a second apart all fall in it.
    const backfilledAt = Math.floor(Date.now() / MINUTE) * MINUTE - 2 * 60 * MINUTE - 17 * MINUTE + 10_000;
    const lateAt = Date.now() - 25 * MINUTE;
    const dashboard = async <T>(file: string) => (await (await fetch(`${api}/${file}`)).json()) as T;
    const rowsUntil = async (n: number) =>
      await eventually(`${n} rows in metrics.json`, async () => {
        await stack.invoke('maintain');
        const metrics = await dashboard<MetricsDocument>('metrics.json');
        return metrics.totals.n >= n ? metrics : undefined;
      });

    // A backfill of a past minute, its truths sent with their own (later) times.
    const backfill = Array.from({ length: 6 }, (_, i) => ({
      id: `backfill-${i}`,
      body: 100 + i,
      model: 'v1',
      timestamp: new Date(backfilledAt + i * 1_000).toISOString(),
    }));
    await post('predictions', api, backfill);
    await post(
      'truths',
      api,
      backfill.map(({ id }, i) => ({ id, body: 110 + i, timestamp: backfilledAt + 30 * MINUTE })),
    );
    const afterBackfill = await rowsUntil(6);
    // A prediction whose label has not come yet …
    await post('predictions', api, [{ id: 'late-label', body: 50, timestamp: lateAt }]);
    await eventually('the prediction waiting for its label', async () =>
      (await stack.invoke<{ pending: number }>('maintain')).pending === 1 ? true : undefined,
    );
    // … and comes now.
    await post('truths', api, [{ id: 'late-label', body: 80 }]);
    const afterLabel = await rowsUntil(7);

    const backfilledMinute = afterBackfill.minutes.find((minute) => minute.start === minuteOf(backfilledAt));
    expect(backfilledMinute).toMatchObject({ n: 6, mae: 10 });
    expect(afterBackfill.hours.find((hour) => hour.start === hourOf(backfilledAt))).toMatchObject({ n: 6 });
    expect(afterBackfill.minutes.reduce((sum, minute) => sum + minute.n, 0)).toBe(6);
    expect(afterLabel.minutes.find((minute) => minute.start === minuteOf(lateAt))).toMatchObject({ n: 1, mae: 30 });
    expect(afterLabel.minutes.find((minute) => minute.start === minuteOf(backfilledAt))).toMatchObject({ n: 6 });
    expect(afterLabel.models.v1).toMatchObject({ n: 6 });

    // After the run that appended the label's row: histogram.json, the PNG drawn from it, metrics.json and the dashboard agree.
    const histogram = await dashboard<{ rows: number; counts: number[]; updated_at: string }>('histogram.json');
    expect(histogram.rows).toBe(afterLabel.totals.n);
    expect(histogram.counts.reduce((sum, count) => sum + count, 0)).toBe(afterLabel.totals.n);
    const { s3 } = theStack();
    const [png, json] = await Promise.all(
      [BUCKET_KEYS.errorPlot, BUCKET_KEYS.histogram].map((Key) => s3.send(new HeadObjectCommand({ Bucket: BUCKET, Key }))),
    );
    expect((png?.LastModified?.getTime() ?? 0) >= (json?.LastModified?.getTime() ?? Number.POSITIVE_INFINITY)).toBe(true);
    const rows = await dashboard<{ rows: number }>('rows.json');
    expect(rows.rows).toBe(afterLabel.totals.n);
  }, 240_000);
});
