/**
 * The HTTP API's body rules, pure, shared by every route that takes JSON (ingestRequest.ts,
 * referenceRequest.ts): declared `application/json` (415 otherwise: why, in
 * ingestRequest.ts), at most INGEST_LIMITS.bytes (413), not empty and JSON (400).
 */
import { INGEST_LIMITS } from './ingestLimits.js';

/** A request as API Gateway hands it over (HTTP API, payload 2.0): its headers, lowercase names, and its body. */
export interface IngestHttpRequest {
  readonly headers?: Readonly<Record<string, string | undefined>>;
  readonly body?: string | null;
  readonly isBase64Encoded?: boolean;
}

export type JsonBody =
  | { readonly ok: true; readonly json: unknown }
  | { readonly ok: false; readonly status: 400 | 413 | 415; readonly reason: string };

/** `application/json`, in any case, alone or with `; charset=utf-8` (JSON is UTF-8: RFC 8259). */
const JSON_CONTENT_TYPE = /^application\/json\s*(;\s*charset\s*=\s*("utf-8"|utf-8)\s*)?$/i;

/**
 * The request's body as JSON, parsed by `parse`, or the status and reason it is refused
 * with. `wanted` completes "the body is empty: …" with what the route takes.
 */
export function readJsonBody(request: IngestHttpRequest, wanted: string, parse: (text: string) => unknown = JSON.parse): JsonBody {
  const contentType = headerOf(request.headers, 'content-type')?.trim();
  if (contentType === undefined || !JSON_CONTENT_TYPE.test(contentType)) {
    return {
      ok: false,
      status: 415,
      reason: `the content-type must be application/json (optionally with ; charset=utf-8), ${contentType === undefined ? 'and the request has none' : `not ${JSON.stringify(contentType)}`}`,
    };
  }
  const { body, isBase64Encoded = false } = request;
  const text = isBase64Encoded && body ? Buffer.from(body, 'base64').toString('utf8') : (body ?? '');
  const bytes = Buffer.byteLength(text, 'utf8');
  if (bytes > INGEST_LIMITS.bytes) {
    return {
      ok: false,
      status: 413,
      reason: `the body is ${bytes} bytes, over the ${INGEST_LIMITS.bytes}-byte (256 KiB) limit: send fewer items per request`,
    };
  }
  if (text.trim() === '') return { ok: false, status: 400, reason: `the body is empty: ${wanted}` };
  try {
    return { ok: true, json: parse(text) };
  } catch (error) {
    return { ok: false, status: 400, reason: `the body is not JSON (${(error as Error).message})` };
  }
}

/** A header's value whatever the case of its name (API Gateway lowercases them; a test or a proxy may not). */
function headerOf(headers: IngestHttpRequest['headers'], name: string): string | undefined {
  if (headers === undefined) return undefined;
  const key = Object.keys(headers).find((key) => key.toLowerCase() === name);
  return key === undefined ? undefined : headers[key];
}

/** 'an object', 'an array', 'null', 'a string', …: for reasons. */
export function typeOf(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'an array';
  const type = typeof value;
  return type === 'object' ? 'an object' : `${/^[aeiou]/.test(type) ? 'an' : 'a'} ${type}`;
}
