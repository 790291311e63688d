/** The inputs book and its filings, pure: the first filing of an id kept, taken once, peeked while waiting, let go after its time. */
import { describe, expect, it } from 'vitest';
import { filingText, InputsBook, inputsKey, readFiling } from '../../../../../functions/commons/drift/predictionInputs.js';

describe('the inputs book', () => {
  it('keeps the first filing of an id, gives it while it waits, and once when its line reaches a log', () => {
    const book = new InputsBook();
    book.file('k1', [
      { id: 'a', features: { x: 1 }, filedAt: 10 },
      { id: 'b', features: { x: 2 }, filedAt: 10 },
    ]);
    // A retried batch files again: nothing changes, and its filing is spent at once.
    book.file('k2', [{ id: 'a', features: { x: 99 }, filedAt: 20 }]);
    expect(book.spent()).toEqual(['k2']);

    expect(book.peek('a')).toEqual({ x: 1 });
    expect(book.take('a')).toEqual({ x: 1 });
    expect(book.take('a')).toBeUndefined();
    expect(book.size).toBe(1);
  });

  it('spends a filing once every id in it is taken or expired, and forgets it once deleted', () => {
    const book = new InputsBook();
    book.file('old', [{ id: 'o', features: { x: 1 }, filedAt: 100 }]);
    book.file('new', [
      { id: 'n1', features: { region: 'north' }, filedAt: 200 },
      { id: 'n2', features: { region: 'south' }, filedAt: 200 },
    ]);

    expect(book.expire(150)).toBe(1);
    book.take('n1');
    expect(book.spent()).toEqual(['old']);
    book.take('n2');
    expect(book.spent()).toEqual(['new', 'old']);
    expect(book.has('old')).toBe(true);
    book.deleted(['new', 'old']);
    expect([book.has('old'), book.has('new'), book.size]).toEqual([false, false, 0]);
  });

  it('names filings so that they list in the order they were filed', () => {
    expect(inputsKey(9, 'z') < inputsKey(10, 'a')).toBe(true);
    expect(inputsKey(1_796_000_000_000, 'u')).toBe('segments/inputs/001796000000000-u.json');
  });
});

describe('a filing', () => {
  it('reads back what was filed, each prediction with only the features it gave', () => {
    const filed: { id: string; features: Record<string, number | string> }[] = [
      { id: 'a', features: { age: 0.03, sex: 'F' } },
      { id: 'b', features: { age: -0.01, bmi: 0 } },
    ];
    expect(readFiling(filingText(filed, 7))).toEqual([
      { id: 'a', features: { age: 0.03, sex: 'F' }, filedAt: 7 },
      { id: 'b', features: { age: -0.01, bmi: 0 }, filedAt: 7 },
    ]);
  });

  it('reads the forms an earlier version left in the bucket: a list of inputs, and the inputs book stored whole', () => {
    const inputs = [{ id: 'a', features: { x: 1 }, filedAt: 5 }];
    expect(readFiling(JSON.stringify(inputs))).toEqual(inputs);
    expect(readFiling(JSON.stringify({ version: 1, inputs }))).toEqual(inputs);
  });

  it('is no filing when it is not JSON or not of a known form', () => {
    expect(readFiling('{"version": 2')).toBeUndefined();
    expect(readFiling(JSON.stringify({ version: 3, rows: [] }))).toBeUndefined();
  });
});
