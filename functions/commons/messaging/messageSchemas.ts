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

// zod/mini ships without messages ("Invalid input"); English ones make rejection reasons clear.
z.config(en());

/** Bigger than any good message (a 10-number vector is ~250 bytes); SQS allows 256 KiB. */
export const MAX_MESSAGE_BYTES = 4_096;

/**
 * Ids go into CSV rows unquoted, so they are restricted to safe characters. A JSON
 * number is taken as its text (`1669147134.196809` is the id "1669147134.196809"):
 * producers that number their records keep their ids exactly.
 */
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

export const RecordId = safeName('id', 128);

/** The version of the model that made a prediction: shown per version in metrics.json. */
export const ModelVersion = safeName('model', 64);

const FiniteNumber = z.number().check(z.refine(Number.isFinite, 'must be a finite number'));

export const FeaturesMessage = z.object({
  id: RecordId,
  body: z.array(FiniteNumber).check(z.length(FEATURE_COUNT, `body must hold exactly ${FEATURE_COUNT} numbers`)),
});
export type FeaturesMessage = z.infer<typeof FeaturesMessage>;

/** y_true and y_pred carry one number each; a prediction may name its model version. */
export const ScalarMessage = z.object({ id: RecordId, body: FiniteNumber, model: z.optional(ModelVersion) });
export type ScalarMessage = z.infer<typeof ScalarMessage>;

export interface QueueRecord {
  readonly messageId: string;
  readonly body: string;
  readonly eventSourceARN: string;
}

/** The queue name is the last segment of the record's source ARN. */
export function queueNameOf(record: Pick<QueueRecord, 'eventSourceARN'>): string {
  return record.eventSourceARN.split(':').pop() ?? record.eventSourceARN;
}

/** Parses one SQS record's body against `schema`, or throws InvalidMessageError with the reason. */
export function parseRecord<T>(schema: z.ZodMiniType<T>, record: QueueRecord): T {
  const queue = queueNameOf(record);
  const bytes = Buffer.byteLength(record.body, 'utf8');
  if (bytes > MAX_MESSAGE_BYTES) {
    throw new InvalidMessageError(queue, record.messageId, `body is ${bytes} bytes, over the ${MAX_MESSAGE_BYTES}-byte limit`);
  }
  let json: unknown;
  try {
    json = parseMessageJson(record.body);
  } catch (error) {
    throw new InvalidMessageError(queue, record.messageId, `body is not JSON (${(error as Error).message})`);
  }
  const parsed = checkMessage(schema, json);
  if (!parsed.ok) throw new InvalidMessageError(queue, record.messageId, parsed.reason);
  return parsed.value;
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
    .map((issue) => `${issue.path.length > 0 ? issue.path.join('.') : 'message'}: ${issue.message}`)
    .join('; ');
  return { ok: false, reason };
}
