import { describe, expect, it } from 'vitest';
import { MetricsBook, WINDOW_MINUTES } from '../../../../../functions/commons/metrics/metricsBook.js';

const MINUTE = 60_000;
const T0 = Date.UTC(2026, 10, 27, 6, 0, 0);
const rounded = (value: unknown) => JSON.parse(JSON.stringify(value, (_, v) => (typeof v === 'number' ? Number(v.toPrecision(12)) : v)));
const around = { pending: 3, pendingPredictions: 1, deadLetters: 2 };

describe('the books behind metrics.json', () => {
  it('counts each row in the totals, its model and the minute it was joined in', () => {
    const book = new MetricsBook();

    book.addRow('a,10.0,12.0,2.0', { model: 'ols-1', at: T0 + 5_000 }, T0 + 2 * MINUTE);
    book.addRow('b,10.0,6.0,4.0', { model: 'ols-2', at: T0 + MINUTE + 1 }, T0 + 2 * MINUTE);
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
    expect(document).toMatchObject({ updated_at: '2026-11-27T06:02:00.000Z', orphans: 2, pending: 3, dead_letters: 2 });
    // Three rows of five predictions: one orphaned, one pending.
    expect(document.label_coverage).toBe(3 / 5);
  });

  it('is the same once stored and read back', () => {
    const book = new MetricsBook();
    for (let i = 0; i < 50; i++) book.addRow(`r${i},${i}.0,${i + 1}.5,1.5`, { model: 'ols-1', at: T0 + i * 10_000 }, T0 + 9 * MINUTE);
    book.addOrphan('o,y_pred,1.0,2026-11-27T06:00:00.000Z,x');

    const again = new MetricsBook(JSON.parse(JSON.stringify(book.toStored(T0 + 9 * MINUTE))));

    // The sketch's protobuf form may move a quantile in its 15th digit.
    expect(rounded(again.document(T0 + 9 * MINUTE, around))).toEqual(rounded(book.document(T0 + 9 * MINUTE, around)));
  });

  it('keeps a day of minutes, closes those past ten minutes, and counts a late row in the current minute', () => {
    const book = new MetricsBook();
    book.addRow('old,1.0,2.0,1.0', { model: undefined, at: T0 }, T0);
    book.addRow('recent,1.0,3.0,2.0', { model: undefined, at: T0 + 30 * MINUTE }, T0 + 30 * MINUTE);
    const later = T0 + WINDOW_MINUTES * MINUTE;

    const stored = book.toStored(later);
    book.addRow('late,1.0,5.0,4.0', { model: undefined, at: T0 + 30 * MINUTE }, later);
    const document = book.document(later, around);

    expect(stored.minutes.map((minute) => [minute.start, 'summary' in minute])).toEqual([[T0 + 30 * MINUTE, true]]);
    expect(document.minutes.map((minute) => [minute.start, minute.n, minute.mae])).toEqual([
      ['2026-11-27T06:30:00.000Z', 1, 2],
      ['2026-11-28T06:00:00.000Z', 1, 4],
    ]);
    expect(document.totals.n).toBe(3);
  });

  it('has no label coverage before any prediction', () => {
    expect(new MetricsBook().document(T0, { pending: 0, pendingPredictions: 0, deadLetters: null }).label_coverage).toBeNull();
  });
});
