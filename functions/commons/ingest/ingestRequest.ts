/**
 * The ingestion API's request rules, pure: what `POST /truths` and `POST /predictions`
 * accept, and the status and reasons of what they refuse. The handler (functions/ingest.ts)
 * only moves bytes; `npm run ingest` checks its CSV rows with `checkIngestItem` before
 * sending them, so one bad row never sinks a batch.
 *
 * A request is all or nothing: any bad item refuses it whole (400, each bad item with
 * its index and reason), so a client never has to work out what was taken.
 *
 * Its body must be declared `application/json`. A web page of another origin may have
 * the user's browser send a text/plain, form or untyped POST without asking the API
 * first (no CORS preflight): to `npm start`'s API on localhost, or through a signing
 * proxy on the user's machine, which signs whatever reaches it. Refusing every other
 * content type (415) leaves such a page only the JSON request, which the browser sends
 * only after a preflight the API answers for no other origin (serverless.yml).
 */
import { readEventTime } from '../messaging/eventTime.js';
import { checkMessage, parseMessageJson, ScalarMessage } from '../messaging/messageSchemas.js';
import { INGEST_LIMITS } from './ingestLimits.js';
import { type IngestHttpRequest, readJsonBody, typeOf } from './jsonBody.js';

export type IngestKind = 'truths' | 'predictions';

export { INGEST_LIMITS, type IngestHttpRequest };

/** An item's problem (`index` in the request's array, 0 for a single object), or the request's own (no index). */
export interface IngestError {
  readonly index?: number;
  readonly reason: string;
}

export type IngestDecision =
  | { readonly ok: true; readonly messages: ScalarMessage[] }
  | { readonly ok: false; readonly status: 400 | 413 | 415; readonly errors: IngestError[] };

/**
 * Reads a request into the messages to queue, or says why not. Each message carries
 * its `timestamp` in epoch ms: the item's own, or `now` (its arrival) when it has none.
 */
export function readIngestRequest(kind: IngestKind, request: IngestHttpRequest, now: number = Date.now()): IngestDecision {
  const body = readJsonBody(request, `send a JSON object {"id", "body"} or an array of up to ${INGEST_LIMITS.items}`, parseMessageJson);
  if (!body.ok) return refuse(body.status, body.reason);
  const json = body.json;
  const items = Array.isArray(json) ? json : [json];
  if (!Array.isArray(json) && typeOf(json) !== 'an object') {
    return refuse(400, `the body must be a JSON object {"id", "body"} or an array of them, not ${typeOf(json)}`);
  }
  if (items.length === 0) return refuse(400, `the array is empty: send 1 to ${INGEST_LIMITS.items} items`);
  if (items.length > INGEST_LIMITS.items) {
    return refuse(413, `${items.length} items, over the limit of ${INGEST_LIMITS.items} per request: split them`);
  }
  const messages: ScalarMessage[] = [];
  const errors: IngestError[] = [];
  items.forEach((item, index) => {
    const checked = checkIngestItem(kind, item, now);
    if (checked.ok) messages.push({ ...checked.value, timestamp: checked.value.timestamp ?? now });
    else errors.push({ index, reason: checked.reason });
  });
  return errors.length === 0 ? { ok: true, messages } : { ok: false, status: 400, errors };
}

/**
 * One item: `{"id", "body"}`, an optional `"timestamp"` (when the prediction was made,
 * or the true answer became known: epoch ms or ISO 8601 with its zone), and on a
 * prediction an optional `"model"` and `"features"` (its inputs by name: numbers, or
 * strings for categories). The id is a string or a JSON number's text
 * (parseMessageJson keeps it); the message returned is what the queue carries, its
 * timestamp in epoch ms. The reason names every bad field.
 */
export function checkIngestItem(
  kind: IngestKind,
  item: unknown,
  now: number = Date.now(),
): { ok: true; value: ScalarMessage & { timestamp?: number } } | { ok: false; reason: string } {
  if (typeOf(item) !== 'an object') return { ok: false, reason: `an item must be an object {"id", "body"}, not ${typeOf(item)}` };
  const fields = item as Record<string, unknown>;
  const reasons: string[] = [];
  // Missing fields and wrong types first, in words a client knows ...
  const typed = new Set<string>();
  const checkType = (field: string, ok: (value: unknown) => boolean, wanted: string) => {
    const value = fields[field];
    if (value === undefined) reasons.push(`${field} is missing`);
    else if (!ok(value)) reasons.push(`${field} must be ${wanted}, not ${typeOf(value)}`);
    else typed.add(field);
  };
  checkType('id', (value) => typeof value === 'string', 'a string or a JSON number');
  checkType('body', (value) => typeof value === 'number', 'a JSON number');
  if (fields.model !== undefined) {
    if (kind === 'truths') reasons.push('model: a truth carries no model version (only predictions do)');
    else checkType('model', (value) => typeof value === 'string', 'a string');
  }
  if (fields.features !== undefined) {
    if (kind === 'truths') reasons.push('features: a truth carries no features (only predictions do)');
    else checkType('features', (value) => typeOf(value) === 'an object', 'an object of feature names to numbers or category names');
  }
  let timestamp: number | undefined;
  if (fields.timestamp !== undefined) {
    const read = readEventTime(fields.timestamp, now);
    if (typeof read === 'string') reasons.push(`timestamp ${read}`);
    else timestamp = read;
  }
  const unknown = Object.keys(fields).filter((field) => !['id', 'body', 'model', 'features', 'timestamp'].includes(field));
  for (const field of unknown) {
    reasons.push(
      `unknown field ${JSON.stringify(field)} (${kind === 'truths' ? 'a truth has id, body and timestamp' : 'a prediction has id, body, model, features and timestamp'})`,
    );
  }
  // ... then the queue's own rules (characters, lengths, finiteness) on the well-typed fields, stand-ins for the others.
  const wellTyped = Object.fromEntries([...typed].map((field) => [field, fields[field]]));
  const checked = checkMessage(ScalarMessage, { id: 'x', body: 0, ...wellTyped });
  if (!checked.ok) {
    reasons.push(
      ...checked.reason
        .split('; ')
        .map((reason) => reason.replace(/^body: Invalid input: expected number, received .*$/, 'body must be a finite number')),
    );
  }
  if (reasons.length > 0) return { ok: false, reason: reasons.join('; ') };
  const { id, body, model, features } = fields as Pick<ScalarMessage, 'id' | 'body' | 'model' | 'features'>;
  return {
    ok: true,
    value: {
      id,
      body,
      ...(model === undefined ? {} : { model }),
      ...(features === undefined ? {} : { features }),
      ...(timestamp === undefined ? {} : { timestamp }),
    },
  };
}

/** The answer to a request that was queued. */
export function acceptedBody(count: number): { accepted: number } {
  return { accepted: count };
}

function refuse(status: 400 | 413 | 415, reason: string): IngestDecision {
  return { ok: false, status, errors: [{ reason }] };
}
