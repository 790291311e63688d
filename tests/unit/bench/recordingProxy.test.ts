/** bench/recordingProxy.ts: naming requests, and the proxy against stand-in upstreams on free ports (no emulator needed). */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { describe, expect, it, vi } from 'vitest';
import { classifyRequest, RecordingProxy, type SegmentWrite, s3Key, s3Operation } from '../../../bench/recordingProxy.js';
import { findFreePort } from '../../../infra/local/cloud/net.js';

const AUTH = (service: string) =>
  `AWS4-HMAC-SHA256 Credential=test/20261126/us-east-1/${service}/aws4_request, SignedHeaders=host, Signature=x`;
const ID = '1795680657123-9f3a1c2e-0007';

describe('classifyRequest', () => {
  it('names SQS operations from X-Amz-Target (the JSON protocol)', () => {
    const classified = classifyRequest('POST', '/', { authorization: AUTH('sqs'), 'x-amz-target': 'AmazonSQS.SendMessageBatch' });

    expect(classified).toEqual({ service: 'sqs', operation: 'SendMessageBatch' });
  });

  it('names an Invoke of the Lambda API with its function', () => {
    const classified = classifyRequest('POST', '/2015-03-31/functions/ml-monitor-dev-metric/invocations', {
      authorization: AUTH('lambda'),
    });

    expect(classified).toEqual({ service: 'lambda', operation: 'Invoke', functionName: 'ml-monitor-dev-metric' });
  });

  it.each([
    ['GET', '/ml-monitor-dev/state/metric-table.json', 'GetObject'],
    ['GET', '/ml-monitor-dev/metric_log.csv?x-id=GetObject', 'GetObject'],
    ['PUT', '/ml-monitor-dev/segments/metric_log/000000000001.csv', 'PutObject'],
    ['HEAD', '/ml-monitor-dev/metric_log.csv', 'HeadObject'],
    ['DELETE', '/ml-monitor-dev/metric_log.csv', 'DeleteObject'],
  ])('names the object request %s %s as S3 %s', (method, url, operation) => {
    expect(classifyRequest(method, url, { authorization: AUTH('s3') })).toEqual({ service: 's3', operation });
  });

  it('names bucket requests by their sub-resource, list type or method', () => {
    const names = [
      'POST /ml-monitor-dev?delete',
      'POST /ml-monitor-dev/?delete=',
      'GET /ml-monitor-dev?list-type=2&prefix=segments%2F',
      'HEAD /ml-monitor-dev',
      'PUT /ml-monitor-dev',
      'PUT /ml-monitor-dev?publicAccessBlock',
      'GET /',
    ].map(
      (request) =>
        classifyRequest(request.split(' ')[0] as string, request.split(' ')[1] as string, { authorization: AUTH('s3') }).operation,
    );

    expect(names).toEqual([
      'DeleteObjects',
      'DeleteObjects',
      'ListObjectsV2',
      'HeadBucket',
      'CreateBucket',
      'PutBucketPublicAccessBlock',
      'ListBuckets',
    ]);
  });

  it('labels a request without credentials by its method and path', () => {
    expect(classifyRequest('GET', '/moto-api/', {})).toEqual({ service: 'unknown', operation: 'GET /moto-api/' });
  });

  it('keeps an unknown S3 method visible instead of guessing', () => {
    expect(s3Operation('PATCH', '/b/k', new URLSearchParams())).toBe('PATCH object');
  });
});

describe('s3Key', () => {
  it.each([
    ['/ml-monitor-dev/segments/metric_log/000000000001.csv?x-id=PutObject', 'segments/metric_log/000000000001.csv'],
    ['/ml-monitor-dev/a%20b.csv', 'a b.csv'],
    ['/ml-monitor-dev?list-type=2', undefined],
    ['/ml-monitor-dev/', undefined],
  ])('reads %s as key %s', (url, key) => {
    expect(s3Key(url)).toBe(key);
  });
});

/** What a stand-in upstream got. */
interface Seen {
  readonly method: string;
  readonly url: string;
  readonly body: string;
  readonly host: string | undefined;
}

/**
 * Starts a stand-in upstream (it answers 412 to a URL holding `conflict`, to /slow only
 * once `act` calls `releaseSlow` (or `act` ends), never to /never; an Invoke gets
 * `answer(body)` with its headers) and a proxy in front of it for both the emulator and
 * the Lambda API; runs `act`, then stops both.
 */
async function withProxy(
  act: (proxy: RecordingProxy, seen: Seen[], writes: SegmentWrite[], releaseSlow: () => void) => Promise<void>,
  answer: (event: string) => { body: string; headers?: Record<string, string> } = () => ({ body: '{}' }),
): Promise<void> {
  const seen: Seen[] = [];
  const writes: SegmentWrite[] = [];
  // /slow is held until released, not for a while: the test says when it has seen it stuck.
  const heldSlow: (() => void)[] = [];
  let slowReleased = false;
  const releaseSlow = () => {
    slowReleased = true;
    for (const respond of heldSlow.splice(0)) respond();
  };
  const upstream: Server = createServer((req: IncomingMessage, res: ServerResponse) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      const body = Buffer.concat(chunks).toString();
      seen.push({ method: req.method ?? '', url: req.url ?? '', body, host: req.headers.host });
      if (req.url === '/never') return;
      const invoked = req.url?.endsWith('/invocations') ? answer(body) : undefined;
      const respond = () => {
        res.writeHead(req.url?.includes('conflict') ? 412 : 200, { 'content-type': 'application/json', ...invoked?.headers });
        res.end(invoked?.body ?? JSON.stringify({ echoed: body.length }));
      };
      if (req.url === '/slow' && !slowReleased) heldSlow.push(respond);
      else setImmediate(respond);
    });
  });
  await new Promise<void>((resolve) => upstream.listen(0, '127.0.0.1', resolve));
  const target = `http://127.0.0.1:${(upstream.address() as AddressInfo).port}`;
  const proxy = await RecordingProxy.start({ target, lambdaTarget: target, onSegmentWrite: (write) => writes.push(write) });
  try {
    await act(proxy, seen, writes, releaseSlow);
  } finally {
    releaseSlow();
    await proxy.close();
    upstream.closeAllConnections();
    await new Promise<void>((resolve) => upstream.close(() => resolve()));
  }
}

function send(proxy: RecordingProxy, method: string, path: string, headers: Record<string, string>, body?: string): Promise<Response> {
  return fetch(`${proxy.url}${path}`, { method, headers, ...(body === undefined ? {} : { body }) });
}

const sqsHeaders = (operation: string) => ({ authorization: AUTH('sqs'), 'x-amz-target': `AmazonSQS.${operation}` });
const invokePath = (fn: string) => `/2015-03-31/functions/ml-monitor-dev-${fn}/invocations`;

describe('RecordingProxy', () => {
  it('forwards requests unchanged, Host included, and counts them by operation with their bytes', async () => {
    await withProxy(async (proxy, seen) => {
      const body = JSON.stringify({ QueueUrl: 'http://x/123/features', Entries: [] });

      const response = await send(proxy, 'POST', '/', sqsHeaders('SendMessageBatch'), body);
      await send(proxy, 'POST', '/', sqsHeaders('SendMessageBatch'), body);
      await send(proxy, 'GET', '/ml-monitor-dev/state/metric-table.json', { authorization: AUTH('s3') });

      const text = await response.text();
      expect(response.status).toBe(200);
      expect(JSON.parse(text)).toEqual({ echoed: body.length });
      expect(seen[0]).toEqual({ method: 'POST', url: '/', body, host: new URL(proxy.url).host });
      expect(proxy.counts()).toEqual({
        'sqs:SendMessageBatch': { count: 2, requestBytes: 2 * body.length, responseBytes: 2 * text.length, statuses: { 200: 2 } },
        's3:GetObject': { count: 1, requestBytes: 0, responseBytes: JSON.stringify({ echoed: 0 }).length, statuses: { 200: 1 } },
      });
      expect(proxy.totalRequests()).toBe(3);
    });
  });

  it('reports each successful metric-log segment write with the ids in it, and nothing else', async () => {
    await withProxy(async (proxy, _seen, writes) => {
      const before = Date.now();
      const s3 = { authorization: AUTH('s3') };

      await send(proxy, 'PUT', '/ml-monitor-dev/segments/metric_log/000000000001.csv?x-id=PutObject', s3, `${ID},1.0,2.0,1.0\n`);
      await send(proxy, 'PUT', '/ml-monitor-dev/segments/metric_log/000000000002.csv?conflict', s3, `${ID},1.0,2.0,1.0\n`);
      await send(proxy, 'PUT', '/ml-monitor-dev/segments/orphans/000000000001.csv', s3, `${ID},y_true,1.0,x,y\n`);
      await send(proxy, 'PUT', '/ml-monitor-dev/state/metric-table.json', s3, '{}');

      expect(writes).toHaveLength(1);
      expect(writes[0]?.key).toBe('segments/metric_log/000000000001.csv');
      expect(writes[0]?.ids).toEqual([ID]);
      expect(writes[0]?.seenAt).toBeGreaterThanOrEqual(before);
      expect(proxy.counts()['s3:PutObject']?.statuses).toEqual({ 200: 3, 412: 1 });
    });
  });

  it('counts invocations by function, apart from the emulator requests, with their batches', async () => {
    await withProxy(async (proxy, seen) => {
      const event = JSON.stringify({ Records: [{ body: '1' }, { body: '2' }, { body: '3' }] });

      const answer = await send(proxy, 'POST', invokePath('metric'), { authorization: AUTH('lambda') }, event);
      await send(proxy, 'POST', invokePath('metric'), { authorization: AUTH('lambda') }, JSON.stringify({ Records: [{ body: '4' }] }));
      await send(proxy, 'POST', invokePath('features'), { authorization: AUTH('lambda') }, '{}');

      expect(answer.status).toBe(200);
      expect(seen[0]?.body).toBe(event);
      expect(proxy.totalRequests()).toBe(0);
      const invocations = proxy.invocations();
      expect(invocations['ml-monitor-dev-metric']).toMatchObject({
        count: 2,
        batches: 2,
        messages: 4,
        errors: 0,
        timeouts: 0,
        failedBatches: 0,
      });
      expect(invocations['ml-monitor-dev-metric']?.totalMs).toBeGreaterThan(0);
      expect(invocations['ml-monitor-dev-features']).toMatchObject({ count: 1, batches: 0, messages: 0, errors: 0 });
      expect(proxy.errors()).toEqual([]);
    });
  });

  it('counts a function error, and a time-out, with what the invocation answered', async () => {
    const timeout = {
      body: JSON.stringify({ errorMessage: '[504] - Lambda timeout.', errorType: 'Error' }),
      headers: { 'x-amz-function-error': 'Unhandled' },
    };
    await withProxy(
      async (proxy) => {
        await send(proxy, 'POST', invokePath('predictor'), { authorization: AUTH('lambda') }, JSON.stringify({ Records: [{}] }));

        expect(proxy.invocations()['ml-monitor-dev-predictor']).toMatchObject({
          count: 1,
          errors: 1,
          timeouts: 1,
          batches: 1,
          failedBatches: 1,
        });
        expect(proxy.errors()).toEqual(['ml-monitor-dev-predictor: [504] - Lambda timeout.']);
      },
      () => timeout,
    );
  });

  it('forgets what it counted on reset', async () => {
    await withProxy(async (proxy) => {
      await send(proxy, 'POST', '/', sqsHeaders('ListQueues'), '{}');
      await send(proxy, 'POST', invokePath('plot'), { authorization: AUTH('lambda') }, '{}');

      proxy.reset();

      expect(proxy.counts()).toEqual({});
      expect(proxy.invocations()).toEqual({});
      expect(proxy.totalRequests()).toBe(0);
    });
  });

  it('lists requests the upstream sits on, and counts them aborted when the client gives up', async () => {
    await withProxy(async (proxy, _seen, _writes, releaseSlow) => {
      const controller = new AbortController();
      const slow = send(proxy, 'POST', '/slow', sqsHeaders('SendMessageBatch'), '{}');
      const aborted = fetch(`${proxy.url}/never`, {
        method: 'POST',
        headers: sqsHeaders('DeleteMessageBatch'),
        body: '{}',
        signal: controller.signal,
      }).catch(() => 'aborted');
      // Waited for, not slept on: on a loaded machine the two requests reach the proxy late.
      const stuck = await vi.waitFor(
        () => {
          const operations = proxy.stuck(100).map((entry) => entry.operation);
          if (operations.length < 2) throw new Error(`stuck so far: ${operations.join(', ')}`);
          return operations;
        },
        { timeout: 10_000, interval: 20 },
      );
      controller.abort();

      expect(stuck).toEqual(['sqs:SendMessageBatch', 'sqs:DeleteMessageBatch']);
      expect(await aborted).toBe('aborted');
      releaseSlow();
      expect((await slow).status).toBe(200);
      await vi.waitFor(() => expect(proxy.stuck(0)).toEqual([]), { timeout: 10_000, interval: 20 });
      expect(proxy.counts()['sqs:DeleteMessageBatch']?.statuses).toEqual({ aborted: 1 });
    });
  });

  it('answers 502 and counts an error when the upstream is gone', async () => {
    const port = await findFreePort();
    const lonely = await RecordingProxy.start({ target: `http://127.0.0.1:${port}` });
    try {
      const response = await send(lonely, 'POST', '/', sqsHeaders('ListQueues'), '{}');

      expect(response.status).toBe(502);
      expect(lonely.counts()['sqs:ListQueues']?.statuses).toEqual({ error: 1 });
    } finally {
      await lonely.close();
    }
  });

  it('answers 502 to an invocation when no Lambda API is set, and counts it failed', async () => {
    const lonely = await RecordingProxy.start({ target: `http://127.0.0.1:${await findFreePort()}` });
    try {
      const response = await send(lonely, 'POST', invokePath('features'), {}, '{}');

      expect(response.status).toBe(502);
      expect(lonely.invocations()['ml-monitor-dev-features']).toMatchObject({ count: 1, errors: 1 });
    } finally {
      await lonely.close();
    }
  });
});
