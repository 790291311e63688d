/**
 * What the bench reads out of the metric handler's log-segment writes: a segment is
 * a PutObject to `segments/metric_log/<first seq>.csv` whose body is CSV lines
 * `id,y_true,y_pred,absolute_error` (no header). Once S3 answers 200 those rows are
 * durable, so the time the proxy sees that answer is when each row "arrived". Pure.
 */

import { LOGS } from '../functions/commons/logs/logFiles.js';
import { emittedAt } from '../functions/commons/messaging/recordIds.js';

export function isMetricSegmentKey(key: string | undefined): boolean {
  return key?.startsWith(LOGS.metric_log.segmentPrefix) === true && key.endsWith('.csv');
}

/** The ids of the rows in a segment body, in order; lines whose first field is not a pipeline id are skipped. */
export function idsInSegment(body: string): string[] {
  const ids: string[] = [];
  for (const line of body.split('\n')) {
    const comma = line.indexOf(',');
    if (comma <= 0) continue;
    const id = line.slice(0, comma);
    if (emittedAt(id) !== undefined) ids.push(id);
  }
  return ids;
}

/**
 * Decodes an `aws-chunked` request body (`<hex size>[;chunk-signature=…]\r\n<data>\r\n`
 * … `0\r\n<trailers>\r\n\r\n`), which the SDK uses for streamed uploads with
 * trailing checksums. Returns the body unchanged when it is not chunked.
 */
export function decodeAwsChunked(body: Buffer): Buffer {
  const parts: Buffer[] = [];
  let offset = 0;
  while (offset < body.length) {
    const lineEnd = body.indexOf('\r\n', offset);
    if (lineEnd < 0) throw new Error('aws-chunked body: chunk header without CRLF');
    const sizeText = body.subarray(offset, lineEnd).toString('latin1').split(';')[0]?.trim() ?? '';
    if (!/^[0-9a-fA-F]+$/.test(sizeText)) throw new Error(`aws-chunked body: bad chunk size "${sizeText}"`);
    const size = Number.parseInt(sizeText, 16);
    if (size === 0) break;
    const start = lineEnd + 2;
    if (start + size > body.length) throw new Error('aws-chunked body: chunk longer than the body');
    parts.push(body.subarray(start, start + size));
    offset = start + size + 2;
  }
  return Buffer.concat(parts);
}

/** True when the request headers say the body is aws-chunked. */
export function isAwsChunked(headers: Readonly<Record<string, string | readonly string[] | undefined>>): boolean {
  const encoding = String(headers['content-encoding'] ?? '');
  const sha = String(headers['x-amz-content-sha256'] ?? '');
  return encoding.split(',').some((part) => part.trim() === 'aws-chunked') || sha.startsWith('STREAMING-');
}
