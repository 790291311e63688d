/** bench/segments.ts: what the bench reads out of the metric handler's log-segment writes. */
import { describe, expect, it } from 'vitest';
import { decodeAwsChunked, idsInSegment, isAwsChunked, isMetricSegmentKey } from '../../../bench/segments.js';
import { METRIC_LOG_HEADER } from '../../../functions/commons/logs/rowFormat.js';

const ID_1 = '1795680657123-9f3a1c2e-0007';
const ID_2 = '1795680657124-9f3a1c2e-0008';

describe('isMetricSegmentKey', () => {
  it.each([
    ['segments/metric_log/000000000001.csv', true],
    ['segments/orphans/000000000001.csv', false],
    ['metric_log.csv', false],
    [undefined, false],
  ])('says %s is a metric-log segment: %s', (key, expected) => {
    expect(isMetricSegmentKey(key)).toBe(expected);
  });
});

describe('idsInSegment', () => {
  it('takes the id of every row, skipping blank and foreign lines', () => {
    const body = `${ID_1},151.0,140.5,10.5\n\n${METRIC_LOG_HEADER}\nnot-an-id,1.0,2.0,1.0\n${ID_2},1.0,2.0,1.0`;

    expect(idsInSegment(body)).toEqual([ID_1, ID_2]);
  });

  it('finds nothing in an empty body', () => {
    expect(idsInSegment('')).toEqual([]);
  });
});

describe('decodeAwsChunked', () => {
  it('decodes a body with chunk signatures and trailers', () => {
    const data = `${ID_1},1.0,2.0,1.0\n`;
    const chunked = Buffer.from(
      `${Buffer.byteLength(data).toString(16)};chunk-signature=abc\r\n${data}\r\n0;chunk-signature=def\r\nx-amz-checksum-crc32:AAAAAA==\r\n\r\n`,
    );

    expect(decodeAwsChunked(chunked).toString()).toBe(data);
  });

  it('joins several chunks', () => {
    expect(decodeAwsChunked(Buffer.from('3\r\nabc\r\n2\r\nde\r\n0\r\n\r\n')).toString()).toBe('abcde');
  });

  it('refuses a bad chunk size', () => {
    expect(() => decodeAwsChunked(Buffer.from('zz\r\nabc'))).toThrow(/chunk size/);
  });
});

describe('isAwsChunked', () => {
  it.each([
    [{ 'content-encoding': 'aws-chunked' }, true],
    [{ 'x-amz-content-sha256': 'STREAMING-UNSIGNED-PAYLOAD-TRAILER' }, true],
    [{ 'x-amz-content-sha256': 'UNSIGNED-PAYLOAD' }, false],
  ])('tells %j: %s', (headers, expected) => {
    expect(isAwsChunked(headers)).toBe(expected);
  });
});
