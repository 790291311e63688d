import { beforeEach, describe, expect, it, vi } from 'vitest';

const sent = vi.hoisted(() => ({ calls: [] as { queue: string; bodies: unknown[] }[], fail: undefined as Error | undefined }));

vi.mock('../../../functions/commons/messaging/queues.js', () => ({
  sendRecords: async (_sqs: unknown, queue: string, bodies: unknown[]) => {
    if (sent.fail) throw sent.fail;
    sent.calls.push({ queue, bodies });
  },
}));

const stored = vi.hoisted(() => ({ puts: [] as { bucket: string; key: string; body: string }[], fail: undefined as Error | undefined }));

vi.mock('../../../functions/commons/storage/s3Objects.js', () => ({
  putObject: async (_s3: unknown, bucket: string, key: string, body: string) => {
    if (stored.fail) throw stored.fail;
    stored.puts.push({ bucket, key, body });
  },
}));

process.env.POWERTOOLS_LOG_LEVEL = 'SILENT';
const { handler } = await import('../../../functions/ingest.js');
const { assertModelReference } = await import('../../../functions/commons/drift/modelReference.js');
const { referenceItems } = await import('../../helpers/referenceRows.js');

/** `contentType` null: the request has none. */
const post = (route: string, body: string, contentType: string | null = 'application/json') =>
  handler({
    routeKey: `POST /${route}`,
    headers: contentType === null ? {} : { 'content-type': contentType },
    body,
    isBase64Encoded: false,
  });

beforeEach(() => {
  sent.calls = [];
  sent.fail = undefined;
  stored.puts = [];
  stored.fail = undefined;
});

const putReference = (model: string, body: unknown, contentType = 'application/json') =>
  handler({
    routeKey: 'PUT /references/{model}',
    pathParameters: { model },
    headers: { 'content-type': contentType },
    body: JSON.stringify(body),
    isBase64Encoded: false,
  });

describe('the ingest handler', () => {
  it('queues truths on y_true and predictions on y_pred, each with its time (its arrival when it has none), and answers 202 with the count', async () => {
    const before = Date.now();
    const truths = await post(
      'truths',
      '[{"id": 1669147134.196809, "body": 295.0}, {"id": "b", "body": 1, "timestamp": "2026-12-01T10:00:00Z"}]',
    );
    const predictions = await post('predictions', '{"id": "b", "body": 2, "model": "v2"}');

    expect(truths).toEqual({ statusCode: 202, headers: { 'content-type': 'application/json' }, body: '{"accepted":2}' });
    expect(predictions.statusCode).toBe(202);
    expect(sent.calls).toEqual([
      {
        queue: 'y_true',
        bodies: [
          { id: '1669147134.196809', body: 295, timestamp: expect.any(Number) },
          { id: 'b', body: 1, timestamp: Date.parse('2026-12-01T10:00:00Z') },
        ],
      },
      { queue: 'y_pred', bodies: [{ id: 'b', body: 2, model: 'v2', timestamp: expect.any(Number) }] },
    ]);
    const arrival = (sent.calls[0]?.bodies[0] as { timestamp?: number } | undefined)?.timestamp ?? 0;
    expect(arrival).toBeGreaterThanOrEqual(before);
    expect(arrival).toBeLessThanOrEqual(Date.now());
  });

  it('refuses a bad request with its status and reasons, and queues nothing', async () => {
    const bad = await post('truths', '[{"id": "a", "body": 1}, {"id": "b", "body": "x"}]');
    const tooMany = await post('predictions', JSON.stringify(Array.from({ length: 501 }, (_, i) => ({ id: `p${i}`, body: i }))));

    expect(bad.statusCode).toBe(400);
    expect(JSON.parse(bad.body as string)).toEqual({ errors: [{ index: 1, reason: 'body must be a JSON number, not a string' }] });
    expect(tooMany.statusCode).toBe(413);
    expect(sent.calls).toEqual([]);
  });

  it('refuses a body not declared application/json with 415, and queues nothing', async () => {
    const plain = await post('truths', '{"id": "a", "body": 1}', 'text/plain');
    const untyped = await post('predictions', '{"id": "a", "body": 1}', null);

    expect(plain.statusCode).toBe(415);
    expect(JSON.parse(plain.body as string)).toEqual({
      errors: [{ reason: 'the content-type must be application/json (optionally with ; charset=utf-8), not "text/plain"' }],
    });
    expect(untyped.statusCode).toBe(415);
    expect(sent.calls).toEqual([]);
  });

  it('answers 503, saying to send again, when the queue does not take the records', async () => {
    sent.fail = new Error('2 message(s) to y_true not sent after 3 attempts');

    const answer = await post('truths', '{"id": "a", "body": 1}');

    expect(answer.statusCode).toBe(503);
    expect(answer.headers).toMatchObject({ 'retry-after': '1' });
    expect(JSON.parse(answer.body as string).error).toMatch(
      /could not queue the 1 record\(s\) on y_true .* send the request again \(duplicates are harmless\)/,
    );
  });

  it('stores a reference built from PUT /references/{model} at references/<model>.json and answers 201 with its summary', async () => {
    const answer = await putReference('v2', { rows: referenceItems(80, true) });

    expect(answer.statusCode).toBe(201);
    expect(JSON.parse(answer.body as string)).toMatchObject({
      model: 'v2',
      key: 'references/v2.json',
      rows: 80,
      categories: ['region'],
      skipped: [],
    });
    expect(stored.puts.map(({ bucket, key }) => ({ bucket, key }))).toEqual([{ bucket: 'ml-monitor-dev', key: 'references/v2.json' }]);
    const reference = assertModelReference(JSON.parse(stored.puts[0]?.body ?? ''));
    expect(reference).toMatchObject({ model: 'v2', rows: 80 });
    expect(reference.feature_names).toHaveLength(10);
    expect(sent.calls).toEqual([]);
  });

  it('refuses a bad reference request with its status and reasons, and stores nothing', async () => {
    const few = await putReference('v2', { rows: referenceItems(10) });
    const plain = await putReference('v2', { rows: referenceItems(80) }, 'text/plain');

    expect(few.statusCode).toBe(400);
    expect(JSON.parse(few.body as string)).toEqual({ errors: [{ reason: '10 rows: a reference needs at least 50' }] });
    expect(plain.statusCode).toBe(415);
    expect(stored.puts).toEqual([]);
  });

  it('answers 503, saying to send again, when the bucket does not take the reference', async () => {
    stored.fail = new Error('SlowDown');

    const answer = await putReference('v2', { rows: referenceItems(60) });

    expect(answer.statusCode).toBe(503);
    expect(JSON.parse(answer.body as string).error).toBe('could not store references/v2.json (SlowDown): send the request again');
  });
});
