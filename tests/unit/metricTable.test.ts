import { describe, expect, it } from 'vitest';
import { EMPTY_TABLE, type Half, type MetricTable, acknowledgeFlushed, applyHalves, parseTable } from '../../functions/commons/metricTable.js';

const truth = (id: string, value: number): Half => ({ kind: 'y_true', id, value });
const prediction = (id: string, value: number): Half => ({ kind: 'y_pred', id, value });
const KEEP = 100;

function applyInTurn(batches: Half[][], keep = KEEP): { table: MetricTable; rows: string[] } {
  let table = EMPTY_TABLE;
  const rows: string[] = [];
  batches.forEach((batch, i) => {
    const outcome = applyHalves(table, batch, 1_000 + i, keep);
    table = outcome.table;
    rows.push(...outcome.newRows.map((entry) => entry.row.id));
  });
  return { table, rows };
}

describe('joining the halves of a record', () => {
  it('makes one row when y_pred comes before y_true', () => {
    const first = applyHalves(EMPTY_TABLE, [prediction('a', 150)], 1, KEEP);
    const second = applyHalves(first.table, [truth('a', 200)], 2, KEEP);

    expect(first.newRows).toEqual([]);
    expect(first.table.pending.a).toEqual({ yPred: 150, firstSeen: 1 });
    expect(second.newRows).toEqual([{ seq: 1, row: { id: 'a', yTrue: 200, yPred: 150, absoluteError: 50 } }]);
    expect(second.table.pending).toEqual({});
  });

  it('makes one row per id when each half comes three times, interleaved, in either order', () => {
    const batches = [
      [truth('a', 1), prediction('b', 2), truth('a', 1)],
      [prediction('a', 3), truth('c', 4), prediction('a', 3)],
      [truth('b', 5), truth('a', 1), prediction('c', 6), truth('b', 5)],
      [prediction('b', 2), prediction('c', 6), truth('c', 4), prediction('a', 3), truth('b', 5), prediction('b', 2), truth('c', 4), prediction('c', 6)],
    ];

    const { table, rows } = applyInTurn(batches);

    expect(rows.sort()).toEqual(['a', 'b', 'c']);
    expect(table.pending).toEqual({});
    expect(table.outbox.map((entry) => entry.seq)).toEqual([1, 2, 3]);
  });

  it('drops a duplicate that arrives after its row was made, without a new pending record', () => {
    const { table } = applyInTurn([[truth('a', 1), prediction('a', 2)]]);

    const late = applyHalves(table, [truth('a', 1), prediction('a', 2)], 5, KEEP);

    expect(late.newRows).toEqual([]);
    expect(late.duplicates).toBe(2);
    expect(late.table.pending).toEqual({});
  });

  it('keeps the first value when a half is contradicted, and reports the conflict', () => {
    const first = applyHalves(EMPTY_TABLE, [truth('a', 1)], 1, KEEP);

    const outcome = applyHalves(first.table, [truth('a', 9)], 2, KEEP);

    expect(outcome.conflicts).toEqual([{ id: 'a', kind: 'y_true', kept: 1, ignored: 9 }]);
    expect(outcome.table.pending.a?.yTrue).toBe(1);
  });

  it('remembers only the newest completed ids, within the bound', () => {
    const halves = ['a', 'b', 'c', 'd'].flatMap((id) => [truth(id, 1), prediction(id, 2)]);

    const outcome = applyHalves(EMPTY_TABLE, halves, 1, 2);

    expect(outcome.table.completed).toEqual(['c', 'd']);
  });

  it('empties the outbox up to the acknowledged row', () => {
    const { table } = applyInTurn([[truth('a', 1), prediction('a', 2), truth('b', 1), prediction('b', 2)]]);

    expect(acknowledgeFlushed(table, 1).outbox.map((entry) => entry.seq)).toEqual([2]);
    expect(acknowledgeFlushed(table, 0)).toBe(table);
  });

  it('refuses to read something that is not a table', () => {
    expect(() => parseTable('{"pending":{}}')).toThrow(/version-1/);
  });
});
