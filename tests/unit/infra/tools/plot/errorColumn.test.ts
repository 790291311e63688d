/** The absolute_error column of a metric_log.csv, read as a stream of byte chunks. */
import { describe, expect, it } from 'vitest';
import { METRIC_LOG_HEADER } from '../../../../../functions/commons/logs/rowFormat.js';
import { ErrorColumnParser } from '../../../../../infra/tools/plot/errorColumn.js';

function parseInChunks(text: string, chunkSize: number): number[] {
  const parser = new ErrorColumnParser();
  const bytes = Buffer.from(text);
  for (let i = 0; i < bytes.length; i += chunkSize) parser.push(bytes.subarray(i, i + chunkSize));
  return [...parser.end()];
}

describe('ErrorColumnParser', () => {
  it.each([1, 2, 7, 1024])('reads every value whatever the chunk size (%i bytes), CRLF lines included', (chunkSize) => {
    const log = `${METRIC_LOG_HEADER}\na,1.0,2.5,1.5\nb,3.0,1.0,2.0\r\nc,10.0,10.0,0.0\n`;

    expect(parseInChunks(log, chunkSize)).toEqual([1.5, 2, 0]);
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

  it('refuses a value that is not a number, naming the line', () => {
    expect(() => parseInChunks(`${METRIC_LOG_HEADER}\na,1,2,oops\n`, 4)).toThrow('line 2: absolute_error is not a number: "a,1,2,oops"');
  });

  it('refuses an empty file', () => {
    expect(() => parseInChunks('', 4)).toThrow('the file is empty: expected a metric_log.csv header');
  });
});
