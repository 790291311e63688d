import { describe, expect, it } from 'vitest';
import { answerRoute, type BucketReader } from '../../../../../functions/commons/dashboard/routes.js';
import { BUCKET_KEYS } from '../../../../../functions/commons/storage/bucketKeys.js';

function bucketOf(objects: Record<string, string>): BucketReader & { tails: number[] } {
  const tails: number[] = [];
  return {
    tails,
    text: async (key) => objects[key],
    async tail(key, bytes) {
      tails.push(bytes);
      const text = objects[key];
      if (text === undefined) return undefined;
      const start = Math.max(0, text.length - bytes);
      return { text: text.slice(start), contentRange: `bytes ${start}-${text.length - 1}/${text.length}` };
    },
  };
}

describe('the dashboard routes', () => {
  it('serves the page, its script and Chart.js from the bundle, with a policy that allows only the page own origin', async () => {
    const page = await answerRoute('', bucketOf({}));
    const script = await answerRoute('dashboard.js', bucketOf({}));
    const chart = await answerRoute('chart.umd.js', bucketOf({}));

    expect(page.statusCode).toBe(200);
    expect(page.headers?.['content-type']).toBe('text/html; charset=utf-8');
    expect(page.body).toContain('data-kpi="abs_error_p90"');
    expect(page.headers?.['content-security-policy']).toContain("default-src 'self'");
    expect(script.headers?.['content-type']).toBe('text/javascript; charset=utf-8');
    expect(script.body).toContain('export function kpiFigures');
    expect(chart.body).toContain('Chart.js v4');
    expect(chart.headers?.['cache-control']).toBe('public, max-age=86400');
  });

  it('serves metrics.json as the bucket holds it, and 404 before there is one', async () => {
    const document = '{"updated_at":"2026-11-27T07:00:00.000Z","totals":{"n":3}}';

    const served = await answerRoute('metrics.json', bucketOf({ [BUCKET_KEYS.metrics]: document }));
    const none = await answerRoute('metrics.json', bucketOf({}));

    expect(served).toMatchObject({
      statusCode: 200,
      body: document,
      headers: { 'content-type': 'application/json', 'cache-control': 'no-store' },
    });
    expect(none.statusCode).toBe(404);
    expect(JSON.parse(none.body as string).error).toMatch(/no metrics\.json yet/);
  });

  it('answers histogram.json and alerts.json with an empty document while there is none', async () => {
    expect((await answerRoute('histogram.json', bucketOf({}))).body).toBe('null');
    expect((await answerRoute('alerts.json', bucketOf({}))).body).toBe('{"firing":[]}');
    expect((await answerRoute('alerts.json', bucketOf({ [BUCKET_KEYS.alerts]: '{"firing":[{"rule":"mae"}]}' }))).body).toBe(
      '{"firing":[{"rule":"mae"}]}',
    );
  });

  it('serves drift.json as the bucket holds it, and null (not a 404 the browser would log) before there is one', async () => {
    const document = '{"updated_at":"2026-11-27T07:00:00.000Z","models":{}}';

    const served = await answerRoute('drift.json', bucketOf({ [BUCKET_KEYS.drift]: document }));
    const none = await answerRoute('drift.json', bucketOf({}));

    expect(served).toMatchObject({ statusCode: 200, body: document, headers: { 'cache-control': 'no-store' } });
    expect(none).toMatchObject({ statusCode: 200, body: 'null' });
  });

  it("serves the latest rows from a ranged read of the log's newest piece", async () => {
    const piece = 'metric_log/date=2026-12-03/hour=14/part-0000.csv';
    const bucket = bucketOf({
      [BUCKET_KEYS.logHeads]: JSON.stringify({ version: 1, logs: { metric_log: { key: piece, lastSeq: 2, rows: 2 } } }),
      [piece]: 'id,y_true,y_pred,absolute_error,model,predicted_at,labelled_at\na,1.0,2.0,1.0,v1,,\nb,3.0,5.0,2.0,,,\n',
    });

    const rows = await answerRoute('rows.json', bucket);

    expect(JSON.parse(rows.body as string)).toEqual({ rows: 2, y_true: [1, 3], y_pred: [2, 5], model: ['v1', ''] });
    expect(bucket.tails).toEqual([256 * 1024]);
    expect(JSON.parse((await answerRoute('rows.json', bucketOf({}))).body as string)).toEqual({
      rows: 0,
      y_true: [],
      y_pred: [],
      model: [],
    });
  });

  it('answers 404 for any other file, inherited names included', async () => {
    for (const file of ['truths', 'constructor', '__proto__', 'page.html']) {
      expect((await answerRoute(file, bucketOf({}))).statusCode).toBe(404);
    }
  });
});
