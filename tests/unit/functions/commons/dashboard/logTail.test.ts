import { describe, expect, it } from 'vitest';
import { rangeStart, rowsDocument, TAIL_ROWS, tailRows } from '../../../../../functions/commons/dashboard/logTail.js';
import { formatMetricRow, METRIC_LOG_HEADER, metricRow } from '../../../../../functions/commons/logs/rowFormat.js';

const log = (count: number) =>
  `${METRIC_LOG_HEADER}\n${Array.from({ length: count }, (_, i) => `${formatMetricRow(metricRow(`id-${i}`, 100 + i, 101 + i))}\n`).join('')}`;

describe('tailRows', () => {
  it('reads every row of a whole log, the header skipped', () => {
    const rows = tailRows(log(3), 0);

    expect(rows.map((row) => row.id)).toEqual(['id-0', 'id-1', 'id-2']);
    expect(rows[1]).toEqual({ id: 'id-1', yTrue: 101, yPred: 102, absoluteError: 1, model: '' });
  });

  it("keeps a piece's model column, so the scatter can colour rows by version", () => {
    const piece = 'id,y_true,y_pred,absolute_error,model,predicted_at,labelled_at\na,1.0,2.0,1.0,ols-1,,\nb,3.0,5.0,2.0,,,\n';

    expect(tailRows(piece, 0).map((row) => row.model)).toEqual(['ols-1', '']);
  });

  it('drops the first line of a tail that starts inside the file, and a partial last line', () => {
    const text = log(5);
    const start = text.indexOf('id-1') + 2;

    const rows = tailRows(`${text.slice(start)}id-5,1.0,2`, start);

    expect(rows.map((row) => row.id)).toEqual(['id-2', 'id-3', 'id-4']);
  });

  it('keeps only the latest rows, oldest first', () => {
    const rows = tailRows(log(TAIL_ROWS + 20), 0);

    expect(rows).toHaveLength(TAIL_ROWS);
    expect(rows[0]?.id).toBe('id-20');
    expect(rows.at(-1)?.id).toBe(`id-${TAIL_ROWS + 19}`);
  });

  it('reads an empty log as no rows', () => {
    expect(tailRows('', 0)).toEqual([]);
    expect(tailRows(`${METRIC_LOG_HEADER}\n`, 0)).toEqual([]);
  });
});

describe('rangeStart', () => {
  it('reads where a Content-Range starts, and 0 without one', () => {
    expect(rangeStart('bytes 1000-1999/2000')).toBe(1000);
    expect(rangeStart(undefined)).toBe(0);
  });
});

describe('rowsDocument', () => {
  it('gives the rows as columns', () => {
    const rows = [
      { ...metricRow('a', 1, 2), model: 'v1' },
      { ...metricRow('b', 3, 5), model: '' },
    ];

    expect(rowsDocument(rows)).toEqual({ rows: 2, y_true: [1, 3], y_pred: [2, 5], model: ['v1', ''] });
  });
});
