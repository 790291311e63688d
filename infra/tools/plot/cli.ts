/**
 * `npm run plot -- --input <metric_log.csv> --output <png> [--server <QuickChart URL>] [--stats]`
 *
 * The error histogram of a local metric log, as the pipeline's plot function draws it:
 * the file read once (errorColumn.ts: 8 bytes a row; lines that hold no row skipped and
 * reported; a large file's second half by a worker while Chart.js and the canvas load,
 * parallelColumn.ts), binned like `plt.hist(bins=20)`, drawn in this process as the
 * deployed function draws it (Chart.js on @napi-rs/canvas), or by a QuickChart server
 * with --server.
 *
 * `npm run plot` starts it through infra/tools/launch.cjs (a bundle, not tsx); Chart.js
 * and the canvas load only to draw (loadDrawChart), so --help answers at once. Its node
 * flags (package.json) are part of its figures: a 1 MB young generation keeps the peak
 * memory down, and `--single-threaded` (no V8 helper threads for a run this short) made
 * it ~10% faster on a loaded machine, in the bench's side-by-side runs against pandas.
 */
import { writeFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { histogram } from '../../../functions/commons/chart/histogram.js';
import { errorHistogramChart, loadDrawChart, renderChart } from '../../../functions/commons/chart/histogramChart.js';
import { describeRejected, type RejectedLine } from '../../../functions/commons/logs/logCheck.js';
import { summarizeInPlace } from './errorSummary.js';
import { startReadingErrorColumn } from './parallelColumn.js';

// The worker that reads the second half of a large log loads this bundle and calls it.
export { answerPartRequest } from './parallelColumn.js';

/** The bundle this runs from (launch.cjs's), which a worker can load; undefined when run from the TypeScript sources. */
const BUNDLE = typeof module === 'object' && module.filename?.endsWith('.cjs') ? module.filename : undefined;

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

/** `skipped`: the lines that hold no row, said for one console line (none: undefined). */
export async function plotFile(options: Options): Promise<{ rows: number; meanAbsoluteError: number; skipped: string | undefined }> {
  const reading = startReadingErrorColumn(options.input, BUNDLE);
  // While a worker reads the rest of the file: Chart.js and the canvas, unless a server draws.
  if (options.server === undefined) await loadDrawChart();
  const { values: errors, rejected, rejectedCount } = await reading;
  if (errors.length === 0) throw new Error(`${options.input} has no rows to plot`);
  const bins = histogram(errors, 20);
  // After the histogram: the summary reorders the values.
  const summary = summarizeInPlace(errors);
  const png = await renderChart(errorHistogramChart(bins, summary), options.server);
  writeFileSync(options.output, png);
  return { rows: errors.length, meanAbsoluteError: summary.meanAbsoluteError, skipped: describeSkipped(rejected, rejectedCount) };
}

function describeSkipped(rejected: readonly RejectedLine[], count: number): string | undefined {
  if (count === 0) return undefined;
  const more = count > rejected.length ? `, and ${(count - rejected.length).toLocaleString('en-US')} more` : '';
  return `skipped ${count.toLocaleString('en-US')} line${count === 1 ? '' : 's'} that hold${count === 1 ? 's' : ''} no row: ${describeRejected(rejected)}${more}`;
}

/**
 * Runs the command line `args`: prints the outcome, sets the exit status (0 drawn, 1
 * failed, 2 bad usage). With --stats, one JSON line more: rows, the time since the
 * process started and its peak resident memory.
 */
export async function main(args: string[] = process.argv.slice(2)): Promise<void> {
  try {
    const options = parseArguments(args);
    const { rows, meanAbsoluteError, skipped } = await plotFile(options);
    if (skipped !== undefined) console.error(`plot: ${options.input}: ${skipped}`);
    console.log(`${options.output}: histogram of ${rows} absolute errors (MAE ${meanAbsoluteError.toFixed(3)})`);
    const peakRssMb = Math.round(process.resourceUsage().maxRSS / 1024);
    if (options.stats) console.log(JSON.stringify({ rows, wall_ms: Math.round(performance.now()), peak_rss_mb: peakRssMb }));
  } catch (error) {
    if (error instanceof UsageError && error.asked) return console.log(error.message);
    console.error(`plot: ${(error as Error).message}`);
    process.exitCode = error instanceof UsageError ? 2 : 1;
  }
}

if (require.main === module) void main();
