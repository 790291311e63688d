/** A log's copy is checked line by line: good rows kept, the rest named with their line numbers. */
import { describe, expect, it } from 'vitest';
import { checkLog, describeRejected } from '../../../../../functions/commons/logs/logCheck.js';
import { LOGS } from '../../../../../functions/commons/logs/logFiles.js';

const HEADER = LOGS.metric_log.header;
const rows = ['a,1.0,2.0,1.0', 'b,3.0,5.0,2.0', 'c,2.5,2.0,0.5'];
const good = `${HEADER}\n${rows.join('\n')}\n`;

describe('checkLog', () => {
  it('finds nothing wrong with a clean log', () => {
    expect(checkLog(LOGS.metric_log, good)).toEqual({ rows, rowLineNumbers: [2, 3, 4], rejected: [], headerRepaired: false, clean: true });
    expect(checkLog(LOGS.metric_log, '')).toMatchObject({ rows: [], rejected: [], clean: true });
    expect(checkLog(LOGS.metric_log, `${HEADER}\n`)).toMatchObject({ rows: [], rejected: [], clean: true });
  });

  it.each([
    { case: 'a torn last line', text: `${good}d,4.0,9`, rejected: [[5, /^cut short: the file ends inside this line \(3 fields/]] },
    { case: 'a garbage line in the middle', text: good.replace('b,', 'garbage\nb,'), rejected: [[3, /^1 field, not the 4 of/]] },
    { case: 'an empty number (Number("") is 0)', text: `${good}d,,1.0,1.0\n`, rejected: [[5, /finite numbers/]] },
    { case: 'a number cut short', text: `${good}d,4.0,9.0,5.1\n`, rejected: [[5, /absolute_error 5.1 is not/]] },
    { case: 'nan', text: `${good}d,nan,1.0,nan\n`, rejected: [[5, /finite numbers/]] },
    { case: 'an id with a quote', text: `${good}"d",1.0,1.0,0.0\n`, rejected: [[5, /quotes/]] },
    { case: 'an id twice', text: `${good}b,3.0,5.0,2.0\n`, rejected: [[5, 'the id of line 3 again']] },
    { case: 'the header again (two files joined)', text: `${good}${HEADER}\n`, rejected: [[5, 'the header again']] },
  ])('moves aside $case, with its line number, and keeps every good row', ({ text, rejected }) => {
    const checked = checkLog(LOGS.metric_log, text);

    expect(checked.rows).toEqual(rows);
    expect(checked.rejected.map((line) => [line.lineNumber, line.reason])).toEqual(
      rejected.map(([line, reason]) => [line, typeof reason === 'string' ? reason : expect.stringMatching(reason as RegExp)]),
    );
    expect(checked.clean).toBe(false);
  });

  it('puts back a deleted header: the first line is a row, and kept', () => {
    expect(checkLog(LOGS.metric_log, `${rows.join('\n')}\n`)).toMatchObject({ rows, rejected: [], headerRepaired: true, clean: false });
  });

  it('moves a damaged header aside and puts the header back', () => {
    const checked = checkLog(LOGS.metric_log, good.replace(HEADER, 'id,y_true,y_pr'));

    expect(checked).toMatchObject({ rows, headerRepaired: true, clean: false });
    expect(checked.rejected).toEqual([
      { lineNumber: 1, text: 'id,y_true,y_pr', reason: expect.stringMatching(/^not the header id,y_true/) },
    ]);
  });

  it('keeps a last row that only lacks its newline, and rows with CR LF line ends, but calls the file unclean', () => {
    expect(checkLog(LOGS.metric_log, good.slice(0, -1))).toMatchObject({ rows, rejected: [], clean: false });
    expect(checkLog(LOGS.metric_log, good.replaceAll('\n', '\r\n'))).toMatchObject({ rows, rejected: [], clean: false });
  });

  it('drops blank lines without a word', () => {
    expect(checkLog(LOGS.metric_log, good.replace('\nb,', '\n\n\nb,'))).toMatchObject({ rows, rejected: [], clean: false });
  });

  it('checks orphans.csv by its own format', () => {
    const orphan = 'x,y_true,151.0,2026-12-03T10:00:00.000Z,no y_pred within 3600 s';
    const text = `${LOGS.orphans.header}\n${orphan}\ny,y_maybe,1.0,2026-12-03T10:00:00.000Z,r\nz,y_pred,1.0,yesterday,r\n`;

    const checked = checkLog(LOGS.orphans, text);

    expect(checked.rows).toEqual([orphan]);
    expect(checked.rejected.map((line) => [line.lineNumber, line.reason])).toEqual([
      [3, 'half is "y_maybe", not y_true or y_pred'],
      [4, 'first_seen must be a UTC time'],
    ]);
  });
});

describe('describeRejected', () => {
  it('names the first three with their reasons, and counts the rest', () => {
    const lines = [1200, 1500, 1800, 2000, 2100].map((lineNumber) => ({ lineNumber, text: '?', reason: 'why' }));

    expect(describeRejected(lines.slice(0, 1))).toBe('line 1,200: why');
    expect(describeRejected(lines)).toBe('lines 1,200: why; 1,500: why; 1,800: why, and 2 more');
  });
});
