import { beforeEach, describe, expect, it, vi } from 'vitest';

const sent = vi.hoisted(() => ({ calls: [] as { queue: string; bodies: unknown[] }[], fail: undefined as Error | undefined }));

vi.mock('../../../functions/commons/messaging/queues.js', () => ({
  sendRecords: async (_sqs: unknown, queue: string, bodies: unknown[]) => {
    if (sent.fail) throw sent.fail;
    sent.calls.push({ queue, bodies });
  },
}));

process.env.POWERTOOLS_LOG_LEVEL = 'SILENT';
const { handler } = await import('../../../functions/ingest.js');

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
});
