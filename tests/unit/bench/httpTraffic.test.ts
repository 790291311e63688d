/** bench/httpTraffic.ts: a process's own AWS requests, by operation. */
import { createServer, request } from 'node:http';
import type { AddressInfo } from 'node:net';
import { describe, expect, it } from 'vitest';
import { areaOf, HttpTraffic, indexHourOf, NO_TRAFFIC, operationOf, tally } from '../../../bench/httpTraffic.js';

const s3Auth = 'AWS4-HMAC-SHA256 Credential=test/20261203/us-east-1/s3/aws4_request, SignedHeaders=host, Signature=x';

describe('operationOf', () => {
  it.each([
    ['GET', '/bucket/metric_log/date=2026-12-03/hour=15/part-0000.csv', { authorization: s3Auth }, 's3:GetObject'],
    ['GET', '/bucket?list-type=2&prefix=state%2Fids%2F', { authorization: s3Auth }, 's3:ListObjectsV2'],
    ['HEAD', '/bucket/metric_log/x.csv', { authorization: s3Auth }, 's3:HeadObject'],
    ['POST', '/', { 'x-amz-target': 'AmazonSQS.GetQueueAttributes' }, 'sqs:GetQueueAttributes'],
  ])('names %s %s', (method, path, headers, operation) => {
    expect(operationOf(method, path, headers)).toBe(operation);
  });
});

describe('areaOf and indexHourOf', () => {
  it.each([
    ['/bucket/state/ids/date=2026-12-03/hour=14/1796-metric_log-0.txt', 'state/ids/', 'date=2026-12-03/hour=14'],
    ['/bucket?list-type=2&prefix=state%2Fids%2Fdate%3D2026-12-03%2Fhour%3D15%2F', 'state/ids/', 'date=2026-12-03/hour=15'],
    ['/bucket/metric_log/date=2026-12-03/hour=15/part-0001.csv', 'metric_log/', undefined],
    ['/bucket/orphans/date=2026-12-03/hour=15/part-0000.csv', 'orphans/', undefined],
    ['/bucket/segments/metric_log/000000000101.csv', 'segments/', undefined],
    ['/bucket/state/log-heads.json', 'state/log-heads.json', undefined],
    ['/bucket', undefined, undefined],
  ])('puts %s in %s', (path, area, hour) => {
    expect(areaOf(path)).toBe(area);
    expect(indexHourOf(path)).toBe(hour);
  });
});

describe('tally', () => {
  it('adds a request to the totals, its operation and its area, and each index hour once', () => {
    const hour = 'date=2026-12-03/hour=14';

    const tallied = [
      { operation: 's3:GetObject', area: 'state/ids/', indexHour: hour, bytesIn: 100, bytesOut: 0 },
      { operation: 's3:GetObject', area: 'state/ids/', indexHour: hour, bytesIn: 50, bytesOut: 0 },
      { operation: 's3:PutObject', area: 'metric_log/', bytesIn: 0, bytesOut: 70 },
      { operation: 'sqs:GetQueueAttributes', bytesIn: 10, bytesOut: 10 },
    ].reduce((traffic, { bytesIn, bytesOut, ...request }) => tally(traffic, request, bytesIn, bytesOut), NO_TRAFFIC);

    expect(tallied).toEqual({
      requests: 4,
      bytesIn: 160,
      bytesOut: 80,
      byOperation: {
        's3:GetObject': { count: 2, bytesIn: 150, bytesOut: 0 },
        's3:PutObject': { count: 1, bytesIn: 0, bytesOut: 70 },
        'sqs:GetQueueAttributes': { count: 1, bytesIn: 10, bytesOut: 10 },
      },
      byArea: { 'state/ids/': { count: 2, bytesIn: 150, bytesOut: 0 }, 'metric_log/': { count: 1, bytesIn: 0, bytesOut: 70 } },
      indexHours: [hour],
    });
    expect(NO_TRAFFIC.requests).toBe(0);
  });
});

describe('HttpTraffic', () => {
  it("counts this process's requests from start() on, with their bodies' lengths, and starts over at each take()", async () => {
    const server = createServer((request, response) => {
      request.resume();
      request.on('end', () => response.end('0123456789'));
    }).listen(0);
    await new Promise((resolve) => server.once('listening', resolve));
    const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    const traffic = new HttpTraffic();
    traffic.start();

    await new Promise<void>((resolve, reject) => {
      const put = request(`${url}/bucket/key`, { method: 'PUT', headers: { authorization: s3Auth, 'content-length': 5 } }, (response) => {
        response.resume();
        response.on('end', resolve);
      });
      put.on('error', reject);
      put.end('hello');
    });
    const taken = traffic.take();
    server.close();

    expect(taken.byOperation['s3:PutObject']).toEqual({ count: 1, bytesIn: 10, bytesOut: 5 });
    expect(taken.byArea).toEqual({ key: { count: 1, bytesIn: 10, bytesOut: 5 } });
    expect(traffic.take().requests).toBe(0);
  });
});
