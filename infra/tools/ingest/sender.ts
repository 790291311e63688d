/**
 * Sends a file's rows through the ingestion API: batches of up to 500 items (and
 * under 256 KiB), a few requests in flight, throttling (429), server errors (5xx)
 * and connection errors retried with backoff (toolbox/retry.ts). Rows the API refuses
 * are counted with their reasons and the rest of their batch is sent again without
 * them. An answer that no retry can change (a wrong URL, a 403 from an unsigned request
 * on AWS) or an API still unreachable after the retries stops the file: sending it
 * again later is safe, since the pipeline drops halves it already has.
 */
import { INGEST_LIMITS } from '../../../functions/commons/ingest/ingestLimits.js';
import type { IngestKind } from '../../../functions/commons/ingest/ingestRequest.js';
import type { ScalarMessage } from '../../../functions/commons/messaging/messageSchemas.js';
import { isRecord } from '../../local/toolbox/isRecord.js';
import { retry } from '../../local/toolbox/retry.js';
import type { CsvRow } from './csvRows.js';

export interface SendOptions {
  /** The API's base URL: `http://localhost:3000`; the route (`/truths`) is added. */
  readonly url: string;
  readonly batchSize: number;
  readonly concurrency: number;
  /** Attempts per request, and the backoff between them. */
  readonly attempts: number;
  readonly delayMs: number;
  readonly maxDelayMs: number;
  /** Per request. */
  readonly timeoutMs: number;
  /** After each answered request, and before each retry (with what went wrong). */
  readonly onProgress?: (progress: FileOutcome, retrying?: string) => void;
}

export const DEFAULT_SEND_OPTIONS = {
  batchSize: INGEST_LIMITS.items,
  concurrency: 4,
  attempts: 6,
  delayMs: 500,
  maxDelayMs: 15_000,
  timeoutMs: 60_000,
} as const;

export interface Refusal {
  readonly line: number;
  readonly id?: string;
  readonly reason: string;
}

export interface FileOutcome {
  readonly route: string;
  rows: number;
  sent: number;
  refused: Refusal[];
  /** Rows read but not sent (their requests failed, or the file stopped); counted at the end. */
  failed: number;
  /** Why rows failed; the first reason of each kind. */
  failures: string[];
  /** Set when the file stopped before its end. */
  stopped?: string;
}

interface Batch {
  readonly lines: number[];
  readonly items: ScalarMessage[];
}

/** An answer worth asking again for (throttled, server error, no connection). */
class Transient extends Error {}
/** An answer no retry changes: the rest of the file would get it too. */
class Fatal extends Error {}

/** Keeps a request's body well under the API's 256 KiB (items are ~60 bytes each, up to ~13 KB with 64 features). */
const BATCH_BYTES = INGEST_LIMITS.bytes - 4_096;

export async function sendRows(rows: AsyncIterable<CsvRow>, kind: IngestKind, options: SendOptions): Promise<FileOutcome> {
  const route = `${options.url.replace(/\/+$/, '')}/${kind}`;
  const outcome: FileOutcome = { route, rows: 0, sent: 0, refused: [], failed: 0, failures: [] };
  const inFlight = new Set<Promise<void>>();
  const launch = (batch: Batch) => {
    const request = sendBatch(batch, route, options, outcome)
      .catch((error: unknown) => {
        const reason = (error as Error).message;
        if (!outcome.failures.includes(reason)) outcome.failures.push(reason);
        if (error instanceof Fatal || error instanceof Transient) outcome.stopped ??= reason;
      })
      .finally(() => {
        inFlight.delete(request);
        options.onProgress?.(outcome);
      });
    inFlight.add(request);
  };
  let batch: Batch = { lines: [], items: [] };
  let bytes = 2;
  for await (const row of rows) {
    outcome.rows++;
    if (outcome.stopped !== undefined) continue;
    if ('reason' in row) {
      outcome.refused.push(row);
      continue;
    }
    // Bytes, not characters: a category's name may be any text, and the API's limit is in bytes.
    const size = Buffer.byteLength(JSON.stringify(row.item)) + 1;
    if (batch.items.length >= options.batchSize || bytes + size > BATCH_BYTES) {
      launch(batch);
      batch = { lines: [], items: [] };
      bytes = 2;
      while (inFlight.size >= options.concurrency) await Promise.race(inFlight);
    }
    batch.lines.push(row.line);
    batch.items.push(row.item);
    bytes += size;
  }
  if (batch.items.length > 0 && outcome.stopped === undefined) launch(batch);
  while (inFlight.size > 0) await Promise.race(inFlight);
  // Rows read after the file stopped were never sent.
  outcome.failed = outcome.rows - outcome.sent - outcome.refused.length;
  outcome.refused.sort((a, b) => a.line - b.line);
  return outcome;
}

/** Sends one batch; rows the API refuses are recorded and the rest sent again once. */
async function sendBatch(batch: Batch, route: string, options: SendOptions, outcome: FileOutcome): Promise<void> {
  const answer = await post(route, batch.items, options, outcome);
  if (answer.status === 202) {
    outcome.sent += batch.items.length;
    return;
  }
  const itemErrors = itemErrorsOf(answer.body);
  if (answer.status === 400 && itemErrors.length > 0) {
    const refused = new Set(itemErrors.map((error) => error.index));
    for (const error of itemErrors) {
      outcome.refused.push({ line: batch.lines[error.index] ?? 0, id: batch.items[error.index]?.id, reason: error.reason });
    }
    const rest = { lines: batch.lines.filter((_, i) => !refused.has(i)), items: batch.items.filter((_, i) => !refused.has(i)) };
    if (rest.items.length === 0) return;
    const again = await post(route, rest.items, options, outcome);
    if (again.status === 202) outcome.sent += rest.items.length;
    else throw new Error(`the API answered ${again.status} to a batch it had refused once: ${describe(again.body)}`);
    return;
  }
  if ([401, 403, 404, 405].includes(answer.status)) {
    throw new Fatal(
      `the API answered ${answer.status} at ${route}${answer.status === 403 ? ' (on AWS the API takes only IAM-signed requests)' : ''}: ${describe(answer.body)}`,
    );
  }
  throw new Error(`the API answered ${answer.status}: ${describe(answer.body)}`);
}

async function post(
  route: string,
  items: readonly ScalarMessage[],
  options: SendOptions,
  outcome: FileOutcome,
): Promise<{ status: number; body: unknown }> {
  const body = JSON.stringify(items);
  return await retry(
    async () => {
      let response: Response;
      try {
        response = await fetch(route, {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body,
          signal: AbortSignal.timeout(options.timeoutMs),
        });
      } catch (error) {
        throw new Transient(`could not reach ${route}: ${causeOf(error)}`);
      }
      const text = await response.text();
      let json: unknown = text;
      try {
        json = JSON.parse(text);
      } catch {
        // kept as text
      }
      if (response.status === 429 || response.status >= 500) throw new Transient(`the API answered ${response.status}: ${describe(json)}`);
      return { status: response.status, body: json };
    },
    {
      attempts: options.attempts,
      delayMs: options.delayMs,
      maxDelayMs: options.maxDelayMs,
      shouldRetry: (error) => error instanceof Transient,
      onRetry: (error, attempt, delayMs) =>
        options.onProgress?.(
          outcome,
          `${(error as Error).message}; attempt ${attempt + 1} of ${options.attempts} in ${(delayMs / 1000).toFixed(1)} s`,
        ),
    },
  );
}

function itemErrorsOf(body: unknown): { index: number; reason: string }[] {
  if (!isRecord(body) || !Array.isArray(body.errors)) return [];
  return body.errors.filter(
    (error): error is { index: number; reason: string } =>
      isRecord(error) && typeof error.index === 'number' && typeof error.reason === 'string',
  );
}

/** The API's reason(s), or the start of what it answered. */
function describe(body: unknown): string {
  if (isRecord(body) && Array.isArray(body.errors)) return body.errors.map((e) => (isRecord(e) ? String(e.reason) : String(e))).join('; ');
  if (isRecord(body) && typeof body.error === 'string') return body.error;
  if (isRecord(body) && typeof body.message === 'string') return body.message;
  const text = typeof body === 'string' ? body : JSON.stringify(body);
  return text.length > 200 ? `${text.slice(0, 200)}…` : text || '(no body)';
}

function causeOf(error: unknown): string {
  const cause = (error as { cause?: { code?: string; message?: string } }).cause;
  if (error instanceof Error && error.name === 'TimeoutError') return 'no answer in time';
  return cause?.code ?? cause?.message ?? (error as Error).message;
}
