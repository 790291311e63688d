/** The absolute_error column of a metric_log.csv, read as a stream of byte chunks; lines that hold no row skipped and reported. */
import { describe, expect, it } from 'vitest';
import { generatedRows } from '../../../../../bench/plotCli.js';
import { METRIC_LOG_HEADER, parseMetricLog } from '../../../../../functions/commons/logs/rowFormat.js';
import { seededRandom } from '../../../../../functions/commons/seededRandom.js';
import { type ErrorColumn, ErrorColumnParser } from '../../../../../infra/tools/plot/errorColumn.js';

function readInChunks(text: string, chunkSize: number): ErrorColumn {
  const parser = new ErrorColumnParser();
  const bytes = Buffer.from(text);
  for (let i = 0; i < bytes.length; i += chunkSize) parser.push(bytes.subarray(i, i + chunkSize));
  return parser.end();
}

function parseInChunks(text: string, chunkSize: number): number[] {
  return [...readInChunks(text, chunkSize).values];
}

describe('ErrorColumnParser', () => {
  it.each([1, 2, 7, 1024])('reads every value whatever the chunk size (%i bytes), CRLF lines included', (chunkSize) => {
    const log = `${METRIC_LOG_HEADER}\na,1.0,2.5,1.5\nb,3.0,1.0,2.0\r\nc,10.0,10.0,0.0\n`;

    expect(parseInChunks(log, chunkSize)).toEqual([1.5, 2, 0]);
  });

  it("reads the same values as the log's own parser, so the same histogram", () => {
    const rows = generatedRows(0, 20_000, seededRandom(11));

    const values = parseInChunks(`${METRIC_LOG_HEADER}\n${rows}`, 1 << 12);

    expect(values).toEqual(parseMetricLog(`${METRIC_LOG_HEADER}\n${rows}`).map((row) => row.absoluteError));
  });

  it('reads a last line without a newline', () => {
    expect(parseInChunks(`${METRIC_LOG_HEADER}\na,1.0,2.0,1.0`, 5)).toEqual([1]);
  });

  it('grows past its first buffer of 65,536 values', () => {
    const rows = Array.from({ length: 70_000 }, (_, i) => `r${i},0,0,${i % 7}`).join('\n');

    const values = parseInChunks(`${METRIC_LOG_HEADER}\n${rows}\n`, 1 << 16);

    expect(values).toHaveLength(70_000);
    expect(values.slice(65_534, 65_538)).toEqual([65_534 % 7, 65_535 % 7, 65_536 % 7, 65_537 % 7]);
  });

  it('refuses a file whose first line is not the header, naming the line', () => {
    expect(() => parseInChunks('x,y\n1,2\n', 4)).toThrow(`line 1 is "x,y", expected the header "${METRIC_LOG_HEADER}"`);
  });

  it('skips the lines that hold no row and reports each with its line number and why', () => {
    const log = `${METRIC_LOG_HEADER}\na,1,2,oops\nb,1.0,3.0,2.0\n\nc,1,2\nd,1,2,3,4\ne,1.0,1.5,0.5\nf,1.0,1.2`;

    const { values, rejected, rejectedCount } = readInChunks(log, 5);

    expect([...values]).toEqual([2, 0.5]);
    expect(rejectedCount).toBe(4);
    expect(rejected).toEqual([
      { lineNumber: 2, text: 'a,1,2,oops', reason: 'absolute_error oops is not a number' },
      { lineNumber: 5, text: 'c,1,2', reason: `3 fields, not the 4 of ${METRIC_LOG_HEADER}` },
      { lineNumber: 6, text: 'd,1,2,3,4', reason: `5 fields, not the 4 of ${METRIC_LOG_HEADER}` },
    ]);
  });

  it('says when the last line is cut short', () => {
    const { rejected } = readInChunks(`${METRIC_LOG_HEADER}\na,1.0,2.0,1.0\nb,1.0,2`, 3);

    expect(rejected).toEqual([
      { lineNumber: 3, text: 'b,1.0,2', reason: `cut short: the file ends inside this line (3 fields, not the 4 of ${METRIC_LOG_HEADER})` },
    ]);
  });

  it('reads every number form the logs write, as Number reads it', () => {
    const fields = ['0.0', '-0.0', '1e-05', '1.5e+16', '12345678901234567.0', '0.1234567890123456789', '7', '.5', '5.'];
    const log = `${METRIC_LOG_HEADER}\n${fields.map((field, i) => `r${i},0,0,${field}`).join('\n')}\n`;

    expect(parseInChunks(log, 16)).toEqual(fields.map(Number));
  });

  it('refuses an empty file', () => {
    expect(() => parseInChunks('', 4)).toThrow('the file is empty: expected a metric_log.csv header');
  });
});
