/** The inputs book, pure: the first filing of an id kept, taken once, peeked while waiting, let go after its time. */
import { describe, expect, it } from 'vitest';
import { InputsBook, inputsKey, readStoredInputsBook } from '../../../../../functions/commons/drift/predictionInputs.js';

describe('the inputs book', () => {
  it('keeps the first filing of an id, gives it while it waits, and once when its line reaches a log', () => {
    const book = new InputsBook();
    book.file([
      { id: 'a', features: { x: 1 }, filedAt: 10 },
      { id: 'b', features: { x: 2 }, filedAt: 10 },
    ]);
    // A retried batch files again: nothing changes.
    book.file([{ id: 'a', features: { x: 99 }, filedAt: 20 }]);

    expect(book.peek('a')).toEqual({ x: 1 });
    expect(book.take('a')).toEqual({ x: 1 });
    expect(book.take('a')).toBeUndefined();
    expect(book.size).toBe(1);
  });

  it('lets go of inputs no log took by their time, and survives its stored form', () => {
    const book = new InputsBook();
    book.file([
      { id: 'old', features: { x: 1 }, filedAt: 100 },
      { id: 'new', features: { region: 'north' }, filedAt: 200 },
    ]);

    expect(book.expire(150)).toBe(1);
    const stored = readStoredInputsBook(JSON.parse(JSON.stringify(book.toStored())));
    expect(new InputsBook(stored).peek('new')).toEqual({ region: 'north' });
    expect(readStoredInputsBook({ version: 2 })).toBeUndefined();
  });

  it('names filings so that they list in the order they were filed', () => {
    expect(inputsKey(9, 'z') < inputsKey(10, 'a')).toBe(true);
    expect(inputsKey(1_796_000_000_000, 'u')).toBe('segments/inputs/001796000000000-u.json');
  });
});
