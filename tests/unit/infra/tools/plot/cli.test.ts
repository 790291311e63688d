/** `npm run plot`: its command line, and a PNG drawn from a local CSV in this process. */
import { mkdtemp, readFile, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { METRIC_LOG_HEADER } from '../../../../../functions/commons/logs/rowFormat.js';
import { parseArguments, plotFile } from '../../../../../infra/tools/plot/cli.js';

const USAGE = 'usage: npm run plot -- --input <metric_log.csv> --output <png> [--server <QuickChart URL>] [--stats]';

describe('parseArguments', () => {
  it('reads every option', () => {
    const options = parseArguments(['--input', 'in.csv', '--output', 'out.png', '--server', 'http://q:3400', '--stats']);

    expect(options).toEqual({ input: 'in.csv', output: 'out.png', server: 'http://q:3400', stats: true });
  });

  it('leaves --server and --stats out unless given', () => {
    expect(parseArguments(['--output=out.png', '--input=in.csv'])).toEqual({
      input: 'in.csv',
      output: 'out.png',
      server: undefined,
      stats: false,
    });
  });

  it.each([
    [['--input', 'x.csv'], USAGE],
    [['--input', '--output', 'x.png'], `Option '--input' argument is ambiguous.\n${USAGE}`],
    [['--input', 'x.csv', '--output', 'x.png', '--bins', '5'], `Unknown option '--bins'\n${USAGE}`],
  ])('refuses %j with the usage', (args, message) => {
    expect(() => parseArguments(args)).toThrow(expect.objectContaining({ message }));
  });

  it('answers --help with the usage, marked as asked for', () => {
    expect(() => parseArguments(['--help'])).toThrow(expect.objectContaining({ message: USAGE, asked: true }));
  });
});

describe('plotFile', () => {
  it('renders a PNG from a local CSV in this process', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'ml-monitor-plot-'));
    const input = join(dir, 'metric_log.csv');
    const output = join(dir, 'plot.png');
    await writeFile(input, `${METRIC_LOG_HEADER}\na,1.0,2.5,1.5\nb,3.0,1.0,2.0\nc,10.0,10.0,0.0\n`);

    const result = await plotFile({ input, output, server: undefined, stats: false });

    const png = await readFile(output);
    expect(result).toEqual({ rows: 3, meanAbsoluteError: 3.5 / 3 });
    expect(png.subarray(1, 4).toString('latin1')).toBe('PNG');
    expect(png.readUInt32BE(16)).toBe(800);
  });

  it('refuses a log with no rows', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'ml-monitor-plot-'));
    const input = join(dir, 'metric_log.csv');
    await writeFile(input, `${METRIC_LOG_HEADER}\n`);

    await expect(plotFile({ input, output: join(dir, 'plot.png'), server: undefined, stats: false })).rejects.toThrow(
      `${input} has no rows to plot`,
    );
  });
});
