/** The bench's recording proxy against a stand-in upstream on a free port (no emulator needed). */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { RecordingProxy, type SegmentWrite } from '../../infra/bench/recordingProxy.js';
import { findFreePort } from '../../infra/cloud/net.js';

const AUTH = (service: string) =>
  `AWS4-HMAC-SHA256 Credential=test/20261126/us-east-1/${service}/aws4_request, SignedHeaders=host, Signature=x`;

let upstream: Server;
let proxy: RecordingProxy;
const writes: SegmentWrite[] = [];
const seenByUpstream: { method: string; url: string; body: string; host: string | undefined }[] = [];

beforeAll(async () => {
  // Echoes what it got; answers 412 to a PutObject whose key says so.
  upstream = createServer((req: IncomingMessage, res: ServerResponse) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      const body = Buffer.concat(chunks).toString();
      seenByUpstream.push({ method: req.method ?? '', url: req.url ?? '', body, host: req.headers.host });
      const status = req.url?.includes('conflict') ? 412 : 200;
      // /slow answers after a while, /never not at all (until the client gives up).
      if (req.url === '/never') return;
      setTimeout(
        () => {
          res.writeHead(status, { 'content-type': 'application/json', connection: 'keep-alive' });
          res.end(JSON.stringify({ echoed: body.length }));
        },
        req.url === '/slow' ? 300 : 0,
      );
    });
  });
  await new Promise<void>((resolve) => upstream.listen(0, '127.0.0.1', resolve));
  const { port } = upstream.address() as AddressInfo;
  proxy = await RecordingProxy.start({ target: `http://127.0.0.1:${port}`, onSegmentWrite: (write) => writes.push(write) });
});

afterAll(async () => {
  await proxy?.close();
  await new Promise<void>((resolve) => upstream?.close(() => resolve()));
});

beforeEach(() => {
  proxy.reset();
  writes.length = 0;
  seenByUpstream.length = 0;
});

async function send(method: string, path: string, headers: Record<string, string>, body?: string): Promise<Response> {
  return fetch(`${proxy.url}${path}`, { method, headers, ...(body === undefined ? {} : { body }) });
}

describe('the recording proxy', () => {
  it('forwards requests unchanged (Host included) and counts them by operation with their bytes', async () => {
    const body = JSON.stringify({ QueueUrl: 'http://x/123/features', Entries: [] });
    const response = await send('POST', '/', { authorization: AUTH('sqs'), 'x-amz-target': 'AmazonSQS.SendMessageBatch' }, body);
    await send('POST', '/', { authorization: AUTH('sqs'), 'x-amz-target': 'AmazonSQS.SendMessageBatch' }, body);
    await send('GET', '/ml-monitor-dev/state/metric-table.json', { authorization: AUTH('s3') });

    const text = await response.text();
    expect(response.status).toBe(200);
    expect(JSON.parse(text)).toEqual({ echoed: body.length });
    expect(seenByUpstream[0]).toMatchObject({ method: 'POST', url: '/', body, host: new URL(proxy.url).host });
    const counts = proxy.counts();
    expect(Object.keys(counts)).toEqual(['sqs:SendMessageBatch', 's3:GetObject']);
    expect(counts['sqs:SendMessageBatch']).toMatchObject({
      count: 2,
      requestBytes: 2 * body.length,
      responseBytes: 2 * text.length,
      statuses: { 200: 2 },
    });
    expect(proxy.totalRequests()).toBe(3);
    expect(proxy.inFlight).toBe(0);
  });

  it('reports each successful metric-log segment write with the ids in it, and nothing else', async () => {
    const id = '1795680657123-9f3a1c2e-0007';
    const before = Date.now();
    await send(
      'PUT',
      '/ml-monitor-dev/segments/metric_log/000000000001.csv?x-id=PutObject',
      { authorization: AUTH('s3') },
      `${id},1.0,2.0,1.0\n`,
    );
    await send(
      'PUT',
      '/ml-monitor-dev/segments/metric_log/000000000002.csv?conflict',
      { authorization: AUTH('s3') },
      `${id},1.0,2.0,1.0\n`,
    );
    await send('PUT', '/ml-monitor-dev/segments/orphans/000000000001.csv', { authorization: AUTH('s3') }, `${id},y_true,1.0,x,y\n`);
    await send('PUT', '/ml-monitor-dev/state/metric-table.json', { authorization: AUTH('s3') }, '{}');

    expect(writes).toHaveLength(1);
    expect(writes[0]).toMatchObject({ key: 'segments/metric_log/000000000001.csv', ids: [id] });
    expect(writes[0]?.seenAt).toBeGreaterThanOrEqual(before);
    expect(proxy.counts()['s3:PutObject']?.statuses).toEqual({ 200: 3, 412: 1 });
  });

  it('lists requests the upstream sits on, and counts them aborted when the client gives up', async () => {
    expect(proxy.stuck(0)).toEqual([]);
    const controller = new AbortController();
    const slow = send('POST', '/slow', { authorization: AUTH('sqs'), 'x-amz-target': 'AmazonSQS.SendMessageBatch' }, '{}');
    const aborted = fetch(`${proxy.url}/never`, {
      method: 'POST',
      headers: { authorization: AUTH('sqs'), 'x-amz-target': 'AmazonSQS.DeleteMessageBatch' },
      body: '{}',
      signal: controller.signal,
    }).catch(() => 'aborted');
    await new Promise((resolve) => setTimeout(resolve, 150));

    expect(proxy.stuck(100).map((entry) => entry.operation)).toEqual(['sqs:SendMessageBatch', 'sqs:DeleteMessageBatch']);
    controller.abort();
    expect(await aborted).toBe('aborted');
    expect((await slow).status).toBe(200);
    await new Promise((resolve) => setTimeout(resolve, 50));
    expect(proxy.stuck(0)).toEqual([]);
    expect(proxy.counts()['sqs:DeleteMessageBatch']?.statuses).toEqual({ aborted: 1 });
  });

  it('answers 502 and counts an error when the upstream is gone', async () => {
    const port = await findFreePort();
    const lonely = await RecordingProxy.start({ target: `http://127.0.0.1:${port}` });
    try {
      const response = await fetch(`${lonely.url}/`, {
        method: 'POST',
        headers: { authorization: AUTH('sqs'), 'x-amz-target': 'AmazonSQS.ListQueues' },
        body: '{}',
      });
      expect(response.status).toBe(502);
      expect(lonely.counts()['sqs:ListQueues']?.statuses).toEqual({ error: 1 });
    } finally {
      await lonely.close();
    }
  });
});
