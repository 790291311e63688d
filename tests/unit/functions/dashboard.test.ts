import { beforeEach, describe, expect, it, vi } from 'vitest';

const s3 = vi.hoisted(() => ({ commands: [] as { name: string; input: Record<string, unknown> }[], answer: undefined as unknown }));

vi.mock('../../../functions/commons/platform/clients.js', () => ({
  createS3Client: () => ({
    send: async (command: { constructor: { name: string }; input: Record<string, unknown> }) => {
      s3.commands.push({ name: command.constructor.name, input: command.input });
      const answer =
        typeof s3.answer === 'function' ? (s3.answer as (input: Record<string, unknown>) => unknown)(command.input) : s3.answer;
      if (answer instanceof Error) throw answer;
      return answer;
    },
  }),
}));

process.env.POWERTOOLS_LOG_LEVEL = 'SILENT';
const { handler } = await import('../../../functions/dashboard.js');

const body = (text: string) => ({ Body: { transformToString: async () => text }, ETag: '"1"' });

beforeEach(() => {
  s3.commands = [];
  s3.answer = undefined;
});

describe('the dashboard handler', () => {
  it('serves the page on GET / without reading the bucket', async () => {
    const page = await handler({ pathParameters: undefined });

    expect(page.statusCode).toBe(200);
    expect(page.body).toContain('<canvas id="histogram"');
    expect(s3.commands).toEqual([]);
  });

  it('serves metrics.json from the bucket', async () => {
    s3.answer = body('{"totals":{"n":1}}');

    const metrics = await handler({ pathParameters: { file: 'metrics.json' } });

    expect(metrics).toMatchObject({ statusCode: 200, body: '{"totals":{"n":1}}' });
    expect(s3.commands).toEqual([{ name: 'GetObjectCommand', input: { Bucket: 'ml-monitor-dev', Key: 'metrics.json' } }]);
  });

  it("reads only the last bytes of the log's newest piece for rows.json", async () => {
    const piece = 'metric_log/date=2026-12-03/hour=14/part-0000.csv';
    s3.answer = (input: Record<string, unknown>) =>
      input.Key === 'state/log-heads.json'
        ? body(JSON.stringify({ version: 1, logs: { metric_log: { key: piece, lastSeq: 9, rows: 9 } } }))
        : { ...body('x,1.0,2.0,1.0,v1,,\nb,3.0,5.0,2.0,v1,2026-12-03T14:00:00.000Z,\n'), ContentRange: 'bytes 100-127/128' };

    const rows = await handler({ pathParameters: { file: 'rows.json' } });

    expect(JSON.parse(rows.body as string)).toEqual({ rows: 1, y_true: [3], y_pred: [5], model: ['v1'] });
    expect(s3.commands[1]?.input).toMatchObject({ Key: piece, Range: 'bytes=-262144' });
  });

  it('answers 503 when the bucket cannot be read', async () => {
    s3.answer = Object.assign(new Error('socket hang up'), { $metadata: { httpStatusCode: 500 } });

    const answer = await handler({ pathParameters: { file: 'metrics.json' } });

    expect(answer.statusCode).toBe(503);
    expect(JSON.parse(answer.body as string).error).toContain('socket hang up');
  });
});
