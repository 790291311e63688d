import { describe, expect, it } from 'vitest';
import {
  MetricsBook,
  OPEN_MINUTES,
  readStoredBook,
  WINDOW_HOURS,
  WINDOW_MINUTES,
} from '../../../../../functions/commons/metrics/metricsBook.js';

const MINUTE = 60_000;
const HOUR = 60 * MINUTE;
const T0 = Date.UTC(2026, 10, 27, 6, 0, 0);
const rounded = (value: unknown) => JSON.parse(JSON.stringify(value, (_, v) => (typeof v === 'number' ? Number(v.toPrecision(12)) : v)));
const around = { pending: 3, pendingPredictions: 1, deadLetters: 2 };
/** Notes of a row predicted at `predictedAt`, joined at `at`. */
const notes = (predictedAt: number, at = predictedAt, model?: string) => ({ model, at, predictedAt, labelledAt: at });

describe('the books behind metrics.json', () => {
  it('counts each row in the totals, its model, and the minute and hour it was predicted in', () => {
    const book = new MetricsBook();

    book.addRow('a,10.0,12.0,2.0', notes(T0 + 5_000, T0 + 90_000, 'ols-1'), T0 + 2 * MINUTE);
    book.addRow('b,10.0,6.0,4.0', notes(T0 + MINUTE + 1, T0 + MINUTE + 2, 'ols-2'), T0 + 2 * MINUTE);
    book.addRow('c,0.0,1.0,1.0', undefined, T0 + 2 * MINUTE);
    book.addOrphan('d,y_pred,5.0,2026-11-27T06:00:00.000Z,no y_true within 3600 s');
    book.addOrphan('e,y_true,5.0,2026-11-27T06:00:00.000Z,no y_pred within 3600 s');
    const document = book.document(T0 + 2 * MINUTE, around);

    expect(document.totals).toMatchObject({ n: 3, mae: 7 / 3, bias: (2 - 4 + 1) / 3, mape_skipped: 1, abs_error_max: 4 });
    expect(Object.keys(document.models)).toEqual(['ols-1', 'ols-2']);
    expect([document.models['ols-1']?.mae, document.models['ols-2']?.mae]).toEqual([2, 4]);
    expect(document.minutes.map((minute) => [minute.start, minute.n])).toEqual([
      ['2026-11-27T06:00:00.000Z', 1],
      ['2026-11-27T06:01:00.000Z', 1],
    ]);
    expect(document.hours.map((hour) => [hour.start, hour.n, hour.mae])).toEqual([['2026-11-27T06:00:00.000Z', 2, 3]]);
    expect(document).toMatchObject({ updated_at: '2026-11-27T06:02:00.000Z', orphans: 2, pending: 3, dead_letters: 2 });
    // Three rows of five predictions: one orphaned, one pending.
    expect(document.label_coverage).toBe(3 / 5);
  });

  it('is the same once stored and read back', () => {
    const book = new MetricsBook();
    for (let i = 0; i < 50; i++)
      book.addRow(`r${i},${i}.0,${i + 1}.5,1.5`, notes(T0 + i * 10_000, T0 + i * 10_000, 'ols-1'), T0 + 9 * MINUTE);
    book.addOrphan('o,y_pred,1.0,2026-11-27T06:00:00.000Z,x');

    const again = new MetricsBook(readStoredBook(JSON.parse(JSON.stringify(book.toStored(T0 + 9 * MINUTE)))));

    // The sketch's protobuf form may move a quantile in its 15th digit.
    expect(rounded(again.document(T0 + 9 * MINUTE, around))).toEqual(rounded(book.document(T0 + 9 * MINUTE, around)));
  });

  it('puts a late label in the minute of its prediction, even a closed one, and the figures are exact', () => {
    const book = new MetricsBook();
    book.addRow('early,1.0,2.0,1.0', notes(T0 + 10_000), T0 + 10_000);
    const later = T0 + 5 * HOUR;
    // Closed since: its sums go on, its quantiles stay.
    book.toStored(later);

    book.addRow('late,1.0,4.0,3.0', notes(T0 + 20_000, later), later);
    const document = book.document(later, around);

    expect(document.minutes.map((minute) => [minute.start, minute.n, minute.mae, minute.rmse])).toEqual([
      ['2026-11-27T06:00:00.000Z', 2, 2, Math.sqrt(5)],
    ]);
    expect(document.minutes[0]?.abs_error_p50).toBeCloseTo(1, 1);
    expect(document.hours.map((hour) => [hour.start, hour.n])).toEqual([['2026-11-27T06:00:00.000Z', 2]]);
  });

  it('puts a backfill in its own minutes within the day and its own hours within 30 days; older, in the totals only', () => {
    const book = new MetricsBook();
    const now = T0 + 40 * 24 * HOUR;

    book.addRow('yesterday,1.0,2.0,1.0', notes(now - 20 * HOUR), now);
    book.addRow('last-week,1.0,3.0,2.0', notes(now - 7 * 24 * HOUR), now);
    book.addRow('last-quarter,1.0,5.0,4.0', notes(now - 90 * 24 * HOUR), now);
    const document = book.document(now, around);

    expect(document.minutes.map((minute) => minute.start)).toEqual([new Date(now - 20 * HOUR).toISOString()]);
    expect(document.hours.map((hour) => hour.start)).toEqual([
      new Date(now - 7 * 24 * HOUR).toISOString(),
      new Date(now - 20 * HOUR).toISOString(),
    ]);
    expect(document.totals.n).toBe(3);
  });

  it('keeps a day of minutes and 30 days of hours, and stores a closed period without its sketch', () => {
    const book = new MetricsBook();
    book.addRow('a,1.0,2.0,1.0', notes(T0), T0);
    book.addRow('b,1.0,3.0,2.0', notes(T0 + 30 * MINUTE), T0 + 30 * MINUTE);

    const dayLater = book.toStored(T0 + WINDOW_MINUTES * MINUTE);
    const monthLater = book.toStored(T0 + WINDOW_HOURS * HOUR);

    expect(dayLater.minutes.map((minute) => [minute.start, 'closed' in minute])).toEqual([[T0 + 30 * MINUTE, true]]);
    expect(dayLater.hours.map((hour) => [hour.start, 'closed' in hour])).toEqual([[T0, true]]);
    expect([monthLater.minutes, monthLater.hours]).toEqual([[], []]);
    expect(OPEN_MINUTES).toBeLessThan(WINDOW_MINUTES);
  });

  it('reads a version-1 book: totals, models and counts kept, its minutes (by join time) let go', () => {
    const v1 = new MetricsBook();
    v1.addRow('a,1.0,2.0,1.0', notes(T0, T0, 'm'), T0);
    const stored = { ...v1.toStored(T0), version: 1, minutes: [{ start: T0, summary: { n: 1 } }] } as unknown;

    const read = new MetricsBook(readStoredBook(stored)).document(T0, around);

    expect([read.totals.n, Object.keys(read.models), read.minutes, read.hours]).toEqual([1, ['m'], [], []]);
    expect(readStoredBook({ version: 3 })).toBeUndefined();
  });

  it('has no label coverage before any prediction', () => {
    expect(new MetricsBook().document(T0, { pending: 0, pendingPredictions: 0, deadLetters: null }).label_coverage).toBeNull();
  });
});
