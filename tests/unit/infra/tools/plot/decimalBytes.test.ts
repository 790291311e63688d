/** infra/tools/plot/decimalBytes.ts: a log number read from bytes is the double Number() reads from its text. */
import { describe, expect, it } from 'vitest';
import { formatFloat } from '../../../../../functions/commons/logs/rowFormat.js';
import { seededRandom } from '../../../../../functions/commons/seededRandom.js';
import { parseDecimal } from '../../../../../infra/tools/plot/decimalBytes.js';

const parse = (text: string) => parseDecimal(Buffer.from(text, 'latin1'), 0, text.length);

describe('parseDecimal', () => {
  it('gives the same double as Number for 200,000 values written as the logs write them', () => {
    const random = seededRandom(7);
    let differ = 0;
    for (let i = 0; i < 200_000; i++) {
      const magnitude = 10 ** Math.floor(random() * 12 - 6);
      const text = formatFloat((random() - 0.2) * 300 * magnitude);
      if (!Object.is(parse(text), Number(text))) differ++;
    }

    expect(differ).toBe(0);
  });

  it.each([
    '0.30000000000000004',
    '9007199254740993',
    '9007199254740993.0',
    '1.7976931348623157e+308',
    '5e-324',
    '123456789012345678901234567890',
    '0.000000000000000000000000001',
    '-12.5',
    '-0.0',
    '2.2250738585072014e-308',
  ])('reads %s as Number does', (text) => {
    expect(Object.is(parse(text), Number(text))).toBe(true);
  });

  it.each(['', '-', '.', 'nan', 'inf', '1e', '1e+', '1,5', ' 1', '0x10', '1..2', '--1'])('finds no number in %j', (text) => {
    expect(parse(text)).toBeUndefined();
  });
});
