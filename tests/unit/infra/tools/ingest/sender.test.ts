import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { findFreePort } from '../../../../../infra/local/cloud/net.js';
import type { CsvRow } from '../../../../../infra/tools/ingest/csvRows.js';
import { type SendOptions, sendRows } from '../../../../../infra/tools/ingest/sender.js';

type Answer = { status: number; body: unknown };
let server: Server | undefined;

/** An API that answers each request with `answer(items, n)` and records what it got. */
async function fakeApi(
  answer: (items: { id: string }[], request: number) => Answer,
): Promise<{ url: string; requests: { path: string; ids: string[]; bytes: number }[] }> {
  const requests: { path: string; ids: string[]; bytes: number }[] = [];
  server = createServer((req: IncomingMessage, res: ServerResponse) => {
    let body = '';
    req.setEncoding('utf8');
    req.on('data', (chunk) => {
      body += chunk;
    });
    req.on('end', () => {
      const items = JSON.parse(body) as { id: string }[];
      requests.push({ path: req.url ?? '', ids: items.map((item) => item.id), bytes: Buffer.byteLength(body) });
      const { status, body: out } = answer(items, requests.length);
      res.writeHead(status, { 'content-type': 'application/json' }).end(JSON.stringify(out));
    });
  });
  await new Promise<void>((resolve) => server?.listen(0, '127.0.0.1', resolve));
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/`, requests };
}

afterEach(async () => {
  const running = server;
  server = undefined;
  if (running) await new Promise((resolve) => running.close(resolve));
});

async function* rows(count: number, bad: readonly number[] = []): AsyncGenerator<CsvRow> {
  for (let i = 0; i < count; i++) {
    const line = i + 2;
    yield bad.includes(i) ? { line, id: `r${i}`, reason: 'value "x" is not a number' } : { line, item: { id: `r${i}`, body: i } };
  }
}

const options = (url: string, more: Partial<SendOptions> = {}): SendOptions => ({
  url,
  batchSize: 4,
  concurrency: 2,
  attempts: 3,
  delayMs: 1,
  maxDelayMs: 5,
  timeoutMs: 5_000,
  ...more,
});

describe('sending a file through the API', () => {
  it('sends every good row once, in batches, and counts the rows refused on reading', async () => {
    const api = await fakeApi((items) => ({ status: 202, body: { accepted: items.length } }));

    const outcome = await sendRows(rows(10, [3]), 'truths', options(api.url));

    expect(outcome).toMatchObject({ route: `${api.url}truths`, rows: 10, sent: 9, failed: 0, refused: [{ line: 5, id: 'r3' }] });
    expect(api.requests.map((r) => r.path)).toEqual(['/truths', '/truths', '/truths']);
    expect(api.requests.flatMap((r) => r.ids).sort()).toEqual(['r0', 'r1', 'r2', 'r4', 'r5', 'r6', 'r7', 'r8', 'r9']);
  });

  it("keeps every request under the API's 256 KiB in bytes, however many bytes a category's characters take", async () => {
    const api = await fakeApi((items) => ({ status: 202, body: { accepted: items.length } }));
    const category = 'é'.repeat(128);
    async function* wide(): AsyncGenerator<CsvRow> {
      for (let i = 0; i < 100; i++) {
        const features = Object.fromEntries(Array.from({ length: 64 }, (_, j) => [`f${j}`, category]));
        yield { line: i + 2, item: { id: `w${i}`, body: i, features } };
      }
    }

    const outcome = await sendRows(wide(), 'predictions', options(api.url, { batchSize: 500 }));

    expect(outcome).toMatchObject({ rows: 100, sent: 100, failed: 0 });
    expect(Math.max(...api.requests.map((r) => r.bytes))).toBeLessThanOrEqual(256 * 1024);
    expect(api.requests.length).toBeGreaterThan(1);
  });

  it('retries throttling and server errors with backoff', async () => {
    const api = await fakeApi((items, n) =>
      n <= 2 ? { status: n === 1 ? 429 : 503, body: { message: 'slow down' } } : { status: 202, body: { accepted: items.length } },
    );
    const retries: string[] = [];

    const outcome = await sendRows(
      rows(3),
      'predictions',
      options(api.url, { onProgress: (_o, retrying) => retrying && retries.push(retrying) }),
    );

    expect(outcome).toMatchObject({ rows: 3, sent: 3, failed: 0 });
    expect(retries).toEqual([
      expect.stringMatching(/^the API answered 429: slow down; attempt 2 of 3/),
      expect.stringMatching(/^the API answered 503/),
    ]);
  });

  it('counts the rows the API refuses and sends the rest of their batch again', async () => {
    const api = await fakeApi((items) => {
      const bad = items.map((item, index) => ({ item, index })).filter(({ item }) => item.id === 'r1');
      return bad.length > 0
        ? { status: 400, body: { errors: bad.map(({ index }) => ({ index, reason: 'id: not this one' })) } }
        : { status: 202, body: { accepted: items.length } };
    });

    const outcome = await sendRows(rows(4), 'truths', options(api.url));

    expect(outcome).toMatchObject({ rows: 4, sent: 3, failed: 0, refused: [{ line: 3, id: 'r1', reason: 'id: not this one' }] });
    expect(api.requests.map((r) => r.ids)).toEqual([
      ['r0', 'r1', 'r2', 'r3'],
      ['r0', 'r2', 'r3'],
    ]);
  });

  it('stops the file at an answer no retry changes, and counts what was not sent', async () => {
    const api = await fakeApi(() => ({ status: 403, body: { message: 'Forbidden' } }));

    const outcome = await sendRows(rows(20), 'truths', options(api.url, { concurrency: 1 }));

    expect(outcome).toMatchObject({ rows: 20, sent: 0, failed: 20 });
    expect(outcome.stopped).toBe(`the API answered 403 at ${api.url}truths (on AWS the API takes only IAM-signed requests): Forbidden`);
    expect(api.requests.length).toBeLessThanOrEqual(2);
  });

  it('stops when the API stays unreachable after the retries', async () => {
    const closed = await findFreePort();

    const outcome = await sendRows(rows(2), 'truths', options(`http://127.0.0.1:${closed}`));

    expect(outcome).toMatchObject({
      rows: 2,
      sent: 0,
      failed: 2,
      stopped: `could not reach http://127.0.0.1:${closed}/truths: ECONNREFUSED`,
    });
  });
});
