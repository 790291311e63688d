import { Readable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { CsvHeaderError, type CsvRow, readCsvRows } from '../../../../../infra/tools/ingest/csvRows.js';

const PREDICTIONS_HEADER =
  'the first line must be the header "id,value" (and optionally ",model", ",timestamp" and ",feature.<name>" columns)';

async function rowsOf(text: string, kind: 'truths' | 'predictions' = 'truths'): Promise<CsvRow[]> {
  const rows: CsvRow[] = [];
  for await (const row of readCsvRows(Readable.from([text]), kind)) rows.push(row);
  return rows;
}

describe('reading a backfill CSV', () => {
  it('reads id,value rows with their line numbers, keeping ids as written', async () => {
    const rows = await rowsOf('id,value\n1669147134.196809,295.0\r\n"a-1", 2.5\n\nb,-1e2\n');

    expect(rows).toEqual([
      { line: 2, item: { id: '1669147134.196809', body: 295 } },
      { line: 3, item: { id: 'a-1', body: 2.5 } },
      { line: 5, item: { id: 'b', body: -100 } },
    ]);
  });

  it('reads a model column of predictions, an empty cell meaning none', async () => {
    const rows = await rowsOf('\uFEFFID,Value,Model\np1,1,v1\np2,2,\n', 'predictions');

    expect(rows).toEqual([
      { line: 2, item: { id: 'p1', body: 1, model: 'v1' } },
      { line: 3, item: { id: 'p2', body: 2 } },
    ]);
  });

  it('reads a timestamp column, ISO 8601 or epoch ms, in any order after id,value; an empty one is none', async () => {
    const rows = await rowsOf(
      'id,value,timestamp,model\np1,1,2026-12-01T10:00:00Z,v1\np2,2,1764583200000,\np3,3,,v2\np4,4,yesterday,v2\n',
      'predictions',
    );

    expect(rows).toEqual([
      { line: 2, item: { id: 'p1', body: 1, model: 'v1', timestamp: Date.parse('2026-12-01T10:00:00Z') } },
      { line: 3, item: { id: 'p2', body: 2, timestamp: 1764583200000 } },
      { line: 4, item: { id: 'p3', body: 3, model: 'v2' } },
      { line: 5, id: 'p4', reason: expect.stringMatching(/^timestamp must be an ISO 8601 time with its zone/) },
    ]);
  });

  it('reads feature.<name> columns into features: a number, else a category; an empty cell leaves the feature out', async () => {
    const rows = await rowsOf(
      'id,value,Feature.BMI,model,feature.region,feature.model\np1,1,0.06,v1,north,"7"\np2,2,,v1,,\np3,3,-1e-2,,"south-east",v2\n',
      'predictions',
    );

    expect(rows).toEqual([
      { line: 2, item: { id: 'p1', body: 1, model: 'v1', features: { BMI: 0.06, region: 'north', model: 7 } } },
      { line: 3, item: { id: 'p2', body: 2, model: 'v1' } },
      { line: 4, item: { id: 'p3', body: 3, features: { BMI: -0.01, region: 'south-east', model: 'v2' } } },
    ]);
  });

  it('refuses a row whose feature the API would refuse, naming the column, and reads the next', async () => {
    const rows = await rowsOf(
      `id,value,feature.age,feature.region\na,1,1e999,north\nb,2,3,${'x'.repeat(129)}\nc,3,4,north\n`,
      'predictions',
    );

    expect(rows).toEqual([
      { line: 2, id: 'a', reason: 'feature.age "1e999" is not a finite number' },
      { line: 3, id: 'b', reason: 'feature.region: a category is longer than 128 characters' },
      { line: 4, item: { id: 'c', body: 3, features: { age: 4, region: 'north' } } },
    ]);
  });

  it('refuses bad rows one by one, with the reason (an id a spreadsheet would run included), and goes on', async () => {
    const rows = await rowsOf('id,value\na,1\nb,abc\nc,1e999\nd e,3\ne,4,v1\n,5\nf,6\n+1+1,7\n-5,8\n');

    expect(rows).toEqual([
      { line: 2, item: { id: 'a', body: 1 } },
      { line: 3, id: 'b', reason: 'value "abc" is not a number' },
      { line: 4, id: 'c', reason: 'value must be a finite number' },
      { line: 5, id: 'd e', reason: 'id: id may hold only letters, digits and . _ : + -' },
      { line: 6, id: 'e', reason: '3 column(s), the header has 2 (id,value)' },
      { line: 7, id: '', reason: 'id: id is empty; id: id may hold only letters, digits and . _ : + -' },
      { line: 8, item: { id: 'f', body: 6 } },
      {
        line: 9,
        id: '+1+1',
        reason: 'id: id may not start with + - = or @ unless it is a plain number: a spreadsheet would run it as a formula',
      },
      { line: 10, item: { id: '-5', body: 8 } },
    ]);
  });

  it.each([
    [
      'truths',
      'id,value,model\na,1,v1\n',
      'the first line must be the header "id,value" (and optionally ",timestamp"), not "id,value,model" (a truth carries no model version)',
    ],
    ['truths', 'a,1\n', 'the first line must be the header "id,value" (and optionally ",timestamp"), not "a,1"'],
    ['predictions', 'id,y\n', `${PREDICTIONS_HEADER}, not "id,y"`],
    [
      'truths',
      'id,value,feature.age\na,1,3\n',
      'the first line must be the header "id,value" (and optionally ",timestamp"), not "id,value,feature.age" (a truth carries no features: only predictions do)',
    ],
    ['predictions', 'id,value,features.age\n', `${PREDICTIONS_HEADER}, not "id,value,features.age"`],
    [
      'predictions',
      'id,value,feature.age,Feature.age\n',
      `${PREDICTIONS_HEADER}, not "id,value,feature.age,Feature.age" (the column "feature.age" appears twice)`,
    ],
    [
      'predictions',
      'id,value,feature.blood pressure,feature.\n',
      `${PREDICTIONS_HEADER}, not "id,value,feature.blood pressure,feature." ("feature.blood pressure": feature name may hold only letters, digits and . _ : + -; "feature.": feature name is empty, feature name may hold only letters, digits and . _ : + -)`,
    ],
    [
      'predictions',
      `id,value,${Array.from({ length: 65 }, (_, i) => `feature.f${i}`).join(',')}\n`,
      `${PREDICTIONS_HEADER}, not "id,value,${Array.from({ length: 65 }, (_, i) => `feature.f${i}`).join(',')}" (65 feature columns: at most 64)`,
    ],
    ['truths', '\n\n', 'no header line: the file is empty (expected "id,value" (and optionally ",timestamp"))'],
  ] as const)('refuses a %s file whose header is wrong: %j', async (kind, text, message) => {
    await expect(rowsOf(text, kind)).rejects.toThrow(new CsvHeaderError(message));
  });

  it('streams: a large file is read a line at a time', async () => {
    const lines = (function* () {
      yield 'id,value\n';
      for (let i = 0; i < 20_000; i++) yield `r${i},${i}\n`;
    })();
    let count = 0;
    for await (const row of readCsvRows(Readable.from(lines), 'truths')) if ('item' in row) count++;

    expect(count).toBe(20_000);
  });
});
