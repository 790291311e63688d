/**
 * `npm run plot -- --input <metric_log.csv> --output <png> [--server <QuickChart URL>] [--stats]`
 *
 * The error histogram of a local metric log, as the pipeline's plot function draws
 * it: streamed from the file (a million rows take a few MB), binned like
 * `plt.hist(bins=20)`, rendered by the embedded Chart.js renderer in this process,
 * or by a QuickChart server with --server.
 */
import { writeFile } from 'node:fs/promises';
import { parseArgs } from 'node:util';
import { histogram } from '../../functions/commons/chart/histogram.js';
import { CHART_SIZE, errorHistogramChart, renderChart as renderThroughServer } from '../../functions/commons/chart/histogramChart.js';
import { parseRenderRequest, renderChart } from '../renderer/render.js';
import { readErrorColumn } from './errorColumn.js';

const USAGE = 'usage: npm run plot -- --input <metric_log.csv> --output <png> [--server <QuickChart URL>] [--stats]';

interface Options {
  readonly input: string;
  readonly output: string;
  readonly server: string | undefined;
  readonly stats: boolean;
}

/** `asked`: --help, answered on stdout with exit status 0. */
class UsageError extends Error {
  constructor(
    message: string,
    readonly asked = false,
  ) {
    super(message);
  }
}

/** Throws UsageError (what was wrong, then the usage) on --help or a bad command line. */
export function parseArguments(args: string[]): Options {
  const flags = {
    input: { type: 'string' },
    output: { type: 'string' },
    server: { type: 'string' },
    stats: { type: 'boolean', default: false },
    help: { type: 'boolean', short: 'h' },
  } as const;
  const parse = () => {
    try {
      return parseArgs({ args, options: flags }).values;
    } catch (error) {
      throw new UsageError(`${(error as Error).message.split('\n')[0]}\n${USAGE}`);
    }
  };
  const { input, output, server, stats, help } = parse();
  if (help || input === undefined || output === undefined) throw new UsageError(USAGE, help);
  return { input, output, server, stats };
}

export async function plotFile(options: Options): Promise<{ rows: number; meanAbsoluteError: number }> {
  const errors = await readErrorColumn(options.input);
  if (errors.length === 0) throw new Error(`${options.input} has no rows to plot`);
  let sum = 0;
  for (const e of errors) sum += e;
  const meanAbsoluteError = sum / errors.length;
  const chart = errorHistogramChart(histogram(errors, 20), { rows: errors.length, meanAbsoluteError });
  const png =
    options.server === undefined
      ? await renderChart(parseRenderRequest({ ...CHART_SIZE, devicePixelRatio: 1, backgroundColor: 'white', format: 'png', chart }))
      : await renderThroughServer(options.server, chart);
  await writeFile(options.output, png);
  return { rows: errors.length, meanAbsoluteError };
}

async function main(): Promise<void> {
  const started = performance.now();
  const options = parseArguments(process.argv.slice(2));
  const result = await plotFile(options);
  console.log(`${options.output}: histogram of ${result.rows} absolute errors (MAE ${result.meanAbsoluteError.toFixed(3)})`);
  if (options.stats) {
    const stats = {
      rows: result.rows,
      wall_ms: Math.round(performance.now() - started),
      peak_rss_mb: Math.round(process.resourceUsage().maxRSS / 1024),
    };
    console.log(JSON.stringify(stats));
  }
}

if (require.main === module) {
  main().catch((error: Error) => {
    if (error instanceof UsageError && error.asked) return console.log(error.message);
    console.error(`plot: ${error.message}`);
    process.exit(error instanceof UsageError ? 2 : 1);
  });
}
