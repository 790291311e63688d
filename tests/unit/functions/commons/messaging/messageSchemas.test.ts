import { describe, expect, it } from 'vitest';
import { pickRecords } from '../../../../../functions/commons/messaging/emission.js';
import {
  checkMessage,
  describeRejected,
  FeaturesMessage,
  isSpreadsheetFormula,
  MAX_MESSAGE_BYTES,
  MAX_RECORDS_PER_MESSAGE,
  packRecords,
  parseMessageJson,
  parseRecords,
  RecordId,
  ScalarMessage,
} from '../../../../../functions/commons/messaging/messageSchemas.js';
import { parseDataset } from '../../../../../functions/commons/model/dataset.js';
import { InvalidMessageError } from '../../../../../functions/commons/platform/errors.js';

const record = (body: string) => ({ messageId: 'm-1', body, eventSourceARN: 'arn:aws:sqs:us-east-1:000000000000:y_pred' });

describe('message JSON', () => {
  it('keeps the text of a numeric id, and reads every other number as a number', () => {
    const parsed = parseMessageJson('{"id": 1669147134.196809, "body": 295.0}');
    const list = parseMessageJson('[{"id": 1.0, "body": 1e2}, {"id": "a", "body": [1, 2.5]}]');

    expect(parsed).toEqual({ id: '1669147134.196809', body: 295 });
    expect(list).toEqual([
      { id: '1.0', body: 100 },
      { id: 'a', body: [1, 2.5] },
    ]);
  });

  it('refuses text that is not JSON', () => {
    expect(() => parseMessageJson('{"id": ')).toThrow();
  });
});

describe('the scalar message of y_true and y_pred', () => {
  it('takes an id, a finite number and, optionally, the model version', () => {
    const parsed = parseRecords(ScalarMessage, record('{"id": 17, "body": 3.5, "model": "ols-1a2b"}'));

    expect(parsed).toEqual({ records: [{ id: '17', body: 3.5, model: 'ols-1a2b' }], rejected: [] });
  });

  it.each([
    ['{"id": "a b", "body": 1}', 'id: id may hold only letters, digits and . _ : + -'],
    ['{"id": "a", "body": 1e400}', 'body: Invalid input: expected number, received Infinity'],
    ['{"id": "a", "body": 1, "model": ""}', 'model: model is empty; model: model may hold only letters, digits and . _ : + -'],
    ['{"body": 1}', 'id: Invalid input: expected string, received undefined'],
  ])('refuses %s, saying why', (body, reason) => {
    expect(() => parseRecords(ScalarMessage, record(body))).toThrow(new InvalidMessageError('y_pred', 'm-1', reason));
  });

  it('names every bad field of a features message at once', () => {
    const outcome = checkMessage(FeaturesMessage, { id: '', body: [1, 2] });

    expect(outcome).toEqual({
      ok: false,
      reason: 'id: id is empty; id: id may hold only letters, digits and . _ : + -; body: body must hold exactly 10 numbers',
    });
  });
});

describe('an id a spreadsheet would run', () => {
  const FORMULA_REASON = 'id: id may not start with + - = or @ unless it is a plain number: a spreadsheet would run it as a formula';

  it.each(['+1+1', '-2+3', '+cmd:calc', '-A1', '-', '+', '-1-1', '+1e', '--5', '-5:00'])('refuses %s, saying why', (id) => {
    expect(isSpreadsheetFormula(id)).toBe(true);
    expect(checkMessage(ScalarMessage, { id, body: 1 })).toEqual({ ok: false, reason: FORMULA_REASON });
  });

  it('refuses one starting with = or @, for its characters and as a formula', () => {
    for (const id of ['=1+1', '@SUM']) {
      expect(isSpreadsheetFormula(id)).toBe(true);
      expect(checkMessage(ScalarMessage, { id, body: 1 })).toEqual({
        ok: false,
        reason: `id: id may hold only letters, digits and . _ : + -; ${FORMULA_REASON}`,
      });
    }
  });

  it.each(['-5', '+1.5', '-2e3', '+0', '-.5', '-5.', '-1E+10', '1669147134.196809', 'a+b', '1-2', 'order-1'])(
    'takes %s: a plain number, or no sign first',
    (id) => {
      expect(isSpreadsheetFormula(id)).toBe(false);
      expect(checkMessage(ScalarMessage, { id, body: 1 })).toMatchObject({ ok: true });
    },
  );

  it('takes every id features makes, at any time', () => {
    const data = parseDataset('age,sex,bmi,bp,s1,s2,s3,s4,s5,s6,target\n1,2,3,4,5,6,7,8,9,10,151\n');
    const times = [0, 1, Date.now(), 9_999_999_999_999];
    const ids = times.flatMap((time) => Array.from({ length: 50 }, () => pickRecords(data, 100, time).map((record) => record.id)).flat());

    expect(ids.filter((id) => !RecordId.safeParse(id).success)).toEqual([]);
  });

  it('refuses a formula id in a pack alone, its pack-mates taken', () => {
    const parsed = parseRecords(ScalarMessage, record('[{"id": "a", "body": 1}, {"id": "+1+1", "body": 2}]'));

    expect(parsed).toEqual({
      records: [{ id: 'a', body: 1 }],
      rejected: [{ index: 1, item: { id: '+1+1', body: 2 }, reason: FORMULA_REASON }],
    });
  });
});

describe('a pack of records in one message', () => {
  it('takes every record of an array, in order, numeric ids as their text', () => {
    const parsed = parseRecords(ScalarMessage, record('[{"id": "a", "body": 1}, {"id": 2.50, "body": 2, "model": "m"}]'));

    expect(parsed).toEqual({
      records: [
        { id: 'a', body: 1 },
        { id: '2.50', body: 2, model: 'm' },
      ],
      rejected: [],
    });
  });

  it('takes the good records of a pack and hands back the bad ones with their place and reason', () => {
    const parsed = parseRecords(ScalarMessage, record('[{"id": "a", "body": 1}, {"id": "b", "body": "x"}, {"id": "c", "body": 3}, 7]'));

    expect(parsed.records.map((r) => r.id)).toEqual(['a', 'c']);
    expect(parsed.rejected).toEqual([
      { index: 1, item: { id: 'b', body: 'x' }, reason: 'body: Invalid input: expected number, received string' },
      { index: 3, item: 7, reason: 'message: Invalid input: expected object, received number' },
    ]);
  });

  it.each([
    ['[]', 'body is an empty array: a pack holds at least one record'],
    [
      '[{"id": "a"}, {"body": 1}]',
      'no good record in the pack: [0] body: Invalid input: expected number, received undefined; [1] id: Invalid input: expected string, received undefined',
    ],
    ['[{"id": "a", "body": 1}', 'body is not JSON'],
  ])('refuses %s as a whole', (body, reason) => {
    expect(() => parseRecords(ScalarMessage, record(body))).toThrow(reason);
  });

  it("refuses a body over SQS's own limit as a whole", () => {
    const big = JSON.stringify(Array.from({ length: 20_000 }, (_, i) => ({ id: `id-${i}`, body: i })));

    expect(Buffer.byteLength(big)).toBeGreaterThan(MAX_MESSAGE_BYTES);
    expect(() => parseRecords(ScalarMessage, record(big))).toThrow(`over the ${MAX_MESSAGE_BYTES}-byte limit`);
  });

  it('packs records a hundred to a message, in order, the last pack holding the rest', () => {
    const ids = Array.from({ length: 250 }, (_, i) => i);
    const packs = packRecords(ids);

    expect(packs.map((pack) => pack.length)).toEqual([MAX_RECORDS_PER_MESSAGE, MAX_RECORDS_PER_MESSAGE, 50]);
    expect(packs.flat()).toEqual(ids);
    expect(packRecords([])).toEqual([]);
  });

  it('keeps the widest pack of feature vectors under the 64 KiB SQS bills as one request', () => {
    const widest = { id: 'x'.repeat(128), body: Array.from({ length: 10 }, () => -1.2345678901234567e-308) };
    const pack = JSON.stringify(packRecords(Array.from({ length: MAX_RECORDS_PER_MESSAGE }, () => widest))[0]);

    expect(checkMessage(FeaturesMessage, widest).ok).toBe(true);
    expect(Buffer.byteLength(pack)).toBeLessThan(64 * 1024);
  });

  it('describes at most ten bad records, and counts the rest', () => {
    const rejected = Array.from({ length: 12 }, (_, index) => ({ index, item: null, reason: 'bad' }));

    expect(describeRejected(rejected)).toBe(`${Array.from({ length: 10 }, (_, i) => `[${i}] bad`).join('; ')}; and 2 more`);
  });
});
