/**
 * `npm run plot -- --input <metric_log.csv> --output <png> [--server <QuickChart URL>] [--stats]`
 *
 * The error histogram of a local metric log, as the pipeline's plot function draws
 * it: streamed from the file (a million rows take a few MB), binned like
 * `plt.hist(bins=20)`, drawn in this process as the deployed function draws it
 * (Chart.js on @napi-rs/canvas), or by a QuickChart server with --server.
 */
import { writeFile } from 'node:fs/promises';
import { parseArgs } from 'node:util';
import { summarizeErrors } from '../../../functions/commons/chart/absoluteErrors.js';
import { drawChart } from '../../../functions/commons/chart/drawChart.js';
import { histogram } from '../../../functions/commons/chart/histogram.js';
import { errorHistogramChart, PNG_OPTIONS, renderThroughServer } from '../../../functions/commons/chart/histogramChart.js';
import { readErrorColumn } from './errorColumn.js';

const USAGE = 'usage: npm run plot -- --input <metric_log.csv> --output <png> [--server <QuickChart URL>] [--stats]';

interface Options {
  readonly input: string;
  readonly output: string;
  readonly server: string | undefined;
  readonly stats: boolean;
}

/** A bad command line (exit status 2), or --help when `asked` (the usage on stdout, status 0). */
class UsageError extends Error {
  asked = false;
}

const FLAGS = { input: { type: 'string' }, output: { type: 'string' }, server: { type: 'string' }, stats: { type: 'boolean' } } as const;

/** Throws UsageError: what was wrong, then the usage. */
export function parseArguments(args: string[]): Options {
  const parse = () => {
    try {
      return parseArgs({ args, options: { ...FLAGS, help: { type: 'boolean', short: 'h' } } }).values;
    } catch (error) {
      throw new UsageError(`${(error as Error).message.split('\n')[0]}\n${USAGE}`);
    }
  };
  const { input, output, server, stats = false, help = false } = parse();
  if (help || input === undefined || output === undefined) throw Object.assign(new UsageError(USAGE), { asked: help });
  return { input, output, server, stats };
}

export async function plotFile(options: Options): Promise<{ rows: number; meanAbsoluteError: number }> {
  const errors = await readErrorColumn(options.input);
  if (errors.length === 0) throw new Error(`${options.input} has no rows to plot`);
  const summary = summarizeErrors(errors);
  const { meanAbsoluteError } = summary;
  const chart = errorHistogramChart(histogram(errors, 20), summary);
  // Not histogramChart's renderChart: it imports drawChart on demand, which `-r tsx/cjs` (npm run plot) cannot.
  const png = options.server === undefined ? await drawChart(chart, PNG_OPTIONS) : await renderThroughServer(options.server, chart);
  await writeFile(options.output, png);
  return { rows: errors.length, meanAbsoluteError };
}

async function main(): Promise<void> {
  const started = performance.now();
  const options = parseArguments(process.argv.slice(2));
  const { rows, meanAbsoluteError } = await plotFile(options);
  console.log(`${options.output}: histogram of ${rows} absolute errors (MAE ${meanAbsoluteError.toFixed(3)})`);
  const peakRssMb = Math.round(process.resourceUsage().maxRSS / 1024);
  if (options.stats) console.log(JSON.stringify({ rows, wall_ms: Math.round(performance.now() - started), peak_rss_mb: peakRssMb }));
}

if (require.main === module) {
  main().catch((error: Error) => {
    if (error instanceof UsageError && error.asked) return console.log(error.message);
    console.error(`plot: ${error.message}`);
    process.exit(error instanceof UsageError ? 2 : 1);
  });
}
