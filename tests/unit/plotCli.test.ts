import { mkdtemp, readFile, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { METRIC_LOG_HEADER } from '../../functions/commons/logs/rowFormat.js';
import { parseArguments, plotFile } from '../../infra/plot/cli.js';
import { ErrorColumnParser } from '../../infra/plot/errorColumn.js';

function parseInChunks(text: string, chunkSize: number): number[] {
  const parser = new ErrorColumnParser();
  const bytes = Buffer.from(text);
  for (let i = 0; i < bytes.length; i += chunkSize) parser.push(bytes.subarray(i, i + chunkSize));
  return [...parser.end()];
}

const LOG = `${METRIC_LOG_HEADER}\na,1.0,2.5,1.5\nb,3.0,1.0,2.0\r\nc,10.0,10.0,0.0\n`;

describe('reading the absolute_error column as a stream', () => {
  it.each([1, 2, 7, 1024])('reads every value whatever the chunk size (%i bytes)', (chunkSize) => {
    expect(parseInChunks(LOG, chunkSize)).toEqual([1.5, 2, 0]);
  });

  it('reads a last line without a newline', () => {
    expect(parseInChunks(`${METRIC_LOG_HEADER}\na,1.0,2.0,1.0`, 5)).toEqual([1]);
  });

  it('refuses a file that is not a metric log, naming the line', () => {
    expect(() => parseInChunks('x,y\n1,2\n', 4)).toThrow(/line 1/);
    expect(() => parseInChunks(`${METRIC_LOG_HEADER}\na,1,2,oops\n`, 4)).toThrow(/line 2/);
  });
});

describe('npm run plot', () => {
  it('renders a PNG from a local CSV with the embedded renderer', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'ml-monitor-plot-'));
    const input = join(dir, 'metric_log.csv');
    const output = join(dir, 'plot.png');
    await writeFile(input, LOG);

    const result = await plotFile(parseArguments(['--input', input, '--output', output]));

    const png = await readFile(output);
    expect(result).toEqual({ rows: 3, meanAbsoluteError: 3.5 / 3 });
    expect(png.subarray(1, 4).toString('latin1')).toBe('PNG');
    expect(png.readUInt32BE(16)).toBe(800);
  });

  it('asks for --input and --output', () => {
    expect(() => parseArguments(['--input', 'x.csv'])).toThrow(/usage/);
  });
});
