/**
 * When a prediction was made, or a true answer became known: the time every figure
 * is counted by (a backfill lands in its own minutes, a late label in the minute of its
 * prediction). Records carry it as `timestamp`: epoch milliseconds (a JSON number), or
 * ISO 8601 with its zone (`2026-12-03T14:05:00Z`, `…+01:00`). Pure.
 */

/** Earlier than this is a mistake (epoch seconds sent as milliseconds land in 1970). */
export const EARLIEST_EVENT_TIME = Date.UTC(2000, 0, 1);
/** Clocks differ: a time up to a day ahead of ours is taken, later is a mistake. */
export const FUTURE_SLACK_MS = 24 * 60 * 60 * 1000;

const ISO_WITH_ZONE = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d{1,9})?)?(Z|[+-]\d{2}:?\d{2})$/i;

/** The time a `timestamp` field holds, in epoch ms, or why it holds none. */
export function readEventTime(value: unknown, now: number): number | string {
  let ms: number;
  if (typeof value === 'number') {
    if (!Number.isFinite(value)) return 'must be epoch milliseconds or an ISO 8601 time with its zone';
    ms = Math.round(value);
  } else if (typeof value === 'string') {
    if (!ISO_WITH_ZONE.test(value.trim()))
      return 'must be an ISO 8601 time with its zone (e.g. 2026-12-03T14:05:00Z) or epoch milliseconds';
    ms = Date.parse(value.trim());
    if (Number.isNaN(ms)) return `${JSON.stringify(value)} is not a time`;
  } else {
    return 'must be epoch milliseconds (a number) or an ISO 8601 time with its zone (a string)';
  }
  if (ms < EARLIEST_EVENT_TIME) {
    const hint = ms > 0 && ms < 1e11 ? ' (epoch seconds? it takes milliseconds)' : '';
    return `${new Date(ms).toISOString()} is before 2000${hint}`;
  }
  if (ms > now + FUTURE_SLACK_MS) return `${new Date(ms).toISOString()} is more than a day ahead`;
  return ms;
}
