import { describe, expect, it } from 'vitest';
import type { StoredDriftBook } from '../../../../../functions/commons/drift/driftBook.js';
import {
  acknowledgeWritten,
  applyHalves,
  dropSettled,
  EMPTY_TABLE,
  type Half,
  MAX_UNCOUNTED_TAKES,
  type MetricTable,
  parseTable,
  type TableRules,
  takeDrift,
} from '../../../../../functions/commons/join/joinTable.js';
import { splitAnnotated } from '../../../../../functions/commons/logs/logFiles.js';

const truth = (id: string, value: number): Half => ({ kind: 'y_true', id, value });
const prediction = (id: string, value: number): Half => ({ kind: 'y_pred', id, value });
const RULES: TableRules = { orphanTtlMs: 60_000 };

function applyInTurn(batches: Half[][], rules = RULES): { table: MetricTable; rows: string[] } {
  let table = EMPTY_TABLE;
  const rows: string[] = [];
  batches.forEach((batch, i) => {
    const outcome = applyHalves(table, batch, 1_000 + i, rules);
    table = outcome.table;
    rows.push(...outcome.newRows.map((row) => row.id));
  });
  return { table, rows };
}

describe('joining the halves of a record', () => {
  it('makes one row when y_pred comes before y_true', () => {
    const first = applyHalves(EMPTY_TABLE, [prediction('a', 150)], 1, RULES);
    const second = applyHalves(first.table, [truth('a', 200)], 2, RULES);

    expect(first.newRows).toEqual([]);
    expect(first.table.pending.a).toEqual({ yPred: 150, firstSeen: 1 });
    expect(second.newRows).toEqual([{ id: 'a', yTrue: 200, yPred: 150, absoluteError: 50 }]);
    // The row's segment line notes its model version (none here) and when it was joined.
    expect(second.table.outbox).toEqual([{ log: 'metric_log', firstSeq: 1, lines: ['a,200.0,150.0,50.0\t\t2\t\t'] }]);
    expect(second.table.pending).toEqual({});
  });

  it('drops the copies of a half while its id waits, and makes one row per id when the other half comes', () => {
    const batches = [
      [truth('a', 1), prediction('b', 2), truth('a', 1), truth('a', 1)],
      [truth('c', 4), prediction('b', 2), truth('c', 4), prediction('b', 2)],
      [prediction('a', 3), truth('c', 4), prediction('c', 6), truth('b', 5)],
    ];

    const { table, rows } = applyInTurn(batches);

    expect(rows.sort()).toEqual(['a', 'b', 'c']);
    expect(table.pending).toEqual({});
    expect(table.outbox.flatMap((batch) => batch.lines)).toEqual([
      'a,1.0,3.0,2.0\t\t1002\t\t',
      'c,4.0,6.0,2.0\t\t1002\t\t',
      'b,5.0,2.0,3.0\t\t1002\t\t',
    ]);
    expect(table.nextSeq.metric_log).toBe(4);
  });

  it('notes the model version of the prediction on the row it makes', () => {
    const { table } = applyInTurn([[{ ...prediction('a', 3), model: 'ols-1234' }], [truth('a', 1)]]);

    expect(table.outbox.flatMap((batch) => batch.lines)).toEqual(['a,1.0,3.0,2.0\tols-1234\t1001\t\t']);
  });

  it('keeps the first value when a half is contradicted, and reports the conflict', () => {
    const first = applyHalves(EMPTY_TABLE, [truth('a', 1)], 1, RULES);

    const outcome = applyHalves(first.table, [truth('a', 9)], 2, RULES);

    expect(outcome.conflicts).toEqual([{ id: 'a', kind: 'y_true', kept: 1, ignored: 9 }]);
    expect(outcome.table.pending.a?.yTrue).toBe(1);
  });

  it('remembers no settled id: a late half of one is pending again, for maintain to drop', () => {
    const done = applyHalves(EMPTY_TABLE, [truth('a', 1), prediction('a', 2)], 1, RULES);

    const late = applyHalves(done.table, [truth('a', 1)], 2, RULES);

    expect(Object.keys(done.table)).toEqual(['version', 'pending', 'outbox', 'nextSeq', 'orphanCount']);
    expect(late.table.pending).toEqual({ a: { yTrue: 1, firstSeen: 2 } });
  });

  it('drops the pending ids already in a log, counting them as duplicates', () => {
    const { table } = applyHalves(EMPTY_TABLE, [truth('logged', 1), truth('waiting', 2)], 1, RULES);

    const outcome = dropSettled(table, (id) => id === 'logged');
    const unchanged = dropSettled(outcome.table, (id) => id === 'logged');

    expect(outcome.duplicates).toBe(1);
    expect(Object.keys(outcome.table.pending)).toEqual(['waiting']);
    expect(unchanged).toEqual({ table: outcome.table, duplicates: 0 });
    expect(unchanged.table).toBe(outcome.table);
  });

  it('orphans a half whose partner has not come within the TTL, and counts it', () => {
    const first = applyHalves(EMPTY_TABLE, [truth('lonely', 120)], 0, RULES);
    const second = applyHalves(first.table, [prediction('fresh', 5)], 30_000, RULES);

    const later = applyHalves(second.table, [], 60_000, RULES);

    expect(later.orphans).toEqual([
      { id: 'lonely', half: 'y_true', value: 120, firstSeen: 0, reason: 'no y_pred within 60 s', record: { yTrue: 120, firstSeen: 0 } },
    ]);
    expect(Object.keys(later.table.pending)).toEqual(['fresh']);
    expect(later.table.orphanCount).toBe(1);
    expect(later.table.outbox.at(-1)).toEqual({
      log: 'orphans',
      firstSeq: 1,
      lines: ['lonely,y_true,120.0,1970-01-01T00:00:00.000Z,no y_pred within 60 s\t\t60000\t\t'],
    });
  });

  it('notes on each row when its prediction was made and its true answer became known, whatever order they came in', () => {
    const predicted = Date.parse('2026-12-01T10:00:00Z');
    const labelled = Date.parse('2026-12-03T09:30:00Z');

    const { table } = applyInTurn([[{ ...truth('late', 7), at: labelled }], [{ ...prediction('late', 5), model: 'v2', at: predicted }]]);

    expect(table.outbox.flatMap((batch) => batch.lines)).toEqual([`late,7.0,5.0,2.0\tv2\t1001\t${predicted}\t${labelled}`]);
  });

  it('empties the outbox of the batches written as segments', () => {
    const { table } = applyInTurn([
      [truth('a', 1), prediction('a', 2)],
      [truth('b', 1), prediction('b', 2)],
    ]);

    const pruned = acknowledgeWritten(table, [{ log: 'metric_log', firstSeq: 1 }]);

    expect(pruned.outbox.map((batch) => batch.firstSeq)).toEqual([2]);
    expect(acknowledgeWritten(table, [])).toBe(table);
  });

  it('refuses to read something that is not a table', () => {
    expect(() => parseTable('{"pending":{}}')).toThrow('stored metric table is not a version-3 (or 2) table');
  });

  it('reads a version-2 table (which kept settled ids) as version 3, keeping what is in flight', () => {
    const stored = {
      version: 2,
      pending: { a: { yTrue: 1, firstSeen: 5 } },
      settled: ['b'],
      outbox: [],
      nextSeq: { metric_log: 3, orphans: 1 },
      orphanCount: 0,
    };

    expect(parseTable(JSON.stringify(stored))).toEqual({
      version: 3,
      pending: stored.pending,
      outbox: [],
      nextSeq: stored.nextSeq,
      orphanCount: 0,
    });
  });
});

describe("what metric read in a prediction's inputs", () => {
  it('waits with the prediction and rides into its line; the halves recorded are the ones accepted', () => {
    const read: Half = { ...prediction('a', 150), estimate: 12.5, segments: [['sex', '1']] };
    const first = applyHalves(EMPTY_TABLE, [read, prediction('b', 3)], 1, RULES);
    const second = applyHalves(first.table, [read, truth('a', 200)], 2, RULES);

    expect(first.table.pending.a).toEqual({ yPred: 150, firstSeen: 1, estimate: 12.5, segments: [['sex', '1']] });
    expect(first.accepted.map((half) => half.id)).toEqual(['a', 'b']);
    // The copy of a's prediction, still pending, is a duplicate: not accepted again. (A copy that comes after
    // its row is logged is pending again, as the table keeps no settled id: it is accepted, and drift counts it twice.)
    expect(second.accepted).toEqual([truth('a', 200)]);
    const line = second.table.outbox[0]?.lines[0] as string;
    expect(line).toBe('a,200.0,150.0,50.0\t\t2\t\t\t12.5\t[["sex","1"]]');
    expect(splitAnnotated(line, 0).notes).toMatchObject({ estimate: 12.5, segments: [['sex', '1']] });
  });
});

describe("maintain's taking of the drift metric added", () => {
  const drift = (model: string): StoredDriftBook => ({ version: 1, models: { [model]: { reference: 'r', minutes: [] } } });

  it('numbers what it takes, and forgets it once a stored drift book counts it', () => {
    const withDrift = { ...EMPTY_TABLE, drift: drift('v1') };
    const taken = takeDrift(withDrift, 0);
    expect(taken.drift).toBeUndefined();
    expect(taken.driftTaken).toEqual([{ number: 1, drift: drift('v1') }]);

    // Not counted yet (the books were not stored): it stays, and the next drift is the 2nd.
    const again = takeDrift({ ...taken, drift: drift('v2') }, 0);
    expect(again.driftTaken?.map((entry) => entry.number)).toEqual([1, 2]);
    // Counted up to 2: gone, and nothing new to take leaves the table without any.
    const counted = takeDrift(again, 2);
    expect(counted.driftTaken).toBeUndefined();
    expect(takeDrift(counted, 2)).toBe(counted);
    // Numbers go on after what the books counted, even once the table has none left.
    expect(takeDrift({ ...counted, drift: drift('v3') }, 2).driftTaken?.[0]?.number).toBe(3);
  });

  it('takes no more while several takes are not counted: the drift waits in the table, bounded by its minutes', () => {
    let table: MetricTable = EMPTY_TABLE;
    for (let take = 0; take < MAX_UNCOUNTED_TAKES + 2; take++) table = takeDrift({ ...table, drift: drift(`v${take}`) }, 0);

    expect(table.driftTaken?.map((entry) => entry.number)).toEqual([1, 2, 3]);
    expect(table.drift).toEqual(drift(`v${MAX_UNCOUNTED_TAKES + 1}`));
    expect(takeDrift(table, 3).driftTaken?.map((entry) => entry.number)).toEqual([4]);
  });

  it('is read back from a stored table', () => {
    const table = takeDrift({ ...EMPTY_TABLE, drift: drift('v1') }, 4);
    expect(parseTable(JSON.stringify(table)).driftTaken).toEqual([{ number: 5, drift: drift('v1') }]);
  });
});
