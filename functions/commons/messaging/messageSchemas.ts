/**
 * Message schemas: the one place that says what travels on each queue. Every
 * handler parses records against these at the edge, so a malformed message fails
 * alone, with a reason, and never reaches the logic.
 */
// zod/mini: the same validation as zod, tree-shakable: ~20 KB in a bundle instead of ~440 KB.
import { isLosslessNumber, parse as parseLossless } from 'lossless-json';
import { en } from 'zod/locales';
import * as z from 'zod/mini';
import { FEATURE_COUNT } from '../model/dataset.js';
import { InvalidMessageError } from '../platform/errors.js';
import { readEventTime } from './eventTime.js';
import { SQS_LIMITS } from './sqsLimits.js';

// zod/mini ships without messages ("Invalid input"); English ones make rejection reasons clear.
z.config(en());

/** SQS's own limit on a message body; a pack of MAX_RECORDS_PER_MESSAGE records is well under it. */
export const MAX_MESSAGE_BYTES = SQS_LIMITS.messageBytes;

/**
 * A message body is one record (a JSON object) or a pack of records (a JSON array).
 * The pipeline's own producers pack up to this many records to a message: SQS charges
 * by the request, and three queues at a record a message cost ~0.9 requests per record
 * in sends, receives and deletes alone. A pack of 100 feature vectors is ~27 KB
 * (at most ~41 KB with 128-character ids), under the 64 KiB SQS bills as one request.
 */
export const MAX_RECORDS_PER_MESSAGE = 100;

/** A short name of safe characters: `what` names it in the reasons. */
function safeName(what: string, maxLength: number) {
  return z
    .string()
    .check(
      z.minLength(1, `${what} is empty`),
      z.maxLength(maxLength, `${what} is longer than ${maxLength} characters`),
      z.regex(/^[A-Za-z0-9._:+-]+$/, `${what} may hold only letters, digits and . _ : + -`),
    );
}

/** A number as a spreadsheet reads one: a sign, digits with at most one point, an exponent. */
const PLAIN_NUMBER = /^[+-]?(\d+\.?\d*|\.\d+)(e[+-]?\d+)?$/i;

/**
 * Whether a spreadsheet opening metric_log.csv would take this cell for a formula and
 * run it: it starts with `+`, `-`, `=` or `@` and is not a plain number (`-2+3`,
 * `+cmd:calc`, `-A1` are formulas; `-5`, `+1.5`, `-2e3` are numbers). OWASP's "CSV
 * injection": refusing such ids keeps the log safe to open, where quoting or
 * prefixing them would change the ids the log holds.
 */
export function isSpreadsheetFormula(cell: string): boolean {
  return /^[+\-=@]/.test(cell) && !PLAIN_NUMBER.test(cell);
}

/**
 * Ids go into CSV rows unquoted, so they are restricted to safe characters, and never
 * a spreadsheet formula. A JSON number is taken as its text (`1669147134.196809` is the
 * id "1669147134.196809"): producers that number their records keep their ids exactly.
 */
export const RecordId = safeName('id', 128).check(
  z.refine(
    (id: string) => !isSpreadsheetFormula(id),
    'id may not start with + - = or @ unless it is a plain number: a spreadsheet would run it as a formula',
  ),
);

/** The version of the model that made a prediction: shown per version in metrics.json. */
export const ModelVersion = safeName('model', 64);

const FiniteNumber = z.number().check(z.refine(Number.isFinite, 'must be a finite number'));

/**
 * When the record's event happened (eventTime.ts): the prediction's time on `features`
 * and `y_pred`, the true answer's on `y_true`. Optional: a record without one takes the
 * time SQS received it.
 */
const EventTime = z.union([z.number(), z.string()]).check(
  z.superRefine((value, context) => {
    const read = readEventTime(value, Date.now());
    if (typeof read === 'string') context.addIssue({ code: 'custom', message: read, input: value });
  }),
);

export const FeaturesMessage = z.object({
  id: RecordId,
  body: z.array(FiniteNumber).check(z.length(FEATURE_COUNT, `body must hold exactly ${FEATURE_COUNT} numbers`)),
  timestamp: z.optional(EventTime),
});
export type FeaturesMessage = z.infer<typeof FeaturesMessage>;

/** At most this many features to a prediction: a record stays well under a message's bytes. */
export const MAX_FEATURES = 64;

/**
 * The inputs a prediction was made from, by name: a number, or a category's name.
 * Drift and the estimated error are computed from them against the model version's
 * reference (drift/modelReference.ts).
 */
export const Features = z
  .record(
    safeName('feature name', 64),
    z.union([FiniteNumber, z.string().check(z.maxLength(128, 'a category is longer than 128 characters'))]),
  )
  .check(z.refine((features) => Object.keys(features).length <= MAX_FEATURES, `at most ${MAX_FEATURES} features`));
export type Features = z.infer<typeof Features>;

/**
 * y_true and y_pred carry one number each; a prediction may name its model version and
 * carry its inputs (`features`); either may carry its time.
 */
export const ScalarMessage = z.object({
  id: RecordId,
  body: FiniteNumber,
  model: z.optional(ModelVersion),
  features: z.optional(Features),
  timestamp: z.optional(EventTime),
});
export type ScalarMessage = z.infer<typeof ScalarMessage>;

export interface QueueRecord {
  readonly messageId: string;
  readonly body: string;
  readonly eventSourceARN: string;
  /** SQS's: SentTimestamp, epoch ms as text, when the queue took the message. */
  readonly attributes?: { readonly SentTimestamp?: string };
}

/** When SQS took the message (epoch ms); `fallback` when the record does not say. */
export function sentTimestampOf(record: Pick<QueueRecord, 'attributes'>, fallback: number = Date.now()): number {
  const sent = Number(record.attributes?.SentTimestamp);
  return Number.isFinite(sent) && sent > 0 ? sent : fallback;
}

/** A record's event time in epoch ms: its own `timestamp` (checked by the schema), else `otherwise` (when SQS took it). */
export function eventTimeOf(message: { readonly timestamp?: number | string }, otherwise: number): number {
  if (message.timestamp === undefined) return otherwise;
  return typeof message.timestamp === 'number' ? Math.round(message.timestamp) : Date.parse(message.timestamp);
}

/** The queue name is the last segment of the record's source ARN. */
export function queueNameOf(record: Pick<QueueRecord, 'eventSourceARN'>): string {
  return record.eventSourceARN.split(':').pop() ?? record.eventSourceARN;
}

/** A record of a pack that failed its schema: where it was, what it was, and why. */
export interface RejectedItem {
  /** Its position in the message's array. */
  readonly index: number;
  /** As parsed (a numeric id as its text). */
  readonly item: unknown;
  readonly reason: string;
}

export interface ParsedMessage<T> {
  /** The good records, in the message's order. */
  readonly records: T[];
  /** The bad records of a pack whose other records are good (empty for a single record). */
  readonly rejected: RejectedItem[];
}

/**
 * Parses one SQS record's body, one record or a pack of them, against `schema`. The
 * message as a whole is refused (InvalidMessageError with the reason) when it is too
 * big, not JSON, an empty pack, or holds no good record; otherwise the good records
 * come back with the pack's bad ones beside them, so one bad record never takes its
 * pack-mates down with it.
 */
export function parseRecords<T>(schema: z.ZodMiniType<T>, record: QueueRecord): ParsedMessage<T> {
  const queue = queueNameOf(record);
  const refuse = (reason: string) => new InvalidMessageError(queue, record.messageId, reason);
  const bytes = Buffer.byteLength(record.body, 'utf8');
  if (bytes > MAX_MESSAGE_BYTES) throw refuse(`body is ${bytes} bytes, over the ${MAX_MESSAGE_BYTES}-byte limit`);
  let json: unknown;
  try {
    json = parseMessageJson(record.body);
  } catch (error) {
    throw refuse(`body is not JSON (${(error as Error).message})`);
  }
  if (!Array.isArray(json)) {
    const parsed = checkMessage(schema, json);
    if (!parsed.ok) throw refuse(parsed.reason);
    return { records: [parsed.value], rejected: [] };
  }
  if (json.length === 0) throw refuse('body is an empty array: a pack holds at least one record');
  const records: T[] = [];
  const rejected: RejectedItem[] = [];
  json.forEach((item, index) => {
    const parsed = checkMessage(schema, item);
    if (parsed.ok) records.push(parsed.value);
    else rejected.push({ index, item, reason: parsed.reason });
  });
  if (records.length === 0) throw refuse(`no good record in the pack: ${describeRejected(rejected)}`);
  return { records, rejected };
}

/** `[3] body: must be a finite number; [7] id: id is empty`, the first ten of them. */
export function describeRejected(rejected: readonly RejectedItem[]): string {
  const shown = rejected.slice(0, 10).map((r) => `[${r.index}] ${r.reason}`);
  if (rejected.length > shown.length) shown.push(`and ${rejected.length - shown.length} more`);
  return shown.join('; ');
}

/** Splits records into packs of at most `perMessage`, for messages the consumers read with parseRecords. */
export function packRecords<T>(records: readonly T[], perMessage: number = MAX_RECORDS_PER_MESSAGE): T[][] {
  const packs: T[][] = [];
  for (let i = 0; i < records.length; i += perMessage) packs.push(records.slice(i, i + perMessage));
  return packs;
}

/**
 * JSON.parse, except that a numeric `id` of the top-level object (or of each object of
 * a top-level array) keeps its JSON text. Every other number is a JavaScript number.
 */
export function parseMessageJson(text: string): unknown {
  const withText = (value: unknown): unknown => {
    if (isLosslessNumber(value)) return Number(value.value);
    if (Array.isArray(value)) return value.map(withText);
    if (value !== null && typeof value === 'object') {
      return Object.fromEntries(
        Object.entries(value).map(([key, item]) => [key, key === 'id' && isLosslessNumber(item) ? item.value : withText(item)]),
      );
    }
    return value;
  };
  const json = parseLossless(text);
  return Array.isArray(json) ? json.map((item) => withText(item)) : withText(json);
}

/** Checks a parsed message against `schema`; the reason names each bad field. */
export function checkMessage<T>(schema: z.ZodMiniType<T>, json: unknown): { ok: true; value: T } | { ok: false; reason: string } {
  const parsed = schema.safeParse(json);
  if (parsed.success) return { ok: true, value: parsed.data };
  const reason = parsed.error.issues
    .map((issue) => `${issue.path.length > 0 ? issue.path.join('.') : 'message'}: ${messageOf(issue)}`)
    .join('; ');
  return { ok: false, reason };
}

/** zod says only "Invalid key in record" of a bad feature name: the key's own issues say what is wrong with it. */
function messageOf(issue: z.core.$ZodIssue): string {
  return issue.code === 'invalid_key' ? issue.issues.map(messageOf).join(', ') : issue.message;
}
