import { describe, expect, it } from 'vitest';
import { pickRecords } from '../../../../../functions/commons/messaging/emission.js';
import { emittedAt, newRunId, recordId } from '../../../../../functions/commons/messaging/recordIds.js';
import { parseDataset } from '../../../../../functions/commons/model/dataset.js';

const DATA = parseDataset('age,sex,bmi,bp,s1,s2,s3,s4,s5,s6,target\n1,2,3,4,5,6,7,8,9,10,151\n0,0,0,0,0,0,0,0,0,0,75\n');

describe('record ids', () => {
  it('sort by emission time as plain strings, then by index within a run', () => {
    const ids = [recordId(1_795_680_657_123, 'ffffffff', 2), recordId(999, '00000000', 0), recordId(1_795_680_657_123, 'ffffffff', 10)];

    expect([...ids].sort()).toEqual([ids[1], ids[0], ids[2]]);
  });

  it('carry their emission time', () => {
    expect(emittedAt(recordId(1_795_680_657_123, newRunId(), 7))).toBe(1_795_680_657_123);
    expect(emittedAt('not-an-id')).toBeUndefined();
  });

  it('differ between runs in the same millisecond', () => {
    const runs = Array.from({ length: 200 }, () => pickRecords(DATA, 10, 1_000).map((r) => r.id)).flat();

    expect(new Set(runs).size).toBe(runs.length);
  });

  it('pick data rows with their true answers', () => {
    const records = pickRecords(DATA, 4, 1_000, () => 0.9, 'abcdef01');

    expect(records.map((r) => [r.id, r.row, r.target])).toEqual([
      ['0000000001000-abcdef01-0000', 1, 75],
      ['0000000001000-abcdef01-0001', 1, 75],
      ['0000000001000-abcdef01-0002', 1, 75],
      ['0000000001000-abcdef01-0003', 1, 75],
    ]);
  });
});
