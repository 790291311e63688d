/**
 * What the dashboard's routes answer, given a way to read the bucket: pure but for
 * that reader, so the handler stays one call and the tests pass a fake.
 *
 * GET /                 the page
 * GET /dashboard.js     its script; GET /chart.umd.js Chart.js
 * GET /metrics.json     the bucket's metrics.json as it is (404 before the first)
 * GET /histogram.json   the PNG's bins and counts (null before maintain first publishes it)
 * GET /alerts.json      the alert rules' state ({"firing": []} when there is none)
 * GET /drift.json       input drift per model version (null before maintain first publishes it)
 * GET /rows.json        the latest rows of metric_log.csv, read from its last bytes
 */
import type { APIGatewayProxyStructuredResultV2 } from 'aws-lambda';
import { BUCKET_KEYS } from '../storage/bucketKeys.js';
import { ASSETS } from './assets.js';
import { rangeStart, rowsDocument, TAIL_BYTES, tailRows } from './logTail.js';

export interface BucketReader {
  /** The object's text, or undefined when there is none. */
  text(key: string): Promise<string | undefined>;
  /** The object's last `bytes` bytes and the Content-Range they came with; undefined when there is none. */
  tail(key: string, bytes: number): Promise<{ text: string; contentRange: string | undefined } | undefined>;
}

/** Only the page's own origin may load, run or fetch anything (Chart.js sets its canvas' styles inline). */
const SECURITY_HEADERS = {
  'content-security-policy': "default-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; frame-ancestors 'none'",
  'x-content-type-options': 'nosniff',
  'referrer-policy': 'no-referrer',
};

type Documents = Record<string, (bucket: BucketReader) => Promise<APIGatewayProxyStructuredResultV2>>;

const DOCUMENTS: Documents = {
  'metrics.json': async (bucket) => {
    const text = await bucket.text(BUCKET_KEYS.metrics);
    if (text === undefined)
      return json(404, JSON.stringify({ error: 'no metrics.json yet: maintain publishes it each minute once there are rows' }));
    return json(200, text);
  },
  'histogram.json': async (bucket) => json(200, (await bucket.text(BUCKET_KEYS.histogram)) ?? 'null'),
  'alerts.json': async (bucket) => json(200, (await bucket.text(BUCKET_KEYS.alerts)) ?? '{"firing":[]}'),
  // null, not 404, while there is none (no reference yet): the browser logs every 404 as a
  // console error, and a model without a reference is a normal state, not a failure.
  'drift.json': async (bucket) => json(200, (await bucket.text(BUCKET_KEYS.drift)) ?? 'null'),
  'rows.json': async (bucket) => {
    // The newest piece's end (logHeads.ts): a ranged read, whatever the log's length.
    const heads = await bucket.text(BUCKET_KEYS.logHeads);
    const newest =
      heads === undefined ? undefined : (JSON.parse(heads) as { logs?: { metric_log?: { key?: string } } }).logs?.metric_log?.key;
    const tail = newest === undefined ? undefined : await bucket.tail(newest, TAIL_BYTES);
    const rows = tail === undefined ? [] : tailRows(tail.text, rangeStart(tail.contentRange));
    return json(200, JSON.stringify(rowsDocument(rows)));
  },
};

/** The answer to `GET /<file>` (`file` '' for the page). */
export async function answerRoute(file: string, bucket: BucketReader): Promise<APIGatewayProxyStructuredResultV2> {
  const asset = Object.hasOwn(ASSETS, file) ? ASSETS[file] : undefined;
  if (asset !== undefined) {
    return {
      statusCode: 200,
      headers: {
        'content-type': asset.contentType,
        'cache-control': asset.maxAge === 0 ? 'no-cache' : `public, max-age=${asset.maxAge}`,
        ...SECURITY_HEADERS,
      },
      body: asset.body,
    };
  }
  const document = Object.hasOwn(DOCUMENTS, file) ? DOCUMENTS[file] : undefined;
  if (document === undefined) return json(404, JSON.stringify({ error: `no such file: /${file}` }));
  return await document(bucket);
}

function json(statusCode: number, body: string): APIGatewayProxyStructuredResultV2 {
  return { statusCode, headers: { 'content-type': 'application/json', 'cache-control': 'no-store', ...SECURITY_HEADERS }, body };
}
